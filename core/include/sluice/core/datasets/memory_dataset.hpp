#pragma once

#include <mutex>

#include <sluice/core/dataset.hpp>

namespace sluice {

/// Holds a Value in memory. Saving and loading pass the shared data; nothing is copied.
/// The default for datasets not named in the catalog.
class SLUICE_API MemoryDataset : public Dataset {
 public:
  MemoryDataset() = default;
  explicit MemoryDataset(Value value) : value_(std::move(value)) {}

  Value load() override;
  void save(const Value& value) override;
  bool exists() const override;
  void release() override;
  std::string dataset_type() const override { return "MemoryDataset"; }
  bool is_ephemeral() const override { return true; }
  void held_values(std::vector<Value>& out) const override;

 private:
  mutable std::mutex mutex_;
  Value value_;
};

/// A parameter (`parameters`, `params:x`): read-only, never released, and a resume point
/// because it is rebuilt from configuration on every run.
class SLUICE_API ParameterDataset : public Dataset {
 public:
  explicit ParameterDataset(Value value) : value_(std::move(value)) {}

  Value load() override { return value_; }
  void save(const Value& value) override;
  bool exists() const override { return true; }
  std::string dataset_type() const override { return "ParameterDataset"; }

 private:
  const Value value_;
};

}  // namespace sluice
