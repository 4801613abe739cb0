// Sequential runner overhead per node on chains of no-op nodes. The per-node time must stay
// flat as the chain grows from 1k to 100k nodes (Kedro's runner grows quadratically).
//
//   build/release/bin/runner_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true

#include "chain.hpp"

namespace {

void BM_SequentialChain(benchmark::State& state) {
  const sluice::Pipeline pipeline =
      sluice::micro::no_op_chain(static_cast<std::size_t>(state.range(0)));
  sluice::Catalog catalog;
  sluice::micro::time_chain_runs(state, pipeline, catalog);
}
BENCHMARK(BM_SequentialChain)
    ->Arg(1'000)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Arg(200'000)
    ->Unit(benchmark::kMillisecond);

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
