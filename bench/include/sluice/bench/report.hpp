#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <sluice/bench/harness.hpp>

namespace sluice::bench {

/// "10s", "250ms", "100MB/s", "4": a swept value as people write it.
std::string format_parameter(const std::string& parameter, double value);

/// The results as an aligned text table: scenario, strategy, the swept parameters, then
/// simulated wall time, bound, ratio, (when any result has one) the optimum and wall / optimum,
/// speed-up, peak memory, reads and writes; on a real backend
/// then the measured median read and write time per operation and the read and write bandwidth.
std::string format_table(const std::vector<BenchResult>& results);

/// CSV with the columns scenario,strategy,wall_s,bound_s,ratio,speedup,peak_bytes,reads,writes,
/// on a real backend read_latency_s,write_latency_s,read_bandwidth,write_bandwidth,read_bytes,
/// write_bytes (measured), then one per swept parameter (seconds, bytes per second or a count),
/// then time_scale, optimum_s and optimum_ratio (empty when the pipeline was too large to search).
std::string to_csv(const std::vector<BenchResult>& results);
/// A JSON array of objects with the same fields as the CSV.
std::string to_json(const std::vector<BenchResult>& results);
/// Writes CSV or JSON by the file's extension (.csv, .json); ConfigError for another.
void write_results(const std::filesystem::path& path, const std::vector<BenchResult>& results);

}  // namespace sluice::bench
