#pragma once

// A chain of no-op nodes and the loop that times runs of it, shared by the runner benchmarks.

#include <string>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/log.hpp>
#include <sluice/runners/sequential_runner.hpp>

namespace sluice::micro {

/// A hook listening to every event and doing nothing: what the hook machinery itself costs.
class NoOpHook final : public Hook {
 public:
  Events events() const override { return Events::all(); }
  void on_dataset_released(std::string_view dataset) override {
    benchmark::DoNotOptimize(dataset.data());
  }
};

/// A catalog with `count` NoOpHooks attached.
inline Catalog catalog_with_no_op_hooks(int count) {
  auto hooks = std::make_shared<HookManager>();
  for (int i = 0; i < count; ++i) {
    hooks->add(fmt::format("noop{}", i), std::make_shared<NoOpHook>());
  }
  Catalog catalog;
  catalog.attach(hooks);
  return catalog;
}

inline Pipeline no_op_chain(std::size_t length) {
  std::vector<Node> nodes;
  nodes.reserve(length);
  for (std::size_t i = 0; i < length; ++i) {
    // fmt, not "n" + std::to_string(i): GCC 12 warns falsely (-Wrestrict) on that at -O3.
    nodes.push_back(node(
        fmt::format("n{}", i), [](Value v) { return v; }, fmt::format("d{}", i),
        fmt::format("d{}", i + 1)));
  }
  return Pipeline(std::move(nodes));
}

/// Times sequential runs of `pipeline` (a no_op_chain) and reports the time per node.
inline void time_chain_runs(benchmark::State& state, const Pipeline& pipeline, Catalog& catalog) {
  logger().set_level(spdlog::level::warn);
  SequentialRunner runner;
  const Value input = Value::of(1);
  for (auto _ : state) {
    state.PauseTiming();
    // The free input is released after its consumer, so it is put back for every run (into
    // the same dataset: a new one would make the run refresh its binding of the catalog).
    catalog.add("d0", std::make_shared<MemoryDataset>(), true);
    catalog.save("d0", input);
    state.ResumeTiming();
    auto outputs = runner.run(pipeline, catalog);
    benchmark::DoNotOptimize(outputs);
  }
  state.counters["per_node"] = benchmark::Counter(
      static_cast<double>(pipeline.size()),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

}  // namespace sluice::micro
