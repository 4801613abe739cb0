#include <mutex>

#include <sluice/core/datasets/memory_dataset.hpp>

namespace sluice {

Value MemoryDataset::load() {
  std::lock_guard lock(mutex_);
  if (!value_) {
    throw DatasetError(
        "no data: it has not been saved yet, or was released after its last consumer ran");
  }
  return value_;
}

void MemoryDataset::save(const Value& value) {
  std::lock_guard lock(mutex_);
  value_ = value;
}

bool MemoryDataset::exists() const {
  std::lock_guard lock(mutex_);
  return value_.has_value();
}

void MemoryDataset::release() {
  Value dropped;
  std::lock_guard lock(mutex_);
  // The data is freed after the lock is let go, outside the critical section.
  std::swap(dropped, value_);
}

void MemoryDataset::held_values(std::vector<Value>& out) const {
  std::lock_guard lock(mutex_);
  if (value_) {
    out.push_back(value_);
  }
}

void ParameterDataset::save(const Value&) {
  throw DatasetError("parameters are read-only; change them in parameters.yml or with --params");
}

}  // namespace sluice
