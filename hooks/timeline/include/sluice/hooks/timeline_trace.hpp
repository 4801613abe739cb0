#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

/// A track of a trace: a thread (`tid`) of a process (`pid`; under `--runner mpi`, the rank).
struct TrackId {
  std::int64_t process = 0;
  std::int64_t thread = 0;
  friend auto operator<=>(const TrackId&, const TrackId&) = default;
};

/// A complete ("X") event of a trace the timeline hook wrote (not sluice::TraceSpan, the span a
/// hook records while it works: core/trace.hpp).
struct TracedSpan {
  std::string name;
  std::string category;
  double start_ms = 0;
  double end_ms = 0;
  TrackId track;
  /// Its `args` that are strings ("dataset", "node", "bytes", "error", ...).
  std::map<std::string, std::string> args;
};

/// A dataset of the traced run as its catalog had it once every hook had wrapped it.
struct TracedDataset {
  std::string type;  // its description: "BinaryDataset (data/x.bin) (via tee)"
  bool ephemeral = false;
};

/// The spans of a trace, its threads (tracks) and its processes (by pid) with their names.
struct Trace {
  std::vector<TracedSpan> spans;
  std::map<TrackId, std::string> tracks;
  std::map<std::int64_t, std::string> processes;
  double end_ms = 0;
  /// From otherData, in traces the timeline writes since #16.2 (of several ranks, since #16.3;
  /// empty in older ones): the run's runner and its pipeline's datasets.
  std::string runner;
  std::map<std::string, TracedDataset> datasets;
  /// The processes of a run of several ranks (otherData's `ranks`; 1 for one process).
  int ranks = 1;
};

/// A track's name: its thread's ("runner"), after its process's ("rank 1 runner") when the
/// trace has several processes (a run under `--runner mpi`); "?" for a track without a name.
std::string track_label(const Trace& trace, const TrackId& track);

/// Reads a Chrome trace-event file as the timeline hook writes it (`source` names it in
/// errors). ConfigError naming `source`, the line and column of bad JSON, or the event that
/// misses a field, and what to do.
Trace parse_trace(std::string_view text, const std::string& source);

/// parse_trace() of the file at `path`; ConfigError when there is none.
Trace read_trace(const std::filesystem::path& path);

/// "<name>: 3 spans on 2 threads over 12.5 ms" ("... on 4 threads of 3 processes ..." for a
/// trace of several), then the busy time per thread and category.
std::string trace_summary(const Trace& trace, const std::string& name);

}  // namespace sluice
