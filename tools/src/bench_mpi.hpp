#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sluice/bench/harness.hpp>

namespace sluice::cli {

/// The mpirun `sluice bench` starts the mpi strategies' runs with: $SLUICE_MPIRUN when set, else
/// the one CMake found when sluice was built, else `mpirun` on the PATH. ConfigError naming
/// `what` (the strategy) and what to install when there is none.
std::filesystem::path find_mpirun(const std::string& what);

/// How the runs of the mpi strategies are started: each is an MPI job,
///   mpirun -np <ranks> --oversubscribe --mca btl self,vader <sluice> <arguments> --mpi-child F
/// whose every rank makes the one run F describes (`sluice bench` in its hidden child mode) and
/// writes what it measured next to F; the launch puts the ranks together (wall time from the
/// latest start to the latest end over the ranks, reads and writes added up, the peak memory of
/// the rank that held the most).
struct MpiLaunch {
  std::filesystem::path mpirun;
  /// The sluice binary, as an absolute path (mpirun starts it by name in each rank).
  std::filesystem::path sluice;
  /// `bench` and the options that make the same scenario in the child.
  std::vector<std::string> arguments;
  /// Real seconds before a run's mpirun is stopped and the run reported as failed; nullopt: 60 s
  /// plus five times the sequential run's estimate.
  std::optional<double> timeout_s;
  /// Runs per strategy (for the child's messages).
  int repeat = 1;
};

/// The harness's launcher for `launch`. A run that fails (mpirun's exit code not 0, a rank
/// without its measurement) or outlives its timeout (mpirun and its ranks are stopped) is an
/// Error with mpirun's command and output.
bench::LaunchFn mpi_launcher(MpiLaunch launch);

/// What the child of one launched run is told (the JSON file given to --mpi-child).
struct MpiChildSpec {
  std::string strategy;
  std::size_t workers = 1;
  std::size_t tee_writers = 0;
  std::uint64_t tee_budget = 0;
  int repetition = 1;
  int repeat = 1;
  double time_scale = 1;
  bench::BenchPoint point;
};
MpiChildSpec read_child_spec(const std::filesystem::path& file);

/// The rank of this process in the MPI job mpirun started (OMPI_COMM_WORLD_RANK or
/// PMIX_RANK); ConfigError when it was not started by mpirun.
int child_rank();

/// Writes a rank's measurement where the launch reads it: `<folder of spec>/rank-<rank>.json`.
void write_child_measurement(const std::filesystem::path& spec, int rank,
                             const bench::RunMeasurement& run);

}  // namespace sluice::cli
