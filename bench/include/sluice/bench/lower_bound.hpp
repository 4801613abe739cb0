#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sluice/core/pipeline.hpp>

namespace sluice::bench {

/// The scheduling model every strategy is measured against (DESIGN.md, docs/architecture.md
/// "The lower bound and the optimum"). With compute c(v), read latency r for persisted free
/// inputs, write latency w per persisted output, P workers, and with a bandwidth B the transfer
/// time t(d) = bytes(d) / B of each read or write:
///  - a node's compute takes one of the P workers for c(v), without interruption;
///  - reads and writes are waits that take no worker: every persisted free input can be read
///    from time 0 and is there r + t(i) later for all its readers; a produced input is there
///    when its producer's compute ends (the tee hands it over in memory while it writes);
///  - each persisted output is written, w + t(o), once its producer's compute ended; the run ends
///    when the last compute and the last write have ended.
/// No strategy does better than this model (they read back, or write before the next node starts,
/// or run one node at a time), so its optimum, and any bound below it, bounds every strategy.
/// Times are in seconds.
struct BoundInputs {
  std::map<std::string, double> compute;  // node -> c(v); missing nodes count 0
  double read_latency = 0;
  double write_latency = 0;
  std::size_t workers = 1;
  std::function<bool(const std::string&)> persisted;  // dataset -> on slow storage?
  double bandwidth = 0;                               // bytes per second; 0: unlimited
  std::map<std::string, std::uint64_t> bytes;         // dataset -> size; missing count 0
};

/// A lower bound of the model's optimum, the largest of (h(v): the earliest start of v, the
/// longest path of reads and computes before it; q(v): the longest path of computes and writes
/// after it ends; W_P(S): the least time P workers need for the computes of S):
///   critical path   max_v h(v) + c(v) + q(v)
///   head/work/tail  min_v h(v) + W_P(all nodes) + min_v q(v)   (the first read, the last write)
///   every set       max over thresholds a, b of a + W_P({v: h(v) >= a, q(v) >= b}) + b
///                   (pipelines of at most kMaxSetBoundNodes nodes)
/// with W_P(S) = max(sum c / P, max over m of the ceil(m/P) smallest of the m largest c of S).
/// O(n log n), O(n^3) for the set term.
double lower_bound(const Pipeline& pipeline, const BoundInputs& inputs);

/// The largest pipeline whose set term lower_bound() computes.
inline constexpr std::size_t kMaxSetBoundNodes = 256;

struct OptimumOptions {
  /// The most partial schedules the search looks at; beyond: no answer.
  std::size_t max_states = 2'000'000;
  /// Tries every worker for every node (every semi-active schedule) and prunes nothing, instead
  /// of list schedules (each node on the worker free first) pruned by lower bounds. Slow: tests.
  bool every_assignment = false;
};

/// The model's optimum: the shortest run over all schedules (orders of the nodes and workers
/// they run on), by branch and bound over list schedules, which contain an optimal schedule.
/// nullopt when the search needs more than options.max_states partial schedules.
std::optional<double> optimum(const Pipeline& pipeline, const BoundInputs& inputs,
                              const OptimumOptions& options = {});

/// How a simulated list schedule chooses among the nodes ready when a worker is free.
enum class SchedulePriority {
  /// The runner's own order: ready nodes first come first served, and the worker that finishes a
  /// node runs the first node that made ready itself (ParallelRunner without priorities).
  runner_fifo,
  /// The ready node with the longest path of computes and writes to the run's end, c(v) + q(v)
  /// (the critical path first, HLFET), ties by more nodes on the path, then index.
  longest_path,
  /// The ready node with the most nodes on its longest path to a sink (what a runner that knows
  /// no costs can compute once per pipeline), ties by c(v) + q(v), then index.
  longest_node_path,
  /// Nodes in the pipeline's (topological) order.
  plan_order,
};

/// One simulated schedule of the model.
struct SimulatedSchedule {
  std::string rule;    // "runner order", "longest path", "longest node path", "plan order", ...
  double seconds = 0;  // when its last compute and last write end
};

/// A list schedule of the model (no worker idles while a node is ready; a node is ready once its
/// producers ended and its reads are in, at h-like times), with the given priority: a feasible
/// schedule, so never shorter than the optimum. O(n log n).
SimulatedSchedule simulate(const Pipeline& pipeline, const BoundInputs& inputs,
                           SchedulePriority priority);

/// How many randomly perturbed longest-path priorities best_schedule() tries besides the rules.
inline constexpr std::size_t kPerturbedSchedules = 32;

/// The best of simulate() over every SchedulePriority and kPerturbedSchedules longest-path
/// priorities perturbed at random (seeded: the same answer every call): an upper bound of the
/// optimum, so the optimum lies in [lower_bound(), best_schedule().seconds].
SimulatedSchedule best_schedule(const Pipeline& pipeline, const BoundInputs& inputs);

}  // namespace sluice::bench
