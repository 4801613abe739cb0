#include <fmt/format.h>

#include <sluice/core/datasets/cached_dataset.hpp>

namespace sluice {

CachedDataset::CachedDataset(std::shared_ptr<Dataset> inner) : inner_(std::move(inner)) {
  if (!inner_) {
    throw DatasetError("CachedDataset needs a dataset to wrap");
  }
}

Value CachedDataset::load() {
  {
    std::lock_guard lock(mutex_);
    if (cached_) {
      return cached_;
    }
  }
  Value loaded = inner_->load();
  std::lock_guard lock(mutex_);
  if (!cached_) {
    cached_ = loaded;
  }
  return cached_;
}

void CachedDataset::save(const Value& value) {
  inner_->save(value);
  std::lock_guard lock(mutex_);
  cached_ = value;
}

bool CachedDataset::exists() const {
  {
    std::lock_guard lock(mutex_);
    if (cached_) {
      return true;
    }
  }
  return inner_->exists();
}

void CachedDataset::release() {
  Value dropped;
  {
    std::lock_guard lock(mutex_);
    std::swap(dropped, cached_);
  }
  inner_->release();
}

std::string CachedDataset::describe() const {
  return inner_->describe() + " (cached)";
}

void CachedDataset::held_values(std::vector<Value>& out) const {
  {
    std::lock_guard lock(mutex_);
    if (cached_) {
      out.push_back(cached_);
    }
  }
  inner_->held_values(out);
}

bool CachedDataset::is_cached() const {
  std::lock_guard lock(mutex_);
  return cached_.has_value();
}

}  // namespace sluice
