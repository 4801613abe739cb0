#include <fmt/format.h>

#include <sluice/core/clock.hpp>
#include <sluice/core/datasets/file_dataset.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/util/files.hpp>

#include "writer_lock.hpp"

namespace sluice {
namespace fs = std::filesystem;

FileDataset::FileDataset(fs::path filepath, Versioning versioning)
    : filepath_(std::move(filepath)), versioning_(std::move(versioning)) {
  if (filepath_.empty()) {
    throw ConfigError("a file dataset needs a non-empty filepath");
  }
  if (versioning_.enabled && versioning_.save_version.empty()) {
    versioning_.save_version = make_run_id(system_clock());
  }
}

fs::path FileDataset::load_path() const {
  if (!versioning_.enabled) {
    return filepath_;
  }
  if (!versioning_.load_version.empty()) {
    return filepath_ / versioning_.load_version / filepath_.filename();
  }
  if (saved_.load()) {
    return save_path();  // this run's version, not a newer one another run saved since
  }
  // Version stamps sort by time as text, so the greatest name with the file in it is the latest.
  std::string latest;
  std::error_code error;
  for (fs::directory_iterator it(filepath_, error), end; !error && it != end; it.increment(error)) {
    const std::string version = it->path().filename().string();
    if (version > latest && fs::exists(it->path() / filepath_.filename())) {
      latest = version;
    }
  }
  if (latest.empty()) {
    throw DatasetError(
        fmt::format("no saved versions of '{}' under '{}'; run the node that "
                    "produces it first, or check the filepath",
                    filepath_.filename().string(), filepath_.string()));
  }
  return filepath_ / latest / filepath_.filename();
}

fs::path FileDataset::save_path() const {
  if (!versioning_.enabled) {
    return filepath_;
  }
  return filepath_ / versioning_.save_version / filepath_.filename();
}

Value FileDataset::load() {
  const fs::path path = load_path();
  return decode(read_file(path), path);
}

void FileDataset::save(const Value& value) {
  const fs::path path = save_path();
  if (!versioning_.enabled) {
    {
      const std::lock_guard guard(claim_mutex_);
      if (!claim_) {
        claim_ = detail::claim_for_writing(path, versioning_.save_version);
      }
    }
    write_file_atomically(path, encode(value));
    return;
  }
  if (!write_new_file_atomically(path, encode(value))) {
    throw DatasetError(fmt::format(
        "version '{}' of '{}' already exists; versions are never overwritten (save under a new "
        "version)",
        versioning_.save_version, filepath_.string()));
  }
  saved_.store(true);
}

bool FileDataset::exists() const {
  try {
    return fs::is_regular_file(load_path());
  } catch (const DatasetError&) {
    return false;
  }
}

std::string FileDataset::describe() const {
  std::string options = fmt::format("filepath={}", filepath_.string());
  if (versioning_.enabled) {
    options +=
        fmt::format(", version={}", versioning_.load_version.empty() ? std::string("latest")
                                                                     : versioning_.load_version);
  }
  if (std::string extra = describe_options(); !extra.empty()) {
    options += ", " + extra;
  }
  return fmt::format("{}({})", dataset_type(), options);
}

}  // namespace sluice
