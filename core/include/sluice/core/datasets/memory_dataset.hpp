#pragma once

#include <atomic>
#include <cstdint>

#include <sluice/core/dataset.hpp>

namespace sluice {

/// A mutex of 4 bytes (std::mutex takes 40) for critical sections of a few instructions:
/// takes the lock with one atomic exchange, and waits (std::atomic::wait, a futex on Linux)
/// only while another thread holds it. Satisfies BasicLockable (std::lock_guard).
class SLUICE_API SmallMutex {
 public:
  void lock() noexcept {
    while (state_.exchange(kLocked, std::memory_order_acquire) != kFree) {
      state_.wait(kLocked, std::memory_order_relaxed);
    }
  }
  void unlock() noexcept {
    state_.store(kFree, std::memory_order_release);
    state_.notify_one();
  }

 private:
  static constexpr std::uint32_t kFree = 0;
  static constexpr std::uint32_t kLocked = 1;
  std::atomic<std::uint32_t> state_{kFree};
};

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
  mutable SmallMutex mutex_;  // a pipeline of 1M nodes has 1M of these
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
