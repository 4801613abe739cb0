#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace sluice::cli {

/// What `sluice timeline` is told.
struct TimelineFlags {
  std::string trace;
  std::string plot;  // empty: no drawing
};

/// Adds the `timeline` subcommand, filling `flags`.
CLI::App* add_timeline_command(CLI::App& app, TimelineFlags& flags);

/// `sluice timeline TRACE [--plot OUT.svg|png]`: summarises a trace written by the timeline
/// hook (busy time per track and category) and draws it with gnuplot, a row per thread.
int run_timeline(const TimelineFlags& flags);

}  // namespace sluice::cli
