#include <gtest/gtest.h>

#include <sluice/bench/lower_bound.hpp>
#include <sluice/bench/slow_storage.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>

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

}  // namespace
}  // namespace sluice
