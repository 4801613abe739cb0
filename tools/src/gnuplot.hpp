#pragma once

#include <filesystem>
#include <functional>
#include <string>

namespace sluice::cli {

/// ConfigError unless `path` ends in .svg or .png (the format) and gnuplot is on the PATH.
void check_plot_target(const std::filesystem::path& path);

/// Draws into `path` with gnuplot, `width` x `height` pixels, SVG or PNG by the extension:
/// writes `data` to a scratch file beside it, sets the terminal and output, then runs
/// `commands(data_file)`; the scratch files are removed. ConfigError when gnuplot fails.
/// The one gnuplot runner of the command line (`sluice bench --plot`, `sluice timeline --plot`).
void run_gnuplot(const std::filesystem::path& path, int width, int height, const std::string& data,
                 const std::function<std::string(const std::string& data_file)>& commands);

}  // namespace sluice::cli
