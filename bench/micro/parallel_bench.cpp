// The parallel runner: overhead per node on a 100k-node wide DAG (one input, 100k independent
// no-op nodes) with 1 and 2 workers beside the sequential runner; and speedup on fan-outs of
// 16 nodes that sleep 10 ms (latency-bound) or compute about 10 ms each (CPU-bound).
//
// Issue 14, target 4 (interleaved ratios, measured in the same iteration):
// BM_OneWorkerVsSequential (parallel runner with 1 worker / sequential, per node, on a no-op
// chain and a random DAG), BM_TwoWorkersVsOne (speed-up on CPU-bound 100 us nodes) and
// BM_AsyncVsSync (--async / sync on memory datasets, 4 inputs and 4 outputs per node).
//
//   build/release/bin/parallel_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true

#include <algorithm>
#include <chrono>
#include <ctime>
#include <thread>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/log.hpp>
#include <sluice/runners/parallel_runner.hpp>
#include <sluice/runners/sequential_runner.hpp>

#include "random_dag.hpp"

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

// Wall and process CPU (every thread) seconds of one run.
struct Cost {
  double wall = 0;
  double cpu = 0;
};

double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// One run of `pipeline` whose free inputs are `inputs` (put back first: runs release them).
Cost timed_run(sluice::Runner& runner, const sluice::Pipeline& pipeline,
               const std::vector<std::string>& inputs, sluice::Catalog& catalog) {
  for (const auto& input : inputs) {
    catalog.add(input, std::make_shared<sluice::MemoryDataset>(sluice::Value::of(1)), true);
  }
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = process_cpu_seconds();
  auto outputs = runner.run(pipeline, catalog);
  benchmark::DoNotOptimize(outputs);
  const double cpu = process_cpu_seconds() - cpu_start;
  return {std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), cpu};
}

// Runs `a` and `b` in turn each iteration; the manual time is b's; counters give both per node
// and b / a (wall and CPU).
void interleave(benchmark::State& state, sluice::Runner& a, sluice::Runner& b,
                const sluice::Pipeline& pipeline, const std::vector<std::string>& inputs,
                const char* a_name, const char* b_name) {
  sluice::logger().set_level(spdlog::level::warn);
  sluice::Catalog catalog;
  Cost total_a;
  Cost total_b;
  for (auto _ : state) {
    const Cost cost_a = timed_run(a, pipeline, inputs, catalog);
    const Cost cost_b = timed_run(b, pipeline, inputs, catalog);
    total_a.wall += cost_a.wall;
    total_a.cpu += cost_a.cpu;
    total_b.wall += cost_b.wall;
    total_b.cpu += cost_b.cpu;
    state.SetIterationTime(cost_b.wall);
  }
  const double runs = static_cast<double>(state.iterations());
  const double nodes = static_cast<double>(pipeline.size());
  state.counters[std::string(a_name) + "_ns"] = total_a.wall / runs / nodes * 1e9;
  state.counters[std::string(b_name) + "_ns"] = total_b.wall / runs / nodes * 1e9;
  state.counters["ratio_wall"] = total_b.wall / total_a.wall;
  state.counters["ratio_cpu"] = total_b.cpu / total_a.cpu;
}

// `count` nodes; node i reads 1-2 datasets among the free input and the earlier outputs
// (uniformly: a wide, irregular DAG) and writes one. Seeded: the same DAG every time.
sluice::Pipeline random_pass_dag(std::size_t count) {
  return sluice::Pipeline(sluice::micro::random_dag_nodes(count, 2, "in", true));
}

// Arg 0: nodes; arg 1: 0 a no-op chain, 1 a random DAG.
void BM_OneWorkerVsSequential(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const bool random_shape = state.range(1) == 1;
  const sluice::Pipeline pipeline = random_shape ? random_pass_dag(count) : [&] {
    std::vector<sluice::Node> nodes;
    nodes.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      nodes.push_back(sluice::node(
          fmt::format("n{}", i), [](sluice::Value v) { return v; },
          i == 0 ? std::string("in") : fmt::format("d{}", i - 1), fmt::format("d{}", i)));
    }
    return sluice::Pipeline(std::move(nodes));
  }();
  sluice::SequentialRunner sequential;
  sluice::ParallelRunner parallel(1);
  interleave(state, sequential, parallel, pipeline, {"in"}, "sequential", "parallel1");
  state.SetLabel(random_shape ? "random DAG" : "chain");
}
BENCHMARK(BM_OneWorkerVsSequential)
    ->Args({1'000, 0})
    ->Args({100'000, 0})
    ->Args({1'000, 1})
    ->Args({100'000, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime();

std::uint64_t steps_per_100us() {
  static const std::uint64_t steps = std::max<std::uint64_t>(1, steps_per_10ms() / 100);
  return steps;
}

// 2 workers against 1 on 256 independent nodes computing about 100 us each: speed_up is the
// one-worker wall time over the two-worker one.
void BM_TwoWorkersVsOne(benchmark::State& state) {
  steps_per_100us();
  static const sluice::Pipeline pipeline = fan_out(256, [](int x) {
    benchmark::DoNotOptimize(burn(steps_per_100us()));
    return x;
  });
  sluice::ParallelRunner one(1);
  sluice::ParallelRunner two(2);
  interleave(state, one, two, pipeline, {"in"}, "one_worker", "two_workers");
  state.counters["speed_up"] = 1.0 / state.counters["ratio_wall"];
}
BENCHMARK(BM_TwoWorkersVsOne)->Unit(benchmark::kMillisecond)->UseManualTime();

// A chain of 1,000 nodes, each reading the 4 datasets the previous one wrote (memory datasets:
// the fastest storage) and writing 4: the sequential runner with --async against without.
void BM_AsyncVsSync(benchmark::State& state) {
  constexpr std::size_t width = 4;
  auto names = [](std::size_t step) {
    std::vector<std::string> out;
    for (std::size_t k = 0; k < width; ++k) {
      out.push_back(fmt::format("d{}_{}", step, k));
    }
    return out;
  };
  std::vector<sluice::Node> nodes;
  for (std::size_t i = 0; i < 1'000; ++i) {
    nodes.emplace_back(fmt::format("n{}", i), names(i), names(i + 1),
                       [](const std::vector<sluice::Value>& values,
                          const std::vector<std::string>&) { return values; });
  }
  const sluice::Pipeline pipeline(std::move(nodes));
  sluice::SequentialRunner sync;
  sluice::SequentialRunner async(true);
  interleave(state, sync, async, pipeline, names(0), "sync", "async");
}
BENCHMARK(BM_AsyncVsSync)->Unit(benchmark::kMillisecond)->UseManualTime();

}  // namespace
