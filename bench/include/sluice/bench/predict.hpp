#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <sluice/bench/lower_bound.hpp>
#include <sluice/bench/strategy.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/runners/plan.hpp>

namespace sluice::bench {

/// The tee's `hold` option (TeeOptions::hold): what it does with a written value its readers
/// still need.
enum class TeeHold {
  adaptive,  // keep it while it fits the budget; make room by dropping the one read last
  always,    // keep it; a save over the budget waits for the writes running
  never,     // drop it once written: readers read it back
};

/// What a strategy's runner and hooks do with time, as Predictor simulates it.
struct StrategyModel {
  /// Nodes running at once: the parallel runner's threads, the mpi runner's ranks that run
  /// nodes; 1 for the sequential runner.
  std::size_t workers = 1;
  /// The parallel runner's order (of the ready nodes, the one with the most nodes on its path
  /// to a sink first, ties by index); else the plan's order, one node at a time.
  bool parallel = false;
  /// The mpi runner: rank 0 hands each ready node (first come, first served) to the rank that
  /// became free first, and each of the `workers` ranks runs one node at a time. A value stays
  /// on the rank that saved it; a reader on another rank fetches it from there (that rank loads
  /// it, from its cache's or tee's memory or from storage, and sends it). Every rank has its own
  /// cache or tee (writers, memory budget, one read of each free input), and the run ends with
  /// the last write of any rank.
  /// Messages between ranks take no time in the model (on one machine they go through shared
  /// memory; the runner's polling adds up to about 0.1 ms to a wait, within the calibrated
  /// overhead per operation).
  bool mpi = false;
  /// A node's loads at once, then its saves at once (`--async`), instead of one after another.
  bool async_io = false;
  /// The cache hook: saves write through and keep the value, later loads come from memory.
  bool cache = false;
  /// The tee hook: saves hand the value to a background writer and downstream loads take it
  /// from memory; a persisted free input is read once; the run ends with its last write.
  bool tee = false;
  /// The tee's writers (max_writers): writes beyond them wait for one to be free.
  std::size_t tee_writers = 256;
  /// The tee's memory_budget and hold (as TeeOptions has them by default).
  std::uint64_t tee_budget = std::uint64_t{2} << 30;
  TeeHold tee_hold = TeeHold::adaptive;
  /// false: only the free inputs are on storage (the `memory` reference).
  bool persist = true;
};

/// The model of `strategy`, from its runner, runner options and hooks. ConfigError naming the
/// strategy for what the predictor does not simulate (a runner other than sequential, parallel
/// and mpi, or a hook other than cache, tee and the observers timeline, memory_profiler and
/// debug_catalog).
StrategyModel model_of(const Strategy& strategy);

/// A storage's cost of one operation: latency + bytes / bandwidth (0: unlimited), + overhead.
struct StorageTimes {
  double read_latency = 0;   // seconds
  double write_latency = 0;  // seconds
  double bandwidth = 0;      // bytes per second
  /// Seconds every read, write and node compute takes beyond its cost: what a measured run
  /// shows on top of its latencies and compute (the sleeps' overshoot, the runner's and the
  /// hooks' own work). calibrate() finds it from one measured run.
  double overhead = 0;
};

struct Prediction {
  double seconds = 0;       // the run's wall time
  std::uint64_t reads = 0;  // operations on storage (read backs included)
  std::uint64_t writes = 0;
  /// The tee: values it let go before their last reader, loads that read one back, saves that
  /// waited for the budget, and the most bytes it held at once.
  std::uint64_t spilled = 0;
  std::uint64_t read_backs = 0;
  std::uint64_t budget_waits = 0;
  std::uint64_t peak_held_bytes = 0;
};

/// Predicts the wall time of a run of `pipeline` under a strategy, by a discrete-event
/// simulation of the runners' own rules (docs/architecture.md, "The advisor"): the sequential
/// runner's plan order, the parallel runner's ready queue and workers, the mpi runner's ranks
/// (first come, first served; values fetched from the rank that saved them), each node loading its
/// inputs, computing and saving its outputs in turn (or its loads and its saves at once with
/// async_io), the cache's and the tee's memory copies, the tee's writer pool and its memory
/// budget (waits, and with hold: auto the value read last dropped and read back). Storage serves
/// any number of operations at once, each taking its latency and transfer time, as the simulated
/// storage of `sluice bench` and slowfs do. Made once per pipeline and costs; each prediction is
/// O((nodes + edges) log nodes) and allocates only its own state.
class Predictor {
 public:
  /// From `costs` it takes the compute per node, the bytes per dataset and which datasets are
  /// on storage when everything is persisted (its latencies, bandwidth and workers are not used:
  /// those are per prediction).
  Predictor(const Pipeline& pipeline, const BoundInputs& costs);

  Prediction predict(const StrategyModel& strategy, const StorageTimes& storage) const;

  /// `storage` with the overhead per operation that makes the prediction of `strategy` equal
  /// `measured_seconds`, the wall time of a run of it (0 when the run was not slower than
  /// predicted): the one measured run every other prediction is made from.
  StorageTimes calibrate(const StrategyModel& strategy, StorageTimes storage,
                         double measured_seconds) const;

 private:
  Prediction predict_mpi(const StrategyModel& strategy, const StorageTimes& storage) const;

  Plan plan_;
  std::vector<double> compute_;           // by node
  std::vector<std::uint64_t> bytes_;      // by dataset
  std::vector<std::uint8_t> persisted_;   // by dataset: on storage when everything is persisted
  std::vector<std::uint8_t> produced_;    // by dataset: a node of the pipeline saves it
  std::vector<std::uint32_t> producers_;  // by node: distinct inputs a node of the pipeline saves
};

}  // namespace sluice::bench
