// What hooks cost (issue 14, target 3):
// - one event emitted to 0, 1, 4 and 16 hooks through the HookManager, beside a plain
//   std::vector<std::function> and a Boost.Signals2 signal with its default mutex (how the
//   manager emitted before issue 14);
// - BM_EmitRatio: one event to 4 listeners through the HookManager and through a vector of 4
//   std::function, timed alternately in the same loop: `manager_over_vector` (target <= 3);
// - BM_HookOverheadPerNode: sequential runs of a no-op chain without hooks and with 4 no-op
//   hooks listening to every event, alternately: `overhead_ns` is what the 4 hooks add per node
//   (target <= 100 ns).
//
//   build/release/bin/hook_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <ctime>
#include <functional>

#include <benchmark/benchmark.h>
#include <boost/signals2/signal.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/log.hpp>
#include <sluice/runners/sequential_runner.hpp>

#include "chain.hpp"

namespace {

using sluice::micro::NoOpHook;

void BM_EmitHookManager(benchmark::State& state) {
  sluice::HookManager hooks;
  for (int i = 0; i < state.range(0); ++i) {
    hooks.add(fmt::format("noop{}", i), std::make_shared<NoOpHook>());
  }
  for (auto _ : state) {
    hooks.on_dataset_released("dataset");
  }
}
BENCHMARK(BM_EmitHookManager)->Arg(0)->Arg(1)->Arg(4)->Arg(16);

using FunctionVector = std::vector<std::function<void(std::string_view)>>;

FunctionVector function_vector(std::int64_t count) {
  FunctionVector slots;
  for (std::int64_t i = 0; i < count; ++i) {
    slots.emplace_back([](std::string_view dataset) { benchmark::DoNotOptimize(dataset.data()); });
  }
  return slots;
}

void BM_EmitFunctionVector(benchmark::State& state) {
  const FunctionVector slots = function_vector(state.range(0));
  for (auto _ : state) {
    for (const auto& slot : slots) {
      slot("dataset");
    }
  }
}
BENCHMARK(BM_EmitFunctionVector)->Arg(0)->Arg(1)->Arg(4)->Arg(16);

// A Boost.Signals2 signal as the manager used to emit through it: default mutex, a slot-list
// snapshot per emission, a lock per slot called.
void BM_EmitSignals2DefaultMutex(benchmark::State& state) {
  boost::signals2::signal<void(std::string_view)> signal;
  for (std::int64_t i = 0; i < state.range(0); ++i) {
    signal.connect([](std::string_view dataset) { benchmark::DoNotOptimize(dataset.data()); });
  }
  for (auto _ : state) {
    signal("dataset");
  }
}
BENCHMARK(BM_EmitSignals2DefaultMutex)->Arg(0)->Arg(1)->Arg(4)->Arg(16);

// CPU time of the calling thread, in seconds: on a loaded machine wall time counts the time
// other processes ran.
double thread_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// One event to 4 listeners, the HookManager and a function vector timed alternately in batches
// (CPU time), so both see the same machine load.
void BM_EmitRatio(benchmark::State& state) {
  constexpr int kBatch = 1'000;
  sluice::HookManager hooks;
  for (int i = 0; i < 4; ++i) {
    hooks.add(fmt::format("noop{}", i), std::make_shared<NoOpHook>());
  }
  const FunctionVector slots = function_vector(4);
  double manager = 0;
  double vector = 0;
  for (auto _ : state) {
    double start = thread_seconds();
    for (int i = 0; i < kBatch; ++i) {
      hooks.on_dataset_released("dataset");
    }
    manager += thread_seconds() - start;
    start = thread_seconds();
    for (int i = 0; i < kBatch; ++i) {
      for (const auto& slot : slots) {
        slot("dataset");
      }
    }
    vector += thread_seconds() - start;
  }
  const double emits = static_cast<double>(state.iterations()) * kBatch;
  state.counters["manager_ns"] = manager / emits * 1e9;
  state.counters["vector_ns"] = vector / emits * 1e9;
  state.counters["manager_over_vector"] = manager / vector;
}
BENCHMARK(BM_EmitRatio);

// Times one sequential run of `pipeline` (a no_op_chain) on `catalog`, its free input put back
// first (outside the time).
double time_one_run(const sluice::Pipeline& pipeline, sluice::Catalog& catalog) {
  catalog.add("d0", std::make_shared<sluice::MemoryDataset>(sluice::Value::of(1)), true);
  sluice::SequentialRunner runner;
  const double start = thread_seconds();
  auto outputs = runner.run(pipeline, catalog);
  const double seconds = thread_seconds() - start;
  benchmark::DoNotOptimize(outputs);
  return seconds;
}

// Runs without hooks and with 4 no-op hooks listening to every event alternate, so the
// difference (CPU time) is measured under the same load.
void BM_HookOverheadPerNode(benchmark::State& state) {
  sluice::logger().set_level(spdlog::level::warn);
  const sluice::Pipeline pipeline =
      sluice::micro::no_op_chain(static_cast<std::size_t>(state.range(0)));
  sluice::Catalog bare;
  sluice::Catalog hooked = sluice::micro::catalog_with_no_op_hooks(4);
  double without = 0;
  double with = 0;
  for (auto _ : state) {
    without += time_one_run(pipeline, bare);
    with += time_one_run(pipeline, hooked);
  }
  const double nodes =
      static_cast<double>(state.iterations()) * static_cast<double>(pipeline.size());
  state.counters["no_hooks_ns"] = without / nodes * 1e9;
  state.counters["4_hooks_ns"] = with / nodes * 1e9;
  state.counters["overhead_ns"] = (with - without) / nodes * 1e9;
}
BENCHMARK(BM_HookOverheadPerNode)->Arg(1'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_SequentialChainWithHooks(benchmark::State& state) {
  const sluice::Pipeline pipeline = sluice::micro::no_op_chain(10'000);
  sluice::Catalog catalog =
      sluice::micro::catalog_with_no_op_hooks(static_cast<int>(state.range(0)));
  sluice::micro::time_chain_runs(state, pipeline, catalog);
}
BENCHMARK(BM_SequentialChainWithHooks)->Arg(0)->Arg(4)->Unit(benchmark::kMillisecond);

}  // namespace
