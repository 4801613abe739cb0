#include "bench_plot.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include <sluice/bench/report.hpp>
#include <sluice/core/error.hpp>

#include "gnuplot.hpp"

namespace sluice::cli {

namespace fs = std::filesystem;

void check_sweep_plot(const fs::path& path, bool swept) {
  if (!swept) {
    throw ConfigError(
        "--plot draws time against a swept parameter: add --sweep, for instance "
        "--sweep read-latency=0,1s,10s");
  }
  check_plot_target(path);
}

namespace {

// The plotted lines: a series per strategy and per value of the other swept parameters, plus
// the bound of the single-worker strategies (which persist everything).
struct Series {
  std::vector<std::string> written;  // the data file's index order
  std::vector<std::string> drawn;    // the same, bounds last
  std::string data;                  // gnuplot's data file: a block per series
};

Series sweep_series(const std::vector<bench::BenchResult>& results) {
  std::map<std::string, std::vector<std::pair<double, double>>> points;
  Series series;
  auto add = [&](const std::string& name, double x, double y) {
    if (!points.contains(name)) {
      series.written.push_back(name);
    }
    points[name].emplace_back(x, y);
  };
  for (const auto& result : results) {
    std::string name = result.strategy;
    for (std::size_t i = 1; i < result.swept.size(); ++i) {
      name += fmt::format(" {}={}", result.swept[i].first,
                          bench::format_parameter(result.swept[i].first, result.swept[i].second));
    }
    add(name, result.swept[0].second, result.wall_s);
    if (result.strategy == "sequential") {
      add(fmt::format("lower bound{}", name.substr(result.strategy.size())), result.swept[0].second,
          result.bound_s);
    }
  }
  for (const auto& name : series.written) {
    series.data += fmt::format("# {}\n", name);
    for (const auto& [x, y] : points[name]) {
      series.data += fmt::format("{} {}\n", x, y);
    }
    series.data += "\n\n";
  }
  series.drawn = series.written;
  // Bounds last, so that they are drawn over a strategy that meets them.
  std::stable_partition(series.drawn.begin(), series.drawn.end(),
                        [](const std::string& name) { return !name.starts_with("lower bound"); });
  return series;
}

// gnuplot's `plot` arguments: a line per series, in a strategy's colour, bounds dashed.
std::string plot_lines(const Series& series, const std::string& data_file) {
  const std::map<std::string, std::string> colours = {
      {"sequential", "#d62728"}, {"async", "#ff7f0e"},      {"cache", "#9467bd"},
      {"tee", "#2ca02c"},        {"parallel", "#8c564b"},   {"parallel+tee", "#17becf"},
      {"memory", "#1f77b4"},     {"lower bound", "#000000"}};
  std::string plots;
  for (const auto& name : series.drawn) {
    const auto index = static_cast<std::size_t>(
        std::find(series.written.begin(), series.written.end(), name) - series.written.begin());
    const bool bound = name.starts_with("lower bound");
    const auto colour = colours.find(bound ? "lower bound" : name.substr(0, name.find(' ')));
    plots += fmt::format(
        "{}'{}' index {} using 1:2 with linespoints {} {} title '{}'",
        plots.empty() ? "" : ", \\\n     ", data_file, index,
        bound ? "dashtype 2 linewidth 1.5" : "linewidth 2",
        colour == colours.end() ? "" : fmt::format("linecolor rgb '{}'", colour->second), name);
  }
  return plots;
}

}  // namespace

void plot_sweep(const fs::path& path, const std::vector<bench::BenchResult>& results,
                const std::string& title) {
  check_sweep_plot(path, !results.empty() && !results.front().swept.empty());
  const Series series = sweep_series(results);
  const std::string& x = results.front().swept.front().first;
  const std::string unit = x == "workers" ? "" : x == "bandwidth" ? " (bytes/s)" : " (s)";
  run_gnuplot(path, 860, 520, series.data, [&](const std::string& data_file) {
    return fmt::format(
        "set title '{}'\nset xlabel '{}{}'\nset ylabel 'wall time (simulated s)'\nset grid\n"
        "set key outside right\nset yrange [0:*]\nplot {}\n",
        title, x, unit, plot_lines(series, data_file));
  });
}

}  // namespace sluice::cli
