#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include <sluice/bench/report.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/core/util/json.hpp>
#include <sluice/core/util/units.hpp>

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

bool any_measured(const std::vector<BenchResult>& results) {
  return std::any_of(results.begin(), results.end(),
                     [](const BenchResult& result) { return result.measured_reads.has_value(); });
}

// The measured columns of a real backend, for CSV and JSON: name and value.
std::vector<std::pair<const char*, double>> measured_fields(const BenchResult& result) {
  const IoFigures reads = result.measured_reads.value_or(IoFigures{});
  const IoFigures writes = result.measured_writes.value_or(IoFigures{});
  return {{"read_latency_s", reads.median_s},
          {"write_latency_s", writes.median_s},
          {"read_bandwidth", reads.bandwidth()},
          {"write_bandwidth", writes.bandwidth()},
          {"read_bytes", static_cast<double>(reads.bytes)},
          {"write_bytes", static_cast<double>(writes.bytes)}};
}

bool any_optimum(const std::vector<BenchResult>& results) {
  return std::any_of(results.begin(), results.end(),
                     [](const BenchResult& result) { return result.optimum_s.has_value(); });
}

bool any_prediction(const std::vector<BenchResult>& results) {
  return std::any_of(results.begin(), results.end(), [](const BenchResult& result) {
    return result.predicted_s.has_value() && !result.predicted_only;
  });
}

bool all_predicted(const std::vector<BenchResult>& results) {
  return !results.empty() &&
         std::all_of(results.begin(), results.end(),
                     [](const BenchResult& result) { return result.predicted_only; });
}

// wall / predicted: above 1 when the run took longer than predicted.
std::optional<double> predicted_ratio(const BenchResult& result) {
  if (!result.predicted_s || *result.predicted_s <= 0) {
    return std::nullopt;
  }
  return result.wall_s / *result.predicted_s;
}

bool any_schedule(const std::vector<BenchResult>& results) {
  return std::any_of(results.begin(), results.end(),
                     [](const BenchResult& result) { return result.schedule_s.has_value(); });
}

// An optional figure as a CSV field: empty when there is none.
std::string optional_text(const std::optional<double>& value) {
  return value ? number(*value) : "";
}

std::string speedup_text(const BenchResult& result, const char* none) {
  return result.speedup ? number(*result.speedup) : none;
}

}  // namespace

std::string format_parameter(const std::string& parameter, double value) {
  if (parameter == "workers" || parameter == "tee-writers") {
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
  const bool optimum = any_optimum(results);
  // Nothing ran (--from-trace): the wall time is the prediction.
  const bool only_predicted = all_predicted(results);
  for (const char* column :
       {only_predicted ? "predicted (s)" : "wall (s)", "bound (s)", "x bound"}) {
    header.emplace_back(column);
  }
  if (optimum) {
    header.emplace_back("optimum (s)");
    header.emplace_back("x optimum");
  }
  const bool schedule = any_schedule(results);
  if (schedule) {
    header.emplace_back("best schedule (s)");
    header.emplace_back("x schedule");
  }
  const bool predicted = any_prediction(results);
  if (predicted) {
    header.emplace_back("predicted (s)");
    header.emplace_back("x predicted");
  }
  for (const char* column : {"speed-up", "peak memory", "reads", "writes"}) {
    header.emplace_back(column);
  }
  const bool measured = any_measured(results);
  if (measured) {
    for (const char* column : {"read op", "write op", "read bw", "write bw"}) {
      header.emplace_back(column);
    }
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
    if (optimum) {
      row.push_back(result.optimum_s ? format_seconds(*result.optimum_s) : "-");
      row.push_back(result.optimum_ratio ? fmt::format("{:.2f}", *result.optimum_ratio) : "-");
    }
    if (schedule) {
      row.push_back(result.schedule_s ? format_seconds(*result.schedule_s) : "-");
      row.push_back(result.schedule_ratio ? fmt::format("{:.3f}", *result.schedule_ratio) : "-");
    }
    if (predicted) {
      const auto ratio = predicted_ratio(result);
      row.push_back(result.predicted_s ? format_seconds(*result.predicted_s) : "-");
      row.push_back(ratio ? fmt::format("{:.3f}", *ratio) : "-");
    }
    row.push_back(result.speedup ? fmt::format("{:.2f}x", *result.speedup) : "-");
    row.push_back(result.predicted_only ? std::string("-") : format_size(result.peak_bytes));
    row.push_back(fmt::format("{}", result.reads));
    row.push_back(fmt::format("{}", result.writes));
    if (measured) {
      const IoFigures reads = result.measured_reads.value_or(IoFigures{});
      const IoFigures writes = result.measured_writes.value_or(IoFigures{});
      // Three significant digits: a measurement, not a setting.
      auto latency = [](const IoFigures& io) {
        if (io.operations == 0) {
          return std::string("-");
        }
        return io.median_s < 1 ? fmt::format("{:.3g}ms", io.median_s * 1000)
                               : fmt::format("{:.3g}s", io.median_s);
      };
      auto bandwidth = [](const IoFigures& io) {
        if (io.bandwidth() <= 0) {
          return std::string("-");
        }
        return format_parameter("bandwidth", std::stod(fmt::format("{:.3g}", io.bandwidth())));
      };
      row.push_back(latency(reads));
      row.push_back(latency(writes));
      row.push_back(bandwidth(reads));
      row.push_back(bandwidth(writes));
    }
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
  const bool measured = any_measured(results);
  if (measured && !results.empty()) {
    for (const auto& [name, value] : measured_fields(results.front())) {
      header.emplace_back(name);
    }
  }
  header.insert(header.end(), swept.begin(), swept.end());
  header.emplace_back("time_scale");
  header.emplace_back("optimum_s");
  header.emplace_back("optimum_ratio");
  const bool schedule = any_schedule(results);
  if (schedule) {
    header.emplace_back("schedule_s");
    header.emplace_back("schedule_ratio");
    header.emplace_back("schedule_rule");
  }
  header.emplace_back("predicted_s");
  header.emplace_back("predicted_ratio");
  header.emplace_back("predicted_only");
  std::string csv = fmt::format("{}\n", fmt::join(header, ","));
  for (const auto& result : results) {
    csv += fmt::format("{},{},{},{},{},{},{},{},{}", result.scenario, result.strategy,
                       number(result.wall_s), number(result.bound_s), number(result.ratio),
                       speedup_text(result, ""), result.peak_bytes, result.reads, result.writes);
    if (measured) {
      for (const auto& [name, value] : measured_fields(result)) {
        csv += fmt::format(",{}", number(value));
      }
    }
    for (const auto& [name, value] : result.swept) {
      csv += fmt::format(",{}", number(value));
    }
    csv += fmt::format(",{},{},{}", number(result.time_scale), optional_text(result.optimum_s),
                       optional_text(result.optimum_ratio));
    if (schedule) {
      csv += fmt::format(",{},{},{}", optional_text(result.schedule_s),
                         optional_text(result.schedule_ratio), result.schedule_rule);
    }
    csv += fmt::format(",{},{},{}", optional_text(result.predicted_s),
                       optional_text(predicted_ratio(result)), result.predicted_only ? 1 : 0);
    csv += "\n";
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
    if (result.measured_reads) {
      for (const auto& [name, value] : measured_fields(result)) {
        row[name] = rounded(value);
      }
    }
    for (const auto& [name, value] : result.swept) {
      row[name] = rounded(value);
    }
    row["time_scale"] = rounded(result.time_scale);
    auto optional = [&](const std::optional<double>& value) {
      return value ? Json(rounded(*value)) : Json(nullptr);
    };
    row["optimum_s"] = optional(result.optimum_s);
    row["optimum_ratio"] = optional(result.optimum_ratio);
    if (result.schedule_s) {
      row["schedule_s"] = optional(result.schedule_s);
      row["schedule_ratio"] = optional(result.schedule_ratio);
      row["schedule_rule"] = result.schedule_rule;
    }
    row["predicted_s"] = optional(result.predicted_s);
    row["predicted_ratio"] = optional(predicted_ratio(result));
    row["predicted_only"] = result.predicted_only;
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

}  // namespace sluice::bench
