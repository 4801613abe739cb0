// Passing a Value between nodes must cost the same for 1 KiB and 100 MiB: copies share data.
//
//   build/release/bin/value_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true

#include <vector>

#include <benchmark/benchmark.h>

#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/node.hpp>

namespace {

// Copy a Value, as a runner does when it hands an output to the next node.
void BM_ValueCopy(benchmark::State& state) {
  const sluice::Value value =
      sluice::Value::of(std::vector<char>(static_cast<std::size_t>(state.range(0)), 'x'));
  for (auto _ : state) {
    sluice::Value copy = value;
    benchmark::DoNotOptimize(copy);
  }
  state.SetLabel(std::to_string(state.range(0) >> 10) + " KiB");
}
BENCHMARK(BM_ValueCopy)->Arg(1 << 10)->Arg(1 << 20)->Arg(100 << 20);

// Save to a MemoryDataset, load it back, and run a node taking `const std::vector<char>&`.
void BM_ValueThroughDatasetAndNode(benchmark::State& state) {
  const sluice::Value value =
      sluice::Value::of(std::vector<char>(static_cast<std::size_t>(state.range(0)), 'x'));
  sluice::MemoryDataset dataset;
  const sluice::Node consumer = sluice::node(
      "size", [](const std::vector<char>& data) { return data.size(); }, "data", "size");
  for (auto _ : state) {
    dataset.save(value);
    auto outputs = consumer.run({dataset.load()});
    benchmark::DoNotOptimize(outputs);
  }
  state.SetLabel(std::to_string(state.range(0) >> 10) + " KiB");
}
BENCHMARK(BM_ValueThroughDatasetAndNode)->Arg(1 << 10)->Arg(1 << 20)->Arg(100 << 20);

}  // namespace
