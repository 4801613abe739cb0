#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "project_flags.hpp"

namespace sluice::cli {

/// What `sluice bench` is told.
struct BenchFlags {
  std::string scenario = "iris";
  ProjectFlags project;  // of the project scenario
  std::string pipeline = "__default__";
  std::vector<std::string> strategies;
  std::string storage;        // a profile of bench.yml
  std::string read_latency;   // empty: the profile's, or 0
  std::string write_latency;  // empty: the profile's, or the read latency
  std::string bandwidth;      // empty: the profile's, or unlimited
  std::string jitter;         // empty: the profile's, or 0
  std::string storage_url;    // a real backend instead of simulated storage
  std::string credentials;    // an entry of the project's credentials.yml, for storage_url
  bool keep = false;          // keep the objects written on the real backend
  std::string compute = "0";
  std::string compute_mode = "sleep";
  std::string payload = "8KiB";
  std::size_t workers = 0;
  std::size_t tee_writers = 0;  // 0: the tee's default max_writers
  std::string tee_budget;       // empty: the tee's default memory_budget
  int repeat = 3;
  double time_scale = 0;
  std::vector<std::string> sweeps;
  std::string out;
  std::string plot;
  bool verbose = false;
  std::string mpi_timeout;  // empty: automatic
  std::string from_trace;   // predict from this timeline trace instead of running
  std::string mpi_child;    // hidden: the spec of the one run a rank of an mpi strategy makes
};

/// Adds the `bench` subcommand, filling `flags`.
CLI::App* add_bench_command(CLI::App& app, BenchFlags& flags);

/// Runs it: the table on stdout, progress and notes on stderr. Returns the exit code.
int run_bench(const BenchFlags& flags);

}  // namespace sluice::cli
