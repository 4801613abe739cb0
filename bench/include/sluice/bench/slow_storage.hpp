#pragma once

#include <chrono>
#include <memory>

#include <sluice/core/catalog.hpp>
#include <sluice/core/clock.hpp>
#include <sluice/core/dataset.hpp>

namespace sluice::bench {

/// Latencies applied to every persisted dataset, in simulated time.
struct StorageProfile {
  Clock::duration read_latency{};
  Clock::duration write_latency{};
};

/// A dataset on simulated slow storage: each load and save first sleeps for the profile's
/// latency on the clock (scaled in benchmarks), then reads or writes the real data.
class SlowDataset final : public Dataset {
 public:
  SlowDataset(std::shared_ptr<Dataset> inner, StorageProfile profile, const Clock& clock);

  Value load() override;
  void save(const Value& value) override;
  bool exists() const override { return inner_->exists(); }
  void release() override { inner_->release(); }
  std::string dataset_type() const override { return inner_->dataset_type(); }
  std::string describe() const override;
  bool is_ephemeral() const override { return inner_->is_ephemeral(); }

 private:
  std::shared_ptr<Dataset> inner_;
  StorageProfile profile_;
  const Clock& clock_;
};

/// Puts every persisted (non-ephemeral, non-parameter) dataset of the catalog on slow storage.
void slow_down(Catalog& catalog, StorageProfile profile, const Clock& clock);

}  // namespace sluice::bench
