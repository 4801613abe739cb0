#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/bench/lower_bound.hpp>
#include <sluice/bench/slow_storage.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/registry.hpp>

#include "support/pass_node.hpp"
#include "support/recording_dataset.hpp"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::pass;

bench::BoundInputs everything_persisted(double r, double w) {
  bench::BoundInputs inputs;
  inputs.read_latency = r;
  inputs.write_latency = w;
  inputs.persisted = [](const std::string& dataset) { return dataset.rfind("params:", 0) != 0; };
  return inputs;
}

TEST(LowerBound, ReadThenComputeThenTheLastWrite) {
  // raw -> split -> {a, b}; a -> predict -> p; {p, b} -> report (no outputs)
  const Pipeline iris_like{pass("split", {"raw", "params:x"}, {"a", "b"}),
                           pass("predict", "a", "p"), pass("report", {"p", "b"}, {})};
  auto inputs = everything_persisted(10, 10);
  EXPECT_DOUBLE_EQ(bench::lower_bound(iris_like, inputs), 20);  // r + w: writes overlap
  inputs.compute = {{"split", 1}, {"predict", 2}, {"report", 3}};
  EXPECT_DOUBLE_EQ(bench::lower_bound(iris_like, inputs), 23);  // 10 + 1 + 2 + 10
  inputs.read_latency = inputs.write_latency = 0;
  inputs.workers = 1;
  EXPECT_DOUBLE_EQ(bench::lower_bound(iris_like, inputs), 6);  // the compute path
}

TEST(LowerBound, TotalComputeOverWorkersBoundsWideDags) {
  const Pipeline wide{pass("a", "in", "x"), pass("b", "in", "y"), pass("c", "in", "z"),
                      pass("d", "in", "w")};
  auto inputs = everything_persisted(0, 0);
  inputs.compute = {{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}};
  inputs.workers = 2;
  EXPECT_DOUBLE_EQ(bench::lower_bound(wide, inputs), 2);
}

TEST(LowerBound, BandwidthAddsTheTransferOfEachReadAndWrite) {
  // raw (100 MB) -> a -> x (10 MB) -> b -> y (50 MB), at 10 MB/s
  const Pipeline chain{pass("a", "raw", "x"), pass("b", "x", "y")};
  auto inputs = everything_persisted(1, 2);
  inputs.bandwidth = 10e6;
  inputs.bytes = {{"raw", 100'000'000}, {"x", 10'000'000}, {"y", 50'000'000}};
  // read raw: 1 + 10; y is written last: + 2 + 5 (x's write, 2 + 1, ends earlier)
  EXPECT_DOUBLE_EQ(bench::lower_bound(chain, inputs), 18);
  inputs.bandwidth = 0;  // unlimited: sizes do not matter
  EXPECT_DOUBLE_EQ(bench::lower_bound(chain, inputs), 3);
}

TEST(SlowStorage, EveryPersistedLoadAndSaveWaitsOnTheClock) {
  const ManualClock clock;
  Catalog catalog;
  catalog.add("persisted", std::make_shared<testing::RecordingDataset>(Value::of(1)));
  catalog.add("scratch", std::make_shared<MemoryDataset>(Value::of(1)));
  bench::slow_down(catalog, {.read_latency = 10s, .write_latency = 3s}, clock);
  catalog.load("persisted");
  EXPECT_EQ(clock.now(), 10s);
  catalog.save("persisted", Value::of(2));
  EXPECT_EQ(clock.now(), 13s);
  catalog.load("scratch");  // memory is not slowed down
  EXPECT_EQ(clock.now(), 13s);
  EXPECT_EQ(catalog.get("persisted")->dataset_type(), "RecordingDataset");
}

TEST(SlowStorage, BandwidthAndJitterAddToTheLatencyAndOperationsAreCounted) {
  const ManualClock clock;
  auto stats = std::make_shared<bench::StorageStats>();
  bench::StorageProfile profile{.read_latency = 1s, .write_latency = 2s, .bandwidth = 1000};
  bench::SlowDataset dataset(std::make_shared<testing::RecordingDataset>(), profile, clock, stats);
  const Value value = Value::of(std::vector<char>(4000));  // about 4 s at 1000 B/s
  dataset.save(value);
  const auto after_save = clock.now();
  EXPECT_GE(after_save, 2s + 4s);
  EXPECT_LT(after_save, 2s + 5s);
  dataset.load();
  EXPECT_GE(clock.now() - after_save, 1s + 4s);
  EXPECT_EQ(stats->reads, 1U);
  EXPECT_EQ(stats->writes, 1U);

  const ManualClock jittery;
  bench::SlowDataset with_jitter(std::make_shared<MemoryDataset>(Value::of(1)),
                                 {.read_latency = 1s, .jitter = 1s, .seed = 7}, jittery);
  for (int i = 0; i < 100; ++i) {
    const auto before = jittery.now();
    with_jitter.load();
    EXPECT_GE(jittery.now() - before, 1s);
    EXPECT_LE(jittery.now() - before, 2s);
  }
}

TEST(SlowStorage, FailuresFollowTheRateAndTheSeed) {
  auto failures_for = [](std::uint64_t seed) {
    const ManualClock clock;
    auto stats = std::make_shared<bench::StorageStats>();
    bench::SlowDataset dataset(std::make_shared<MemoryDataset>(Value::of(1)),
                               {.failure_rate = 0.25, .seed = seed}, clock, stats);
    for (int i = 0; i < 2000; ++i) {
      try {
        dataset.load();
      } catch (const DatasetError& error) {
        EXPECT_THAT(error.what(), ::testing::HasSubstr("simulated storage failure"));
      }
    }
    return stats->failures.load();
  };
  const auto failures = failures_for(42);
  EXPECT_EQ(failures, failures_for(42));  // the same seed fails the same operations
  EXPECT_GT(failures, 400U);              // 25% of 2000 = 500
  EXPECT_LT(failures, 600U);
}

TEST(SlowStorage, EachDatasetFailsOnItsOwnSeed) {
  // Which of 64 loads of each dataset fail, after slow_down with one run seed.
  auto failure_patterns = [](std::uint64_t seed) {
    const ManualClock clock;
    Catalog catalog;
    for (const char* name : {"a", "b", "c"}) {
      catalog.add(name, std::make_shared<testing::RecordingDataset>(Value::of(1)));
    }
    bench::slow_down(catalog, {.failure_rate = 0.5, .seed = seed}, clock);
    std::map<std::string, std::string> patterns;
    for (const char* name : {"a", "b", "c"}) {
      for (int i = 0; i < 64; ++i) {
        try {
          catalog.load(name);
          patterns[name] += '.';
        } catch (const DatasetError&) {
          patterns[name] += 'x';
        }
      }
    }
    return patterns;
  };
  const auto patterns = failure_patterns(42);
  EXPECT_NE(patterns.at("a"), patterns.at("b"));
  EXPECT_NE(patterns.at("b"), patterns.at("c"));
  EXPECT_NE(patterns.at("a"), patterns.at("c"));
  EXPECT_EQ(patterns, failure_patterns(42));  // still reproducible from the run seed
  EXPECT_NE(patterns, failure_patterns(43));
}

// Catalogs from YAML with the SimulatedStorage type, on a manual clock.
struct SimulatedStorageCatalogs {
  SimulatedStorageCatalogs() {
    register_builtins(registry);
    Registrar registrar(registry);
    bench::register_dataset_types(registrar);
    options.clock = &clock;
  }
  Catalog make(const std::string& yaml) const {
    return make_catalog(parse_yaml(yaml, "catalog.yml"), Param(), Param(), registry, options);
  }

  Registry registry;
  const ManualClock clock;
  CatalogOptions options;
};

TEST(SlowStorage, UsableFromYamlWithDurationsAndRates) {
  const SimulatedStorageCatalogs catalogs;
  const ManualClock& clock = catalogs.clock;
  Catalog catalog = catalogs.make(
      "slow:\n  type: SimulatedStorage\n  read_latency: 10s\n  write_latency: 250ms\n");
  EXPECT_FALSE(catalog.get("slow")->is_ephemeral());  // it simulates persisted storage
  catalog.save("slow", Value::of(1));
  EXPECT_EQ(clock.now(), 250ms);
  catalog.load("slow");
  EXPECT_EQ(clock.now(), 10250ms);
  EXPECT_THAT([&] { catalogs.make("s:\n  type: SimulatedStorage\n  read_latency: 10\n"); },
              ::testing::ThrowsMessage<ConfigError>(::testing::HasSubstr("250ms, 10s, 1.5m")));
}

TEST(SlowStorage, ABenchProfileAndASimulatedStorageDatasetReadTheSameOptionsAlike) {
  // Only a read latency: in both, writing takes as long as reading (README, SimulatedStorage).
  const Param options = parse_yaml("read_latency: 2s\njitter: 0s\n", "bench.yml");
  OptionReader reader(options, "storage profile 'tape'");
  const bench::StorageProfile profile = bench::read_storage_profile(reader);
  reader.finish();
  EXPECT_EQ(profile.read_latency, 2s);
  EXPECT_EQ(profile.write_latency, 2s);

  const SimulatedStorageCatalogs catalogs;
  const ManualClock& clock = catalogs.clock;
  Catalog catalog =
      catalogs.make("slow:\n  type: SimulatedStorage\n  read_latency: 2s\n  jitter: 0s\n");
  catalog.save("slow", Value::of(1));
  EXPECT_EQ(clock.now(), profile.write_latency);
  catalog.load("slow");
  EXPECT_EQ(clock.now(), profile.write_latency + profile.read_latency);
}

TEST(SlowStorage, AnErrorInsideItsNestedDatasetNamesTheNestedLine) {
  Registry registry;
  register_builtins(registry);
  Registrar registrar(registry);
  bench::register_dataset_types(registrar);
  EXPECT_THAT(
      [&] {
        make_catalog(parse_yaml("slow:\n  type: SimulatedStorage\n  read_latency: 1s\n  dataset:\n"
                                "    type: CSVDatset\n    filepath: x.csv\n",
                                "catalog.yml"),
                     Param(), Param(), registry);
      },
      ::testing::ThrowsMessage<ConfigError>(
          ::testing::HasSubstr("catalog.yml:5:5: dataset 'slow': unknown type 'CSVDatset' (did "
                               "you mean 'CSVDataset'?)")));
}

}  // namespace
}  // namespace sluice
