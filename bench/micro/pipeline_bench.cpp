// Pipeline construction: time and memory per node from 1k to 1M nodes (issue 14, target 2:
// <= 500 ns per node at 1M, <= 400 B per node for pipeline + plan + run state).
//
//   build/release/bin/pipeline_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true
//
// This binary replaces the global operator new/delete with a counting one, so it reports the
// bytes the program asked for (malloc's own overhead excluded):
//   nodes_B      the nodes themselves (names, inputs, outputs, functions), before construction
//   pipeline_B   what Pipeline(nodes) keeps on top of the nodes
//   peak_B       the peak of construction above the nodes (temporaries included)
//   run_B        the peak of one sequential run above the pipeline (plan + run state + values)
//   total_B      nodes_B + pipeline_B + run_B
// all per node; `per_node` is the CPU time of Pipeline(nodes) per node.

#include "chain.hpp"
#include "counting_new.hpp"
#include "random_dag.hpp"

namespace {

using sluice::micro::live_bytes;
using sluice::micro::peak_bytes;
using sluice::micro::restart_peak;

// A random DAG: node i writes d{i} and reads 1 to 3 datasets written by earlier nodes (or the
// free input d_in, node 0), so about 2 edges per node, with a fixed seed.
std::vector<sluice::Node> random_dag_nodes(std::size_t count) {
  return sluice::micro::random_dag_nodes(count, 3, "d_in", false);
}

// The nodes of sluice::micro::no_op_chain, without building its pipeline.
std::vector<sluice::Node> chain_nodes(std::size_t count) {
  std::vector<sluice::Node> nodes;
  nodes.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    nodes.push_back(sluice::node(
        fmt::format("n{}", i), [](sluice::Value v) { return v; }, fmt::format("d{}", i),
        fmt::format("d{}", i + 1)));
  }
  return nodes;
}

template <class MakeNodes>
void time_construction(benchmark::State& state, MakeNodes make_nodes, const char* free_input) {
  sluice::logger().set_level(spdlog::level::warn);
  const auto count = static_cast<std::size_t>(state.range(0));
  double nodes_bytes = 0;
  double pipeline_bytes = 0;
  double peak_above_nodes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::size_t before_nodes = restart_peak();
    std::vector<sluice::Node> nodes = make_nodes(count);
    const std::size_t before = restart_peak();
    state.ResumeTiming();
    sluice::Pipeline pipeline(std::move(nodes));
    state.PauseTiming();
    nodes_bytes = static_cast<double>(before - before_nodes);
    pipeline_bytes = static_cast<double>(live_bytes.load()) - static_cast<double>(before);
    peak_above_nodes = static_cast<double>(peak_bytes.load() - before);
    benchmark::DoNotOptimize(pipeline);
    nodes = {};
    { const sluice::Pipeline discard = std::move(pipeline); }
    state.ResumeTiming();
  }
  // One run, outside the timing: what the plan and the run state add at their peak.
  const sluice::Pipeline pipeline(make_nodes(count));
  sluice::Catalog catalog;
  catalog.add(free_input, std::make_shared<sluice::MemoryDataset>(sluice::Value::of(1)), true);
  const std::size_t before_run = restart_peak();
  {
    auto outputs = sluice::SequentialRunner().run(pipeline, catalog);
    benchmark::DoNotOptimize(outputs);
  }
  const double run_bytes = static_cast<double>(peak_bytes.load() - before_run);

  const auto n = static_cast<double>(count);
  state.counters["per_node"] = benchmark::Counter(
      n, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["nodes_B"] = nodes_bytes / n;
  state.counters["pipeline_B"] = pipeline_bytes / n;
  state.counters["peak_B"] = peak_above_nodes / n;
  state.counters["run_B"] = run_bytes / n;
  state.counters["total_B"] = (nodes_bytes + pipeline_bytes + run_bytes) / n;
}

void BM_PipelineConstruction_Chain(benchmark::State& state) {
  time_construction(state, chain_nodes, "d0");
}
BENCHMARK(BM_PipelineConstruction_Chain)
    ->Arg(1'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond);

void BM_PipelineConstruction_RandomDag(benchmark::State& state) {
  time_construction(state, random_dag_nodes, "d_in");
}
BENCHMARK(BM_PipelineConstruction_RandomDag)
    ->Arg(1'000)
    ->Arg(100'000)
    ->Arg(1'000'000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
