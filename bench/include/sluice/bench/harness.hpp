#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <sluice/bench/measured_storage.hpp>
#include <sluice/bench/observed.hpp>
#include <sluice/bench/scenarios.hpp>
#include <sluice/bench/slow_storage.hpp>
#include <sluice/bench/strategy.hpp>
#include <sluice/core/catalog.hpp>
#include <sluice/core/clock.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/core/registry.hpp>

namespace sluice::bench {

/// A catalog for one run, and what must live as long as it (a scratch folder, for instance).
struct RunCatalog {
  Catalog catalog;
  std::shared_ptr<void> keep_alive;
};

/// A scenario ready to run under any strategy.
struct Workload {
  Pipeline pipeline;
  /// A fresh catalog for one run, before any strategy or simulated storage: the datasets the
  /// scenario persists (its free inputs, and the intermediates it writes) are not ephemeral.
  /// Datasets that wait use `clock`.
  std::function<RunCatalog(const Clock& clock)> make_catalog;
};

/// Builds a scenario's workload for one point of a sweep: compute per node and its mode come
/// from `options`, and nodes wait on `clock`, which outlives the workload.
using WorkloadFactory = std::function<Workload(const ScenarioOptions& options, const Clock& clock)>;

/// A generated scenario ("chain:8", "fanout:4", "diamond", "random:20:7") as a workload: every
/// intermediate is persisted. ConfigError for a malformed spec.
WorkloadFactory generated_workload(const std::string& spec);

/// One point of a sweep: how slow storage is, how long nodes compute, how many workers.
struct BenchPoint {
  StorageProfile profile;
  /// Simulated compute added to every node.
  Clock::duration compute{};
  /// Threads of the parallel strategies.
  std::size_t workers = 1;
  /// The tee's `max_writers` in the strategies with the tee; 0: the tee's default.
  std::size_t tee_writers = 0;
  /// The tee's `memory_budget` in the strategies with the tee; 0: the tee's default.
  std::uint64_t tee_budget = 0;
  /// The swept parameters and their values at this point (seconds, bytes per second or a
  /// count), in the order of the sweeps.
  std::vector<std::pair<std::string, double>> swept;
};

/// A real backend to run the strategies on instead of simulated storage: every persisted
/// dataset of a run (free inputs copied there, untimed, before the run) becomes a BinaryDataset at
/// `<prefix>/<strategy>/<repetition>/<dataset>.bin` of `storage`, which a MeasuredStorage times.
/// Nothing is simulated (time scale 1) and each strategy's lower bound uses the median read and
/// write time its own operations measured (transfer included; every strategy's, for a kind of
/// operation it made none of). Every object a run wrote is removed after it, also when it fails,
/// unless `keep`.
struct RealStorage {
  std::shared_ptr<const Storage> storage;
  /// A path in `storage` that no other run uses ("bucket/prefix/sluice-bench-<stamp>").
  std::string prefix;
  bool keep = false;
};

/// What one run of a strategy measured in the process that made it (in an MPI job: one rank's).
struct RunMeasurement {
  double wall_s = 0;  // simulated seconds
  std::uint64_t peak_bytes = 0;
  std::uint64_t reads = 0;
  std::uint64_t writes = 0;
  /// The writes the run must have made (its persisted outputs), checked over all processes.
  std::uint64_t expected_writes = 0;
  /// The datasets on storage (simulated or real).
  std::set<std::string> persisted;
  /// When the run started and returned, in nanoseconds of std::chrono::steady_clock, which is
  /// one clock for every process of the machine: what puts the ranks of an MPI job together.
  std::int64_t started_ns = 0;
  std::int64_t ended_ns = 0;
  /// On a real backend: each read and write.
  std::vector<IoSample> real_reads, real_writes;
};

/// One run of a strategy the harness does not make itself (Strategy::ranks > 0: an MPI job).
struct LaunchRequest {
  const Strategy& strategy;
  const BenchPoint& point;
  double time_scale = 0;
  int repetition = 0;  // 1-based
  /// What the sequential strategy is estimated to take at this time scale, in real seconds: a
  /// scale for the launch's timeout.
  double estimated_seconds = 0;
};
/// Makes the run (every process of it calls Harness::run_once with the same arguments) and
/// returns its measurement, put together over its processes. Throws on failure.
using LaunchFn = std::function<RunMeasurement(const LaunchRequest&)>;

struct BenchSettings {
  std::vector<std::string> strategies = default_strategy_names();
  /// Runs per strategy; the median is reported.
  int repeat = 3;
  /// Real seconds per simulated second; 0: automatic (see time_scale()).
  double time_scale = 0;
  /// What the automatic scale aims at: real seconds for one run of the slowest strategy.
  double target_seconds = 1.0;
  ComputeMode compute_mode = ComputeMode::sleep;
  /// Elements of the vector<double> each generated node produces.
  std::size_t payload = 1024;
  /// Log only warnings and errors while the runs are made (sluice bench without --verbose);
  /// the logger's level is put back after.
  bool quiet = false;
  /// Set: run on this backend instead of simulated storage (the point's profile is not used).
  std::optional<RealStorage> real_storage;
  /// How runs of strategies with ranks (mpi, mpi+tee) are made; unset: such a strategy is a
  /// ConfigError.
  LaunchFn launch;
};

/// The largest pipeline whose optimum the harness searches for (bench::optimum).
inline constexpr std::size_t kMaxOptimumNodes = 12;

/// One (scenario, strategy) at one point.
struct BenchResult {
  std::string scenario;
  std::string strategy;
  double wall_s = 0;              // simulated seconds, median of the runs
  double bound_s = 0;             // the lower bound for this strategy's workers
  double ratio = 0;               // wall / bound
  std::optional<double> speedup;  // sequential's wall / this wall, when sequential ran
  std::uint64_t peak_bytes = 0;   // the most bytes datasets held in memory at once (median)
  std::uint64_t reads = 0;        // operations on simulated storage (median)
  std::uint64_t writes = 0;
  double time_scale = 0;
  std::vector<std::pair<std::string, double>> swept;
  /// The model's optimum for this strategy's workers (what the best schedule takes), when the
  /// pipeline is small enough to search (at most kMaxOptimumNodes nodes), and wall / it.
  std::optional<double> optimum_s, optimum_ratio;
  /// The shortest simulated list schedule of the same model (bench::best_schedule), an upper
  /// bound of the optimum (which lies in [bound_s, schedule_s]), wall / it, and the priority
  /// rule that gave it.
  std::optional<double> schedule_s, schedule_ratio;
  std::string schedule_rule;
  /// On a real backend (BenchSettings::real_storage): what its reads and writes measured over
  /// every run of the strategy; its lower bound uses their medians.
  std::optional<IoFigures> measured_reads, measured_writes;
  /// What bench::Predictor predicts for this strategy from the reference runs (the nodes'
  /// compute, the datasets' sizes) and the point's storage, before any timed run: beside
  /// wall_s it shows how far the prediction is. Unset for a strategy it does not simulate (mpi).
  std::optional<double> predicted_s;
  /// Nothing ran (`sluice bench --from-trace`): wall_s is predicted_s, peak_bytes is unknown.
  bool predicted_only = false;
};

/// How a prediction from an observed run is calibrated: what the traced run's own strategy is
/// predicted to take on the storage it saw, and the overhead per operation (every read, write
/// and node) that makes it the run's measured wall time (0 when the run was not slower, or its
/// strategy is unknown).
struct Calibration {
  double predicted_s = 0;  // without overhead; 0 when the traced run's strategy is unknown
  double overhead = 0;     // seconds
};

/// Where a point's runs are: called before each timed run.
struct Progress {
  std::string strategy;
  int repetition = 0;  // 1-based
  std::size_t done = 0;
  std::size_t total = 0;
};
using ProgressFn = std::function<void(const Progress&)>;

/// Runs every strategy on one scenario, point by point. Strategies are built from the registry
/// (runner factories, hook factories) exactly as `sluice run` builds them, so the hooks they
/// name (tee, cache) must be registered: load their plugins first.
///
/// Timing: the catalog, simulated storage and hooks are set up before the clock starts; the
/// clock stops when the runner returns, which is after every background write has finished
/// (a run with fewer storage writes than its persisted outputs is reported as an error).
/// Simulated time is real time divided by the time scale.
class Harness {
 public:
  Harness(const Registry& registry, std::string scenario, WorkloadFactory factory);

  /// Untimed reference runs of `point` (nothing persisted, no latency), then the time scale it
  /// runs at: settings.time_scale, or the largest of 1, 0.5, 0.2, 0.1, 0.05, ... (at least
  /// 0.001) that keeps the estimated sequential run under settings.target_seconds.
  double time_scale(const BenchSettings& settings, const BenchPoint& point);

  /// Runs settings.strategies, the built-in strategies of those names (make_strategy).
  std::vector<BenchResult> run(const BenchSettings& settings, const BenchPoint& point,
                               const ProgressFn& progress = {});
  /// Runs `strategies` (parse_strategy) instead; settings.strategies is not read.
  std::vector<BenchResult> run(const std::vector<Strategy>& strategies,
                               const BenchSettings& settings, const BenchPoint& point,
                               const ProgressFn& progress = {});

  /// One timed run of `strategy` in this process at `time_scale`, as run() makes each: what
  /// every process of a launched run (an MPI job's ranks) does. Errors name the scenario, the
  /// strategy and the repetition.
  RunMeasurement run_once(const Strategy& strategy, const BenchSettings& settings,
                          const BenchPoint& point, double time_scale, int repetition);

  /// Predicts `strategies` at `point` from `observed`, one real run's costs, without running
  /// anything (`sluice bench --from-trace`): each node's compute is the observed one plus the
  /// point's modelled compute, each dataset's bytes the observed ones, storage the point's
  /// profile, every operation plus `overhead` (calibrate()). Results have predicted_only set,
  /// bound, optimum and best schedule as run() gives them, and time scale 1 (real seconds).
  /// ConfigError naming observed.source for a node of the pipeline the run did not run, or one it
  /// ran that the pipeline does not have, and for a strategy the predictor does not simulate.
  std::vector<BenchResult> predict(const std::vector<Strategy>& strategies, const BenchPoint& point,
                                   const ObservedRun& observed, double overhead);
  /// The calibration of predictions from `observed` on the storage it saw (`seen`).
  Calibration calibrate(const ObservedRun& observed, const ObservedStorage& seen);

  /// Real seconds the sequential strategy is estimated to take at `time_scale` (from the
  /// untimed reference runs, as time_scale() estimates it).
  double estimated_seconds(const BenchSettings& settings, const BenchPoint& point,
                           double time_scale);

 private:
  struct Reference;
  const Reference& reference(const BenchSettings& settings, const BenchPoint& point);
  // The sequential run's waits (simulated seconds) and the nodes' real work (real seconds).
  std::pair<double, double> sequential_cost(const BenchSettings& settings, const BenchPoint& point);
  RunMeasurement measure(const Strategy& strategy, const BenchSettings& settings,
                         const BenchPoint& point, const Workload& workload, const Clock& clock,
                         int repetition);

  const Registry& registry_;
  std::string scenario_;
  WorkloadFactory factory_;
  std::shared_ptr<Reference> reference_;
};

}  // namespace sluice::bench
