#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>

#include <sluice/core/catalog.hpp>
#include <sluice/core/clock.hpp>
#include <sluice/core/dataset.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/plugin.hpp>

namespace sluice::bench {

/// How slow the simulated storage is. Times are simulated: they go through the clock, so a
/// time scale applies.
struct StorageProfile {
  Clock::duration read_latency{};
  Clock::duration write_latency{};
  /// Bytes per second added per byte moved (by sluice::byte_size); 0: unlimited.
  double bandwidth = 0;
  /// Each operation waits up to this much longer, uniformly at random (seeded).
  Clock::duration jitter{};
  /// Probability that an operation fails (seeded), in [0, 1].
  double failure_rate = 0;
  std::uint64_t seed = 0;
};

/// Reads the options of a storage profile, the one way both of its spellings are read (a
/// `storage:` profile of bench.yml, a SimulatedStorage dataset): `read_latency`, `write_latency`
/// (default: the read latency), `jitter` (durations: 250ms, 10s, 1.5m) and `bandwidth` (a rate:
/// 100MB/s; default: unlimited). The caller reads its own options, then calls finish().
StorageProfile read_storage_profile(OptionReader& options);

/// Operation counts over every dataset of one simulated storage. Thread-safe.
struct StorageStats {
  std::atomic<std::uint64_t> reads{0};
  std::atomic<std::uint64_t> writes{0};
  std::atomic<std::uint64_t> failures{0};
};

/// A dataset on simulated slow storage: each load and save first waits (on the clock) for the
/// latency, the transfer time at the bandwidth and the jitter, may fail at the configured rate,
/// then reads or writes the real data of the wrapped dataset (memory or files).
class SlowDataset final : public Dataset {
 public:
  SlowDataset(std::shared_ptr<Dataset> inner, StorageProfile profile, const Clock& clock,
              std::shared_ptr<StorageStats> stats = std::make_shared<StorageStats>());

  Value load() override;
  void save(const Value& value) override;
  bool exists() const override { return inner_->exists(); }
  void release() override { inner_->release(); }
  std::string dataset_type() const override { return inner_->dataset_type(); }
  std::string describe() const override;
  bool is_ephemeral() const override { return inner_->is_ephemeral(); }
  /// Free, as the simulation charges one write latency per save and nothing for a claim.
  void prepare_save() override { inner_->prepare_save(); }

  const StorageStats& stats() const { return *stats_; }

 private:
  // Waits for one operation moving `bytes`; throws DatasetError when it is drawn to fail.
  void operate(Clock::duration latency, std::uint64_t bytes, const char* verb);

  std::shared_ptr<Dataset> inner_;
  StorageProfile profile_;
  const Clock& clock_;
  std::shared_ptr<StorageStats> stats_;
  std::mutex random_mutex_;
  std::mt19937_64 random_;
};

/// Data kept in memory that stands for persisted data: the medium behind simulated storage
/// (not ephemeral, so strategies treat it as storage; release keeps it, as a file would stay;
/// held_values reports nothing, since it simulates storage, not memory).
class StoredDataset final : public Dataset {
 public:
  explicit StoredDataset(Value value = {}, std::string type = "StoredDataset")
      : memory_(std::move(value)), type_(std::move(type)) {}

  Value load() override { return memory_.load(); }
  void save(const Value& value) override { memory_.save(value); }
  bool exists() const override { return memory_.exists(); }
  std::string dataset_type() const override { return type_; }

 private:
  MemoryDataset memory_;  // its release and held_values are not forwarded: this is storage
  std::string type_;
};

/// Puts every persisted (non-ephemeral, non-parameter) dataset of the catalog on slow storage,
/// counting operations in `stats`. Datasets already on simulated storage keep their own. Each
/// dataset draws its jitter and failures from its own seed, derived from `profile.seed` and its
/// name, so failures are independent across datasets yet the same from run to run.
void slow_down(Catalog& catalog, StorageProfile profile, const Clock& clock,
               std::shared_ptr<StorageStats> stats = std::make_shared<StorageStats>());

/// Registers the dataset type "SimulatedStorage" for YAML:
///
///   model_input:
///     type: SimulatedStorage
///     read_latency: 10s          # durations: 250ms, 10s, 1.5m
///     write_latency: 10s         # default: the read latency
///     bandwidth: 100MB/s         # optional
///     jitter: 1s                 # optional
///     failure_rate: 0.01         # optional, with seed
///     seed: 42
///     dataset: {type: BinaryDataset, filepath: data/model_input.bin}   # default: memory
void register_dataset_types(Registrar& registrar);

}  // namespace sluice::bench
