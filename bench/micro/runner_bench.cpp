// Sequential runner overhead per node on chains of no-op nodes. The per-node time must stay
// flat as the chain grows from 1k to 100k nodes (Kedro's runner grows quadratically).
//
//   build/release/bin/runner_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true

#include <string>

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/log.hpp>
#include <sluice/runners/sequential_runner.hpp>

namespace {

sluice::Pipeline no_op_chain(std::size_t length) {
  std::vector<sluice::Node> nodes;
  nodes.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    nodes.push_back(sluice::node(
        "n" + std::to_string(i), [](sluice::Value v) { return v; }, "d" + std::to_string(i),
        "d" + std::to_string(i + 1)));
  }
  return sluice::Pipeline(std::move(nodes));
}

void BM_SequentialChain(benchmark::State& state) {
  sluice::logger().set_level(spdlog::level::warn);
  const auto length = static_cast<std::size_t>(state.range(0));
  const sluice::Pipeline pipeline = no_op_chain(length);
  sluice::Catalog catalog;
  sluice::SequentialRunner runner;
  const sluice::Value input = sluice::Value::of(1);
  for (auto _ : state) {
    state.PauseTiming();
    // The free input is released after its consumer, so it is put back for every run.
    catalog.add("d0", std::make_shared<sluice::MemoryDataset>(input), true);
    state.ResumeTiming();
    auto outputs = runner.run(pipeline, catalog);
    benchmark::DoNotOptimize(outputs);
  }
  state.counters["per_node"] = benchmark::Counter(
      static_cast<double>(length),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SequentialChain)
    ->Arg(1'000)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(200'000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
