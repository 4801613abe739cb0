#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include <sluice/bench/measured_storage.hpp>

namespace sluice::bench {
namespace {

using Steady = std::chrono::steady_clock;

double since(Steady::time_point start) {
  return std::chrono::duration<double>(Steady::now() - start).count();
}

}  // namespace

IoFigures io_figures(std::vector<IoSample> samples) {
  IoFigures figures;
  figures.operations = samples.size();
  for (const IoSample& sample : samples) {
    figures.bytes += sample.bytes;
    figures.total_s += sample.seconds;
  }
  if (!samples.empty()) {
    const auto middle = samples.begin() + static_cast<std::ptrdiff_t>(samples.size() / 2);
    std::nth_element(samples.begin(), middle, samples.end(),
                     [](const IoSample& a, const IoSample& b) { return a.seconds < b.seconds; });
    figures.median_s = middle->seconds;
  }
  return figures;
}

MeasuredStorage::MeasuredStorage(std::shared_ptr<const Storage> inner) : inner_(std::move(inner)) {}

std::string MeasuredStorage::read(const std::string& path) const {
  const auto start = Steady::now();
  std::string bytes = inner_->read(path);
  const double seconds = since(start);
  std::lock_guard lock(mutex_);
  reads_.push_back({seconds, bytes.size()});
  return bytes;
}

void MeasuredStorage::write(const std::string& path, std::string_view bytes) const {
  const auto start = Steady::now();
  inner_->write(path, bytes);
  record_write(path, since(start), bytes.size());
}

bool MeasuredStorage::write_new(const std::string& path, std::string_view bytes) const {
  const auto start = Steady::now();
  const bool written = inner_->write_new(path, bytes);
  if (written) {
    record_write(path, since(start), bytes.size());
  }
  return written;
}

bool MeasuredStorage::remove(const std::string& path) const {
  const bool removed = inner_->remove(path);
  std::lock_guard lock(mutex_);
  std::erase(written_, path);
  return removed;
}

void MeasuredStorage::record_write(const std::string& path, double seconds,
                                   std::uint64_t bytes) const {
  std::lock_guard lock(mutex_);
  writes_.push_back({seconds, bytes});
  if (std::find(written_.begin(), written_.end(), path) == written_.end()) {
    written_.push_back(path);
  }
}

std::vector<IoSample> MeasuredStorage::reads() const {
  std::lock_guard lock(mutex_);
  return reads_;
}

std::vector<IoSample> MeasuredStorage::writes() const {
  std::lock_guard lock(mutex_);
  return writes_;
}

void MeasuredStorage::reset() const {
  std::lock_guard lock(mutex_);
  reads_.clear();
  writes_.clear();
}

std::vector<std::string> MeasuredStorage::remove_written() const {
  std::vector<std::string> paths;
  {
    std::lock_guard lock(mutex_);
    paths.swap(written_);
  }
  std::vector<std::string> failed;
  for (const auto& path : paths) {
    try {
      inner_->remove(path);
    } catch (const std::exception& error) {
      failed.push_back(fmt::format("{}: {}", inner_->url(path), error.what()));
    }
  }
  return failed;
}

}  // namespace sluice::bench
