#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/hook_specs.hpp>
#include <sluice/core/param.hpp>

namespace sluice::bench {

/// A runner strategy: a runner and hooks, configured the way a user configures `sluice run`
/// (the runner's options as `--runner`/`--max-workers`/`--async` set them, hooks as hooks.yml
/// lists them), so the harness measures exactly what users get.
struct Strategy {
  std::string name;
  std::string runner = "sequential";
  Param runner_options;
  std::vector<HookSpec> hooks;
  /// false: nothing but the free inputs is persisted (the `memory` reference).
  bool persist = true;
  /// Workers the runner uses, for the lower bound: the parallel runner's threads, or the MPI
  /// job's ranks that run nodes.
  std::size_t workers = 1;
  /// More than 0: the runner is `mpi`, and each run is an MPI job of this many processes (rank
  /// 0 schedules, the others run one node at a time: workers + 1), which the harness starts
  /// through BenchSettings::launch.
  std::size_t ranks = 0;
  /// The `sluice run` command line that runs a project this way.
  std::string command;
};

/// A strategy written as the built-in ones are: `runner`, `runner_options`, `hooks` (a
/// hooks.yml list of {name, options, priority}) and `persist`; `workers` is what a parallel
/// runner uses, or the ranks that run nodes of an `mpi` runner (which then has workers + 1
/// ranks). ConfigError naming the strategy and the offending line for a bad entry.
Strategy parse_strategy(std::string_view name, std::string_view yaml, std::size_t workers);

/// The built-in strategies, in report order: sequential, async, cache, tee, parallel,
/// parallel+tee, memory, mpi, mpi+tee.
std::vector<std::string> strategy_names();

/// What `sluice bench` runs when no strategies are named: every built-in one but mpi and
/// mpi+tee, which start an MPI job per run and need Open MPI (they are run when named).
std::vector<std::string> default_strategy_names();

/// The named strategy; parallel ones use `workers` threads, mpi ones `workers` ranks that run
/// nodes (workers + 1 in all), those with the tee `tee_writers` as its `max_writers` and
/// `tee_budget` as its `memory_budget` (0: the tee's defaults). A strategy with the tee may name
/// its hold: `tee:always`, `parallel+tee:never` (auto, always, never). ConfigError listing the
/// known strategies (with "did you mean") for an unknown name or a bad hold.
Strategy make_strategy(std::string_view name, std::size_t workers, std::size_t tee_writers = 0,
                       std::uint64_t tee_budget = 0);

/// The built-in strategies with the tee (those that take a `:HOLD` suffix).
std::vector<std::string> tee_strategy_names();

}  // namespace sluice::bench
