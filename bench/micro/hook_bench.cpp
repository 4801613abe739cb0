// Cost of emitting one event with 0, 1, 4 and 16 hooks listening, beside a plain
// std::vector<std::function> baseline; and the sequential runner's cost per node on a 10k
// chain with 0 and with 4 no-op hooks listening to every event.
//
//   build/release/bin/hook_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <functional>

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/log.hpp>
#include <sluice/runners/sequential_runner.hpp>

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
    hooks.add("noop" + std::to_string(i), std::make_shared<NoOpHook>());
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
  sluice::logger().set_level(spdlog::level::warn);
  constexpr std::size_t kLength = 10'000;
  std::vector<sluice::Node> nodes;
  for (std::size_t i = 0; i < kLength; ++i) {
    nodes.push_back(sluice::node(
        "n" + std::to_string(i), [](sluice::Value v) { return v; }, "d" + std::to_string(i),
        "d" + std::to_string(i + 1)));
  }
  const sluice::Pipeline pipeline(std::move(nodes));
  auto hooks = std::make_shared<sluice::HookManager>();
  for (int i = 0; i < state.range(0); ++i) {
    hooks->add("noop" + std::to_string(i), std::make_shared<NoOpHook>());
  }
  sluice::Catalog catalog;
  catalog.set_hooks(hooks);
  sluice::SequentialRunner runner;
  for (auto _ : state) {
    state.PauseTiming();
    catalog.add("d0", std::make_shared<sluice::MemoryDataset>(sluice::Value::of(1)), true);
    state.ResumeTiming();
    auto outputs = runner.run(pipeline, catalog);
    benchmark::DoNotOptimize(outputs);
  }
  state.counters["per_node"] = benchmark::Counter(
      static_cast<double>(kLength),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_SequentialChainWithHooks)->Arg(0)->Arg(4)->Unit(benchmark::kMillisecond);

}  // namespace
