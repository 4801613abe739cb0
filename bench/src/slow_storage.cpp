#include <fmt/format.h>

#include <sluice/bench/slow_storage.hpp>

namespace sluice::bench {

SlowDataset::SlowDataset(std::shared_ptr<Dataset> inner, StorageProfile profile, const Clock& clock)
    : inner_(std::move(inner)), profile_(profile), clock_(clock) {}

Value SlowDataset::load() {
  clock_.sleep_for(profile_.read_latency);
  return inner_->load();
}

void SlowDataset::save(const Value& value) {
  clock_.sleep_for(profile_.write_latency);
  inner_->save(value);
}

std::string SlowDataset::describe() const {
  return fmt::format("{} on slow storage", inner_->describe());
}

void slow_down(Catalog& catalog, StorageProfile profile, const Clock& clock) {
  for (const auto& name : catalog.list()) {
    auto dataset = catalog.get(name);
    if (!dataset->is_ephemeral() && !Catalog::is_parameter(name)) {
      catalog.add(name, std::make_shared<SlowDataset>(std::move(dataset), profile, clock), true);
    }
  }
}

}  // namespace sluice::bench
