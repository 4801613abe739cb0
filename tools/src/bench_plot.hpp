#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <sluice/bench/harness.hpp>

namespace sluice::cli {

/// ConfigError unless `sluice bench --plot` can draw into `path`: something is swept (`swept`),
/// and check_plot_target.
void check_sweep_plot(const std::filesystem::path& path, bool swept);

/// Draws wall time against the first swept parameter, a line per strategy (and per value of
/// the other swept parameters), with the lower bound of the sequential strategies dashed, as
/// SVG (or PNG, by the extension) through gnuplot. ConfigError when nothing was swept, or
/// gnuplot is missing or fails.
void plot_sweep(const std::filesystem::path& path, const std::vector<bench::BenchResult>& results,
                const std::string& title);

}  // namespace sluice::cli
