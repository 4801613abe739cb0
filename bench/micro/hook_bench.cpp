// Cost of emitting one event with 0, 1, 4 and 16 hooks listening, beside a plain
// std::vector<std::function> baseline; and the sequential runner's cost per node on a 10k
// chain with 0 and with 4 no-op hooks listening to every event.
//
//   build/release/bin/hook_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <functional>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/log.hpp>
#include <sluice/runners/sequential_runner.hpp>

#include "chain.hpp"

namespace {

class NoOpHook final : public sluice::Hook {
 public:
  sluice::Events events() const override { return sluice::Events::all(); }
  void on_dataset_released(std::string_view dataset) override {
    benchmark::DoNotOptimize(dataset.data());
  }
};

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

void BM_EmitFunctionVector(benchmark::State& state) {
  std::vector<std::function<void(std::string_view)>> slots;
  for (int i = 0; i < state.range(0); ++i) {
    slots.emplace_back([](std::string_view dataset) { benchmark::DoNotOptimize(dataset.data()); });
  }
  for (auto _ : state) {
    for (const auto& slot : slots) {
      slot("dataset");
    }
  }
}
BENCHMARK(BM_EmitFunctionVector)->Arg(0)->Arg(1)->Arg(4)->Arg(16);

void BM_SequentialChainWithHooks(benchmark::State& state) {
  const sluice::Pipeline pipeline = sluice::micro::no_op_chain(10'000);
  auto hooks = std::make_shared<sluice::HookManager>();
  for (int i = 0; i < state.range(0); ++i) {
    hooks->add(fmt::format("noop{}", i), std::make_shared<NoOpHook>());
  }
  sluice::Catalog catalog;
  catalog.attach(hooks);
  sluice::micro::time_chain_runs(state, pipeline, catalog);
}
BENCHMARK(BM_SequentialChainWithHooks)->Arg(0)->Arg(4)->Unit(benchmark::kMillisecond);

}  // namespace
