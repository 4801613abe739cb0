#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sluice/core/export.hpp>

namespace sluice {

/// Work that no hook event covers (a tee's background writes on its writer threads, a save
/// waiting for memory) is reported as spans to the process's trace sink, when one is
/// installed. The `timeline` hook installs one for the length of a run. With no sink, a span
/// costs one atomic load.
class SLUICE_API TraceSink {
 public:
  using Args = std::vector<std::pair<std::string, std::string>>;
  virtual ~TraceSink();
  /// Called on the thread that did the work, when it ends.
  virtual void record(std::string_view category, std::string_view name,
                      std::chrono::steady_clock::time_point start,
                      std::chrono::steady_clock::time_point end, const Args& args) = 0;
};

/// Installs `sink` (null: none) and returns the previous one.
SLUICE_API std::shared_ptr<TraceSink> set_trace_sink(std::shared_ptr<TraceSink> sink);
/// The installed sink, or null.
SLUICE_API std::shared_ptr<TraceSink> trace_sink();

/// Records its lifetime as a span, if a sink was installed when it began.
class SLUICE_API TraceSpan {
 public:
  TraceSpan(std::string_view category, std::string name, TraceSink::Args args = {});
  ~TraceSpan();
  TraceSpan(const TraceSpan&) = delete;
  TraceSpan& operator=(const TraceSpan&) = delete;

  /// Adds an argument shown with the span.
  void arg(std::string key, std::string value);

 private:
  std::shared_ptr<TraceSink> sink_;
  std::string_view category_;
  std::string name_;
  TraceSink::Args args_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace sluice
