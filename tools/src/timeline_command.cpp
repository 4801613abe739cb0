#include "timeline_command.hpp"

#include <iostream>
#include <map>

#include <fmt/format.h>

#include <sluice/core/config_loader.hpp>
#include <sluice/core/error.hpp>

#include "gnuplot.hpp"

namespace sluice::cli {
namespace fs = std::filesystem;
namespace {

struct Span {
  std::string name;
  std::string category;
  double start_ms = 0;
  double end_ms = 0;
  std::int64_t track = 0;
};

// Drawn in this order: nodes last, over the loads and saves around them.
const char* const kCategories[] = {"load", "save", "tee", "node"};
const char* const kColours[] = {"#2ca02c", "#ff7f0e", "#d62728", "#1f77b4"};

int category_index(const std::string& category) {
  for (int i = 0; i < 4; ++i) {
    if (category == kCategories[i]) {
      return i;
    }
  }
  return 2;  // other spans from the trace sink are drawn as background work
}

// The spans of a trace, and its threads (tracks) by id.
struct Trace {
  std::vector<Span> spans;
  std::map<std::int64_t, std::string> tracks;
  double end_ms = 0;
};

Trace read_trace(const fs::path& trace) {
  if (!fs::is_regular_file(trace)) {
    throw ConfigError(
        fmt::format("no trace at '{}': run with --hooks timeline to write one", trace.string()));
  }
  const Param json = load_yaml_file(trace);  // YAML reads JSON
  const Param* events = json.find("traceEvents");
  if (events == nullptr || !events->is_list()) {
    throw ConfigError(
        fmt::format("'{}' is not a trace-event file (no traceEvents list)", trace.string()));
  }
  Trace read;
  for (const Param& event : events->as_list()) {
    const std::string phase = event.at("ph").as_string();
    if (phase == "M" && event.at("name").as_string() == "thread_name") {
      read.tracks[event.at("tid").as_int()] = event.at("args").at("name").as_string();
    } else if (phase == "X") {
      Span span;
      span.name = event.at("name").as_string();
      span.category = event.at("cat").as_string();
      span.start_ms = event.at("ts").as_double() / 1000;
      span.end_ms = span.start_ms + event.at("dur").as_double() / 1000;
      span.track = event.at("tid").as_int();
      read.end_ms = std::max(read.end_ms, span.end_ms);
      read.spans.push_back(std::move(span));
    }
  }
  return read;
}

// Busy time per track and category.
void print_summary(const fs::path& path, const Trace& trace) {
  std::map<std::int64_t, std::map<std::string, double>> busy;
  for (const Span& span : trace.spans) {
    busy[span.track][span.category] += span.end_ms - span.start_ms;
  }
  std::cout << fmt::format("{}: {} spans on {} threads over {:.1f} ms\n", path.string(),
                           trace.spans.size(), trace.tracks.size(), trace.end_ms);
  for (const auto& [track, categories] : busy) {
    std::vector<std::string> parts;
    for (const auto& [category, ms] : categories) {
      parts.push_back(fmt::format("{} {:.1f} ms", category, ms));
    }
    const auto name = trace.tracks.find(track);
    std::cout << fmt::format("  {:<16} {}\n", name != trace.tracks.end() ? name->second : "?",
                             fmt::join(parts, ", "));
  }
}

// The gnuplot data: a block of boxes per category, a row per track (`row`, 0 for a track
// without a name).
std::string plot_data(const Trace& trace, std::map<std::int64_t, int>& row) {
  std::string data;
  for (int category = 0; category < 4; ++category) {
    data += fmt::format("# {}\n", kCategories[category]);
    for (const Span& span : trace.spans) {
      if (category_index(span.category) == category) {
        // Narrow spans (nodes of a latency-bound run) stay visible; wide ones get a label.
        const double minimum = trace.end_ms * 0.002;
        const double end = std::max(span.end_ms, span.start_ms + minimum);
        const bool labelled = span.end_ms - span.start_ms > trace.end_ms * 0.12;
        data += fmt::format("{} {} {} \"{}\"\n", span.start_ms, end, row[span.track],
                            labelled ? span.name : "");
      }
    }
    data += "\n\n";
  }
  return data;
}

std::string gnuplot_script(const fs::path& path, const Trace& trace, const std::string& ytics,
                           const std::string& data_file) {
  std::string plots;
  for (int category = 0; category < 4; ++category) {
    plots += fmt::format(
        "{}'{}' index {} using (($1+$2)/2):3:(($2-$1)/2):(0.3) with boxxyerror fillstyle solid "
        "0.8 noborder linecolor rgb '{}' title '{}'",
        category == 0 ? "" : ", \\\n     ", data_file, category, kColours[category],
        kCategories[category] == std::string("tee") ? "tee background write"
                                                    : kCategories[category]);
  }
  for (int category = 0; category < 4; ++category) {
    plots += fmt::format(
        ", \\\n     '{}' index {} using (($1+$2)/2):3:4 with labels textcolor rgb '#ffffff' "
        "font ',10' notitle",
        data_file, category);
  }
  return fmt::format(
      "set title 'timeline of {}'\nset xlabel 'time since the run started (ms)'\nset ytics "
      "({})\nset yrange [0.4:{}]\nset xrange [0:{}]\nset grid xtics\nset key outside "
      "bottom center horizontal\nplot {}\n",
      path.filename().string(), ytics, static_cast<double>(trace.tracks.size()) + 0.7,
      trace.end_ms * 1.02, plots);
}

void plot_trace(const fs::path& path, const Trace& trace, const fs::path& plot) {
  check_plot_target(plot);
  // Rows from the top: tracks in order of their id (the runner first).
  std::map<std::int64_t, int> row;
  for (const auto& [track, name] : trace.tracks) {
    row[track] = static_cast<int>(trace.tracks.size()) - static_cast<int>(row.size());
  }
  const std::string data = plot_data(trace, row);
  std::string ytics;
  for (const auto& [track, name] : trace.tracks) {
    ytics += fmt::format("{}\"{}\" {}", ytics.empty() ? "" : ", ", name, row[track]);
  }
  run_gnuplot(plot, 960, 360, data, [&](const std::string& data_file) {
    return gnuplot_script(path, trace, ytics, data_file);
  });
  std::cerr << fmt::format("wrote {}\n", plot.string());
}

}  // namespace

CLI::App* add_timeline_command(CLI::App& app, TimelineFlags& flags) {
  CLI::App* timeline = app.add_subcommand(
      "timeline", "Summarise a trace of the timeline hook, and draw it (gnuplot)");
  timeline->add_option("trace", flags.trace, "A trace: timeline.json")->required();
  timeline->add_option("--plot", flags.plot, "Draw it: timeline.svg or .png");
  return timeline;
}

int run_timeline(const TimelineFlags& flags) {
  const fs::path path = flags.trace;
  const Trace trace = read_trace(path);
  print_summary(path, trace);
  if (!flags.plot.empty()) {
    plot_trace(path, trace, flags.plot);
  }
  return 0;
}

}  // namespace sluice::cli
