#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

namespace sluice::cli {

/// What `sluice slowfs` is told; durations, rates and fractions as typed.
struct SlowFsFlags {
  std::string mountpoint;
  std::string backing;
  std::string read_latency = "0";
  std::string write_latency;  // empty: the read latency, as in `sluice bench`
  std::string open_latency;   // empty: 0, or with per_request the read latency
  bool per_request = false;   // latencies per request and fsync, not per file access
  std::string bandwidth;      // empty: unlimited
  std::string jitter = "0";
  double failure_rate = 0;
  std::uint64_t seed = 0;
  bool foreground = false;
};

/// Adds the `slowfs` subcommand, filling `flags`.
CLI::App* add_slowfs_command(CLI::App& app, SlowFsFlags& flags);

/// `sluice slowfs MOUNTPOINT --backing DIR ...`: mounts DIR at MOUNTPOINT through FUSE, with
/// the latency, bandwidth, jitter and failures of remote storage, until SIGINT or SIGTERM.
/// Returns the exit code.
int run_slowfs(const SlowFsFlags& flags);

}  // namespace sluice::cli
