#pragma once

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>

#include <sluice/core/datasets/memory_dataset.hpp>

namespace sluice::testing {

/// A persisted (non-ephemeral) in-memory dataset that counts calls and can be told to fail.
class RecordingDataset : public Dataset {
 public:
  explicit RecordingDataset(Value initial = {}) {
    if (initial) {
      store_.save(initial);
    }
  }

  Value load() override {
    ++loads;
    if (fail_load) {
      throw std::runtime_error("disk on fire");
    }
    return store_.load();
  }
  void save(const Value& value) override {
    ++saves;
    if (fail_save) {
      throw std::runtime_error("disk full");
    }
    store_.save(value);
  }
  bool exists() const override { return store_.exists(); }
  void release() override { ++releases; }
  std::string dataset_type() const override { return "RecordingDataset"; }
  void prepare_save() override { ++prepares; }

  std::atomic<int> loads{0}, saves{0}, releases{0}, prepares{0};
  bool fail_load = false;
  bool fail_save = false;

 private:
  MemoryDataset store_;
};

}  // namespace sluice::testing
