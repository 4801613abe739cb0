#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <sluice/bench/harness.hpp>

namespace sluice::bench {

/// "10s", "250ms", "100MB/s", "4": a swept value as people write it.
std::string format_parameter(const std::string& parameter, double value);

/// The results as an aligned text table: scenario, strategy, the swept parameters, then
/// simulated wall time, bound, ratio, speed-up, peak memory, reads and writes.
std::string format_table(const std::vector<BenchResult>& results);

/// CSV with the columns scenario,strategy,wall_s,bound_s,ratio,speedup,peak_bytes,reads,writes,
/// then one per swept parameter (seconds, bytes per second or a count), then time_scale.
std::string to_csv(const std::vector<BenchResult>& results);
/// A JSON array of objects with the same fields as the CSV.
std::string to_json(const std::vector<BenchResult>& results);
/// Writes CSV or JSON by the file's extension (.csv, .json); ConfigError for another.
void write_results(const std::filesystem::path& path, const std::vector<BenchResult>& results);

/// ConfigError unless `path` ends in .svg or .png (the format) and gnuplot is on the PATH.
void check_plot_target(const std::filesystem::path& path);
/// Draws into `path` with gnuplot, `width` x `height` pixels, SVG or PNG by the extension:
/// writes `data` to a scratch file beside it, sets the terminal and output, then runs
/// `commands(data_file)`; the scratch files are removed. ConfigError when gnuplot fails.
void run_gnuplot(const std::filesystem::path& path, int width, int height, const std::string& data,
                 const std::function<std::string(const std::string& data_file)>& commands);

/// Draws wall time against the first swept parameter, a line per strategy (and per value of
/// the other swept parameters), with the lower bound of the sequential strategies dashed, as
/// SVG (or PNG, by the extension) through gnuplot. ConfigError when nothing was swept, or
/// gnuplot is missing or fails.
void plot_svg(const std::filesystem::path& path, const std::vector<BenchResult>& results,
              const std::string& title);

}  // namespace sluice::bench
