// Sequential runner overhead per node on chains of no-op nodes, 1k to 1M nodes (issue 14,
// target 1): the CPU time per node at 1M must stay within 1.3x of that at 1k (Kedro's runner
// grows quadratically), within 3x of a plain loop over a vector of std::function (the floor of
// any runner that calls a type-erased function per node), and a run must make no heap
// allocation per node once the catalog knows the pipeline's datasets.
//
//   build/release/bin/runner_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true
//
// Counters: per_node (CPU time per node), allocs_per_node (operator new calls per node in the
// timed runs: this binary counts them, see counting_new.hpp), and for BM_SequentialVsFunctions
// sluice_ns / functions_ns (thread CPU time per node, both in the same iteration) and ratio.

#include <ctime>
#include <functional>

#include "chain.hpp"
#include "counting_new.hpp"

namespace {

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

void report_allocations(benchmark::State& state, std::size_t allocations, std::size_t nodes) {
  state.counters["allocs_per_node"] =
      static_cast<double>(allocations) /
      (static_cast<double>(state.iterations()) * static_cast<double>(nodes));
}

// One run of the chain (d0 put back first: the free input is released after its consumer).
// The first run registers the intermediates and binds the pipeline's datasets in the catalog.
void run_chain(sluice::SequentialRunner& runner, const sluice::Pipeline& pipeline,
               sluice::Catalog& catalog, const sluice::Value& input) {
  catalog.add("d0", std::make_shared<sluice::MemoryDataset>(), true);
  catalog.save("d0", input);
  auto outputs = runner.run(pipeline, catalog);
  benchmark::DoNotOptimize(outputs);
}

void BM_SequentialChain(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const sluice::Pipeline pipeline = sluice::micro::no_op_chain(count);
  sluice::Catalog catalog;
  sluice::logger().set_level(spdlog::level::warn);
  sluice::SequentialRunner runner;
  const sluice::Value input = sluice::Value::of(1);
  run_chain(runner, pipeline, catalog, input);  // the catalog learns the intermediates
  std::size_t allocations = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // Saved into the same dataset: replacing it would make the run refresh its binding
    // (O(datasets) pointer copies, no hashing).
    catalog.save("d0", input);
    const std::size_t before = sluice::micro::allocations.load();
    state.ResumeTiming();
    auto outputs = runner.run(pipeline, catalog);
    benchmark::DoNotOptimize(outputs);
    state.PauseTiming();
    allocations += sluice::micro::allocations.load() - before;
    outputs = {};
    state.ResumeTiming();
  }
  state.counters["per_node"] =
      benchmark::Counter(static_cast<double>(count), benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
  report_allocations(state, allocations, count);
}
BENCHMARK(BM_SequentialChain)
    ->Arg(1'000)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond);

// The reference: the chain's functions as a vector of std::function called in order, each
// passing the value on, as a runner with nothing to schedule would.
std::vector<std::function<sluice::Value(const sluice::Value&)>> function_chain(std::size_t count) {
  std::vector<std::function<sluice::Value(const sluice::Value&)>> functions;
  functions.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    functions.emplace_back([](const sluice::Value& value) { return value; });
  }
  return functions;
}

sluice::Value call_in_order(
    const std::vector<std::function<sluice::Value(const sluice::Value&)>>& functions,
    sluice::Value value) {
  for (const auto& function : functions) {
    value = function(value);
  }
  return value;
}

void BM_FunctionVector(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const auto functions = function_chain(count);
  const sluice::Value input = sluice::Value::of(1);
  for (auto _ : state) {
    benchmark::DoNotOptimize(call_in_order(functions, input));
  }
  state.counters["per_node"] =
      benchmark::Counter(static_cast<double>(count), benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
}
BENCHMARK(BM_FunctionVector)
    ->Arg(1'000)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond);

// The sequential runner and the function vector in turn every iteration (thread CPU time of
// each): ratio = sluice / functions, solid on a noisy machine. The manual time is the runner's.
void BM_SequentialVsFunctions(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const sluice::Pipeline pipeline = sluice::micro::no_op_chain(count);
  const auto functions = function_chain(count);
  sluice::Catalog catalog;
  sluice::logger().set_level(spdlog::level::warn);
  sluice::SequentialRunner runner;
  const sluice::Value input = sluice::Value::of(1);
  run_chain(runner, pipeline, catalog, input);
  double sluice_seconds = 0;
  double function_seconds = 0;
  for (auto _ : state) {
    catalog.save("d0", input);
    double start = thread_cpu_seconds();
    {
      auto outputs = runner.run(pipeline, catalog);
      benchmark::DoNotOptimize(outputs);
    }
    const double sluice_time = thread_cpu_seconds() - start;
    sluice_seconds += sluice_time;
    start = thread_cpu_seconds();
    benchmark::DoNotOptimize(call_in_order(functions, input));
    function_seconds += thread_cpu_seconds() - start;
    // The runner's time paces the iterations (the loop's is ~20x shorter).
    state.SetIterationTime(sluice_time);
  }
  const double per_node =
      1e9 / static_cast<double>(state.iterations()) / static_cast<double>(count);
  state.counters["sluice_ns"] = sluice_seconds * per_node;
  state.counters["functions_ns"] = function_seconds * per_node;
  state.counters["ratio"] = sluice_seconds / function_seconds;
}
BENCHMARK(BM_SequentialVsFunctions)
    ->Arg(1'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();

// The same chain with 4 no-op hooks listening to every event (7 events per node): the
// difference to BM_SequentialChain is what the hooks cost per node (issue 14, target <= 100 ns).
void BM_SequentialChainWith4NoOpHooks(benchmark::State& state) {
  const sluice::Pipeline pipeline =
      sluice::micro::no_op_chain(static_cast<std::size_t>(state.range(0)));
  sluice::Catalog catalog = sluice::micro::catalog_with_no_op_hooks(4);
  sluice::micro::time_chain_runs(state, pipeline, catalog);
}
BENCHMARK(BM_SequentialChainWith4NoOpHooks)
    ->Arg(1'000)
    ->Arg(100'000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
