#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <unistd.h>

#include <sluice/bench/report.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/files.hpp>
#include <sluice/core/json.hpp>
#include <sluice/core/units.hpp>

namespace sluice::bench {
namespace {

namespace fs = std::filesystem;

const char* const kColumns[] = {"scenario", "strategy",   "wall_s", "bound_s", "ratio",
                                "speedup",  "peak_bytes", "reads",  "writes"};

std::vector<std::string> swept_names(const std::vector<BenchResult>& results) {
  std::vector<std::string> names;
  if (!results.empty()) {
    for (const auto& [name, value] : results.front().swept) {
      names.push_back(name);
    }
  }
  return names;
}

std::string number(double value) {
  return fmt::format("{:.6g}", value);
}

std::string speedup_text(const BenchResult& result, const char* none) {
  return result.speedup ? number(*result.speedup) : none;
}

}  // namespace

std::string format_parameter(const std::string& parameter, double value) {
  if (parameter == "workers") {
    return fmt::format("{}", static_cast<long>(value));
  }
  if (parameter == "bandwidth") {
    if (value <= 0) {
      return "unlimited";
    }
    const char* units[] = {"B/s", "kB/s", "MB/s", "GB/s", "TB/s"};
    int unit = 0;
    while (value >= 1000 && unit < 4) {
      value /= 1000;
      ++unit;
    }
    return fmt::format("{:g}{}", value, units[unit]);
  }
  if (value == 0) {
    return "0";
  }
  if (value < 1) {
    return fmt::format("{:g}ms", value * 1000);
  }
  return value >= 60 && std::fmod(value, 60) == 0 ? fmt::format("{:g}m", value / 60)
                                                  : fmt::format("{:g}s", value);
}

namespace {

// Seconds with the digits that matter: 111.3, 2.04, 0.00556.
std::string format_seconds(double value) {
  if (value >= 10 || value == 0) {
    return fmt::format("{:.1f}", value);
  }
  return value >= 1 ? fmt::format("{:.2f}", value) : fmt::format("{:.3g}", value);
}

}  // namespace

std::string format_table(const std::vector<BenchResult>& results) {
  std::vector<std::string> header = {"scenario", "strategy"};
  const auto swept = swept_names(results);
  header.insert(header.end(), swept.begin(), swept.end());
  for (const char* column :
       {"wall (s)", "bound (s)", "x bound", "speed-up", "peak memory", "reads", "writes"}) {
    header.emplace_back(column);
  }
  std::vector<std::vector<std::string>> rows = {header};
  for (const auto& result : results) {
    std::vector<std::string> row = {result.scenario, result.strategy};
    for (const auto& [name, value] : result.swept) {
      row.push_back(format_parameter(name, value));
    }
    row.push_back(format_seconds(result.wall_s));
    row.push_back(format_seconds(result.bound_s));
    row.push_back(fmt::format("{:.2f}", result.ratio));
    row.push_back(result.speedup ? fmt::format("{:.2f}x", *result.speedup) : "-");
    row.push_back(format_size(result.peak_bytes));
    row.push_back(fmt::format("{}", result.reads));
    row.push_back(fmt::format("{}", result.writes));
    rows.push_back(std::move(row));
  }
  std::vector<std::size_t> widths(header.size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  const std::size_t text_columns = 2;  // scenario and strategy, left-aligned
  std::string table;
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      table += i < text_columns ? fmt::format("{:<{}}", row[i], widths[i])
                                : fmt::format("{:>{}}", row[i], widths[i]);
      table += i + 1 < row.size() ? "  " : "\n";
    }
  }
  return table;
}

std::string to_csv(const std::vector<BenchResult>& results) {
  std::vector<std::string> header(std::begin(kColumns), std::end(kColumns));
  const auto swept = swept_names(results);
  header.insert(header.end(), swept.begin(), swept.end());
  header.emplace_back("time_scale");
  std::string csv = fmt::format("{}\n", fmt::join(header, ","));
  for (const auto& result : results) {
    csv += fmt::format("{},{},{},{},{},{},{},{},{}", result.scenario, result.strategy,
                       number(result.wall_s), number(result.bound_s), number(result.ratio),
                       speedup_text(result, ""), result.peak_bytes, result.reads, result.writes);
    for (const auto& [name, value] : result.swept) {
      csv += fmt::format(",{}", number(value));
    }
    csv += fmt::format(",{}\n", number(result.time_scale));
  }
  return csv;
}

std::string to_json(const std::vector<BenchResult>& results) {
  // Numbers to the 6 significant digits of number(), as in the CSV.
  auto rounded = [](double value) { return std::stod(number(value)); };
  Json rows = Json::array();
  for (const auto& result : results) {
    Json row = {{"scenario", result.scenario},
                {"strategy", result.strategy},
                {"wall_s", rounded(result.wall_s)},
                {"bound_s", rounded(result.bound_s)},
                {"ratio", rounded(result.ratio)},
                {"speedup", result.speedup ? Json(rounded(*result.speedup)) : Json(nullptr)},
                {"peak_bytes", result.peak_bytes},
                {"reads", result.reads},
                {"writes", result.writes}};
    for (const auto& [name, value] : result.swept) {
      row[name] = rounded(value);
    }
    row["time_scale"] = rounded(result.time_scale);
    rows.push_back(std::move(row));
  }
  return json_text(rows);
}

void write_results(const fs::path& path, const std::vector<BenchResult>& results) {
  const std::string extension = path.extension().string();
  if (extension == ".csv") {
    write_file_atomically(path, to_csv(results));
  } else if (extension == ".json") {
    write_file_atomically(path, to_json(results));
  } else {
    throw ConfigError(fmt::format(
        "--out '{}': the extension must be .csv or .json (it chooses the format)", path.string()));
  }
}

namespace {

bool gnuplot_available() {
  const char* path = std::getenv("PATH");
  std::stringstream folders(path != nullptr ? path : "");
  for (std::string folder; std::getline(folders, folder, ':');) {
    if (!folder.empty() && ::access((fs::path(folder) / "gnuplot").c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

void check_plot_target(const fs::path& path) {
  if (path.extension() != ".svg" && path.extension() != ".png") {
    throw ConfigError(
        fmt::format("--plot '{}': the extension must be .svg or .png", path.string()));
  }
  if (!gnuplot_available()) {
    throw ConfigError(
        "--plot needs gnuplot, which is not on the PATH: install it (apt-get install "
        "gnuplot-nox)");
  }
}

void run_gnuplot(const fs::path& path, int width, int height, const std::string& data,
                 const std::function<std::string(const std::string& data_file)>& commands) {
  const fs::path data_file = fs::path(path).concat(".data");
  const fs::path script = fs::path(path).concat(".gp");
  write_file_atomically(data_file, data);
  const std::string terminal =
      path.extension() == ".png"
          ? fmt::format("pngcairo size {},{} font 'sans,10'", width, height)
          : fmt::format("svg size {},{} dynamic font 'sans,12'", width, height);
  write_file_atomically(script, fmt::format("set terminal {} background '#ffffff'\nset termoption "
                                            "noenhanced\nset output '{}'\n{}",
                                            terminal, path.string(), commands(data_file.string())));
  const int status = std::system(fmt::format("gnuplot '{}' 2>&1", script.string()).c_str());
  fs::remove(data_file);
  fs::remove(script);
  if (status != 0) {
    throw ConfigError(
        fmt::format("gnuplot failed (status {}) drawing '{}'", status, path.string()));
  }
}

void plot_svg(const fs::path& path, const std::vector<BenchResult>& results,
              const std::string& title) {
  const auto swept = swept_names(results);
  if (swept.empty()) {
    throw ConfigError(
        "--plot draws time against a swept parameter: add --sweep, for instance "
        "--sweep read-latency=0,1s,10s");
  }
  check_plot_target(path);
  // A series per strategy and per value of the other swept parameters, plus the bound of the
  // single-worker strategies (which persist everything).
  std::map<std::string, std::vector<std::pair<double, double>>> series;
  std::vector<std::string> order;
  auto add = [&](const std::string& name, double x, double y) {
    if (!series.contains(name)) {
      order.push_back(name);
    }
    series[name].emplace_back(x, y);
  };
  for (const auto& result : results) {
    std::string name = result.strategy;
    for (std::size_t i = 1; i < result.swept.size(); ++i) {
      name += fmt::format(" {}={}", result.swept[i].first,
                          format_parameter(result.swept[i].first, result.swept[i].second));
    }
    add(name, result.swept[0].second, result.wall_s);
    if (result.strategy == "sequential") {
      add(fmt::format("lower bound{}", name.substr(result.strategy.size())), result.swept[0].second,
          result.bound_s);
    }
  }
  std::string table;
  const std::vector<std::string> written = order;  // the data file's index order
  for (const auto& name : order) {
    table += fmt::format("# {}\n", name);
    for (const auto& [x, y] : series[name]) {
      table += fmt::format("{} {}\n", x, y);
    }
    table += "\n\n";
  }
  const std::string& x = swept.front();
  std::string unit = x == "workers" ? "" : x == "bandwidth" ? " (bytes/s)" : " (s)";
  // Bounds last, so that they are drawn over a strategy that meets them.
  std::stable_partition(order.begin(), order.end(),
                        [](const std::string& name) { return !name.starts_with("lower bound"); });
  const std::map<std::string, std::string> colours = {
      {"sequential", "#d62728"}, {"async", "#ff7f0e"},      {"cache", "#9467bd"},
      {"tee", "#2ca02c"},        {"parallel", "#8c564b"},   {"parallel+tee", "#17becf"},
      {"memory", "#1f77b4"},     {"lower bound", "#000000"}};
  run_gnuplot(path, 860, 520, table, [&](const std::string& data) {
    std::string plots;
    for (const auto& name : order) {
      const auto index = static_cast<std::size_t>(std::find(written.begin(), written.end(), name) -
                                                  written.begin());
      const bool bound = name.starts_with("lower bound");
      const auto colour = colours.find(bound ? "lower bound" : name.substr(0, name.find(' ')));
      plots += fmt::format(
          "{}'{}' index {} using 1:2 with linespoints {} {} title '{}'",
          plots.empty() ? "" : ", \\\n     ", data, index,
          bound ? "dashtype 2 linewidth 1.5" : "linewidth 2",
          colour == colours.end() ? "" : fmt::format("linecolor rgb '{}'", colour->second), name);
    }
    return fmt::format(
        "set title '{}'\nset xlabel '{}{}'\nset ylabel 'wall time (simulated s)'\nset grid\n"
        "set key outside right\nset yrange [0:*]\nplot {}\n",
        title, x, unit, plots);
  });
}

}  // namespace sluice::bench
