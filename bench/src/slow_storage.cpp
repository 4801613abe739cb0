#include <fmt/format.h>

#include <sluice/bench/slow_storage.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/util/units.hpp>

namespace sluice::bench {

SlowDataset::SlowDataset(std::shared_ptr<Dataset> inner, StorageProfile profile, const Clock& clock,
                         std::shared_ptr<StorageStats> stats)
    : inner_(std::move(inner)),
      profile_(profile),
      clock_(clock),
      stats_(std::move(stats)),
      random_(profile.seed) {}

void SlowDataset::operate(Clock::duration latency, std::uint64_t bytes, const char* verb) {
  double jitter_fraction = 0;
  bool fails = false;
  {
    std::lock_guard lock(random_mutex_);
    jitter_fraction = std::uniform_real_distribution<double>(0, 1)(random_);
    fails = profile_.failure_rate > 0 &&
            std::uniform_real_distribution<double>(0, 1)(random_) < profile_.failure_rate;
  }
  Clock::duration wait = latency;
  if (profile_.bandwidth > 0) {
    wait += std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(static_cast<double>(bytes) / profile_.bandwidth));
  }
  wait += std::chrono::duration_cast<Clock::duration>(profile_.jitter * jitter_fraction);
  clock_.sleep_for(wait);
  if (fails) {
    ++stats_->failures;
    throw DatasetError(fmt::format("simulated storage failure while trying to {} (failure rate {})",
                                   verb, profile_.failure_rate));
  }
}

Value SlowDataset::load() {
  // The size is known only after reading: latency and jitter first, then the transfer.
  operate(profile_.read_latency, 0, "read");
  Value value = inner_->load();
  if (profile_.bandwidth > 0) {
    clock_.sleep_for(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
        static_cast<double>(value.byte_size()) / profile_.bandwidth)));
  }
  ++stats_->reads;
  return value;
}

void SlowDataset::save(const Value& value) {
  operate(profile_.write_latency, value.byte_size(), "write");
  inner_->save(value);
  ++stats_->writes;
}

std::string SlowDataset::describe() const {
  return fmt::format("{} on slow storage", inner_->describe());
}

namespace {

// splitmix64 over the run seed and an FNV-1a hash of the dataset's name.
std::uint64_t dataset_seed(std::uint64_t seed, std::string_view name) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const unsigned char byte : name) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;
  }
  std::uint64_t z = seed + hash + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31U);
}

}  // namespace

void slow_down(Catalog& catalog, StorageProfile profile, const Clock& clock,
               std::shared_ptr<StorageStats> stats) {
  for (const auto& name : catalog.list()) {
    auto dataset = catalog.get(name);
    if (!dataset->is_ephemeral() && !Catalog::is_parameter(name) &&
        dynamic_cast<const SlowDataset*>(dataset.get()) == nullptr) {
      StorageProfile own = profile;
      own.seed = dataset_seed(profile.seed, name);
      catalog.add(name, std::make_shared<SlowDataset>(std::move(dataset), own, clock, stats), true);
    }
  }
}

StorageProfile read_storage_profile(OptionReader& options) {
  StorageProfile profile;
  profile.read_latency = options.duration("read_latency", {});
  profile.write_latency = options.duration("write_latency", profile.read_latency);
  profile.jitter = options.duration("jitter", {});
  if (const auto bandwidth = options.optional_string("bandwidth")) {
    profile.bandwidth = parse_rate(*bandwidth, options.where("bandwidth"));
  }
  return profile;
}

void register_dataset_types(Registrar& registrar) {
  registrar.add_dataset_type("SimulatedStorage", [](const DatasetContext& context) {
    DatasetOptions options(context, "SimulatedStorage");
    StorageProfile profile = read_storage_profile(options);
    profile.failure_rate = options.number("failure_rate", 0);
    profile.seed = static_cast<std::uint64_t>(options.integer("seed", 0));
    const Param* inner = options.optional_map("dataset");
    options.finish();
    if (profile.failure_rate < 0 || profile.failure_rate > 1) {
      throw ConfigError(fmt::format("{}: must be between 0 and 1 (got {})",
                                    options.where("failure_rate"), profile.failure_rate));
    }
    std::shared_ptr<Dataset> backing;
    if (inner != nullptr) {
      backing = create_nested_dataset(context, *inner, options.where("dataset"));
    }
    const Clock& clock = context.clock != nullptr ? *context.clock : system_clock();
    if (backing == nullptr || backing->is_ephemeral()) {  // memory, standing for storage
      return std::make_shared<SlowDataset>(
          std::make_shared<StoredDataset>(Value(), "SimulatedStorage"), profile, clock);
    }
    return std::make_shared<SlowDataset>(std::move(backing), profile, clock);
  });
}

}  // namespace sluice::bench
