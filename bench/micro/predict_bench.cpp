// The advisor's speed (issue 16: predicting a 10,000-node pipeline across a 20-point sweep takes
// under 1 s): every strategy the predictor simulates, at 20 read latencies, on a random DAG of
// 10,000 nodes. Run from the release preset:
//   build/release/bin/predict_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true

#include <vector>

#include <benchmark/benchmark.h>

#include <sluice/bench/predict.hpp>
#include <sluice/bench/strategy.hpp>
#include <sluice/core/pipeline.hpp>

#include "random_dag.hpp"

namespace {

using namespace sluice;

// The strategies of `sluice bench` the predictor simulates, at `workers` workers.
std::vector<bench::StrategyModel> models(std::size_t workers) {
  std::vector<bench::StrategyModel> out;
  for (const char* name :
       {"sequential", "async", "cache", "tee", "parallel", "parallel+tee", "memory"}) {
    out.push_back(bench::model_of(bench::make_strategy(name, workers)));
  }
  return out;
}

bench::BoundInputs costs_of(const Pipeline& pipeline) {
  bench::BoundInputs costs;
  for (const Node& node : pipeline.nodes()) {
    costs.compute[node.name()] = 0.1;
  }
  for (std::size_t id = 0; id < pipeline.dataset_count(); ++id) {
    costs.bytes[pipeline.dataset_name(id)] = 8192;
  }
  costs.persisted = [](const std::string&) { return true; };
  return costs;
}

// One iteration: the 20-point sweep of every strategy (7 x 20 predictions).
void BM_PredictSweep(benchmark::State& state) {
  const auto nodes = static_cast<std::size_t>(state.range(0));
  const Pipeline pipeline(micro::random_dag_nodes(nodes, 3, "raw", false));
  const bench::Predictor predictor(pipeline, costs_of(pipeline));
  const auto strategies = models(8);
  double total = 0;
  for (auto _ : state) {
    for (int point = 0; point < 20; ++point) {
      const double latency = 0.05 * (point + 1);
      for (const auto& strategy : strategies) {
        total +=
            predictor
                .predict(strategy,
                         {.read_latency = latency, .write_latency = latency, .bandwidth = 100e6})
                .seconds;
      }
    }
  }
  benchmark::DoNotOptimize(total);
  state.counters["predictions"] =
      benchmark::Counter(static_cast<double>(state.iterations() * 20 * strategies.size()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PredictSweep)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

// Building the predictor (the plan, costs by dense id) once per pipeline.
void BM_PredictorConstruction(benchmark::State& state) {
  const Pipeline pipeline(micro::random_dag_nodes(10000, 3, "raw", false));
  const auto costs = costs_of(pipeline);
  for (auto _ : state) {
    bench::Predictor predictor(pipeline, costs);
    benchmark::DoNotOptimize(predictor);
  }
}
BENCHMARK(BM_PredictorConstruction)->Unit(benchmark::kMillisecond);

}  // namespace
