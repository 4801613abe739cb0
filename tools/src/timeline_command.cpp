#include "timeline_command.hpp"

#include <iostream>
#include <map>

#include <fmt/format.h>

#include <sluice/core/error.hpp>
#include <sluice/hooks/timeline_trace.hpp>

#include "gnuplot.hpp"

namespace sluice::cli {
namespace fs = std::filesystem;
namespace {

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

// The gnuplot data: a block of boxes per category, a row per track (`row`, 0 for a track
// without a name).
std::string plot_data(const Trace& trace, std::map<TrackId, int>& row) {
  std::string data;
  for (int category = 0; category < 4; ++category) {
    data += fmt::format("# {}\n", kCategories[category]);
    for (const TracedSpan& span : trace.spans) {
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
  // Rows from the top: tracks in order of their id (the runner first; rank by rank).
  std::map<TrackId, int> row;
  for (const auto& [track, name] : trace.tracks) {
    row[track] = static_cast<int>(trace.tracks.size()) - static_cast<int>(row.size());
  }
  const std::string data = plot_data(trace, row);
  std::string ytics;
  for (const auto& [track, name] : trace.tracks) {
    ytics += fmt::format("{}\"{}\" {}", ytics.empty() ? "" : ", ", track_label(trace, track),
                         row[track]);
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
  std::cout << trace_summary(trace, path.string());
  if (!flags.plot.empty()) {
    plot_trace(path, trace, flags.plot);
  }
  return 0;
}

}  // namespace sluice::cli
