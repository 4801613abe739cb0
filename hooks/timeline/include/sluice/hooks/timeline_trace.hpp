#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

/// A complete ("X") event of a trace the timeline hook wrote.
struct TraceSpan {
  std::string name;
  std::string category;
  double start_ms = 0;
  double end_ms = 0;
  std::int64_t track = 0;
};

/// The spans of a trace, and its threads (tracks) by id.
struct Trace {
  std::vector<TraceSpan> spans;
  std::map<std::int64_t, std::string> tracks;
  double end_ms = 0;
};

/// Reads a Chrome trace-event file as the timeline hook writes it (`source` names it in
/// errors). ConfigError naming `source`, the line and column of bad JSON, or the event that
/// misses a field, and what to do.
Trace parse_trace(std::string_view text, const std::string& source);

/// parse_trace() of the file at `path`; ConfigError when there is none.
Trace read_trace(const std::filesystem::path& path);

/// "<name>: 3 spans on 2 threads over 12.5 ms", then the busy time per thread and category.
std::string trace_summary(const Trace& trace, const std::string& name);

}  // namespace sluice
