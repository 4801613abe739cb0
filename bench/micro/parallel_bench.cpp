// The parallel runner: overhead per node on a 100k-node wide DAG (one input, 100k independent
// no-op nodes) with 1 and 2 workers beside the sequential runner; and speedup on fan-outs of
// 16 nodes that sleep 10 ms (latency-bound) or compute about 10 ms each (CPU-bound).
//
//   build/release/bin/parallel_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true

#include <chrono>
#include <thread>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/log.hpp>
#include <sluice/runners/parallel_runner.hpp>
#include <sluice/runners/sequential_runner.hpp>

namespace {

using namespace std::chrono_literals;

template <class Work>
sluice::Pipeline fan_out(std::size_t width, Work work) {
  std::vector<sluice::Node> nodes;
  nodes.reserve(width);
  for (std::size_t i = 0; i < width; ++i) {
    nodes.push_back(sluice::node(fmt::format("n{}", i), work, "in", fmt::format("out{}", i)));
  }
  return sluice::Pipeline(std::move(nodes));
}

// workers 0: the sequential runner.
std::unique_ptr<sluice::Runner> make_runner(std::int64_t workers) {
  if (workers == 0) {
    return std::make_unique<sluice::SequentialRunner>();
  }
  return std::make_unique<sluice::ParallelRunner>(static_cast<std::size_t>(workers));
}

void run_repeatedly(benchmark::State& state, const sluice::Pipeline& pipeline) {
  sluice::logger().set_level(spdlog::level::warn);
  const auto runner = make_runner(state.range(0));
  sluice::Catalog catalog;
  for (auto _ : state) {
    state.PauseTiming();
    catalog.add("in", std::make_shared<sluice::MemoryDataset>(sluice::Value::of(1)), true);
    state.ResumeTiming();
    auto outputs = runner->run(pipeline, catalog);
    benchmark::DoNotOptimize(outputs);
  }
  state.SetLabel(state.range(0) == 0 ? "sequential" : std::to_string(state.range(0)) + " workers");
}

void BM_WideDag(benchmark::State& state) {
  static const sluice::Pipeline pipeline = fan_out(100'000, [](sluice::Value v) { return v; });
  run_repeatedly(state, pipeline);
  state.counters["per_node"] = benchmark::Counter(
      100'000, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_WideDag)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FanOutSleeping(benchmark::State& state) {
  static const sluice::Pipeline pipeline = fan_out(16, [](int x) {
    std::this_thread::sleep_for(10ms);
    return x;
  });
  run_repeatedly(state, pipeline);
}
BENCHMARK(BM_FanOutSleeping)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Arg(8)
    ->Arg(16)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// A fixed amount of arithmetic (not a wall-clock deadline, which would count time a thread
// spends descheduled): the first power-of-two step count that takes one thread 10 ms or more.
std::uint64_t burn(std::uint64_t steps) {
  std::uint64_t x = 88172645463325252ULL;
  for (std::uint64_t i = 0; i < steps; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  return x;
}

std::uint64_t steps_per_10ms() {
  static const std::uint64_t steps = [] {
    std::uint64_t count = 1 << 16;
    for (;;) {
      const auto start = std::chrono::steady_clock::now();
      benchmark::DoNotOptimize(burn(count));
      if (std::chrono::steady_clock::now() - start >= 10ms) {
        return count;
      }
      count *= 2;
    }
  }();
  return steps;
}

void BM_FanOutSpinning(benchmark::State& state) {
  static const sluice::Pipeline pipeline = fan_out(16, [](int x) {
    benchmark::DoNotOptimize(burn(steps_per_10ms()));
    return x;
  });
  steps_per_10ms();
  run_repeatedly(state, pipeline);
}
BENCHMARK(BM_FanOutSpinning)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Arg(4)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
