#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sluice/core/export.hpp>

namespace sluice {

class Catalog;

/// Receives the spans of a run's Trace.
class SLUICE_API TraceSink {
 public:
  using Args = std::vector<std::pair<std::string, std::string>>;
  virtual ~TraceSink();
  /// Called on the thread that did the work, when it ends.
  virtual void record(std::string_view category, std::string_view name,
                      std::chrono::steady_clock::time_point start,
                      std::chrono::steady_clock::time_point end, const Args& args) = 0;
};

/// The trace of one run: the sinks of the spans that report work no hook event covers (a tee's
/// background writes on its writer threads, a save waiting for memory). There is no
/// process-wide trace: each HookManager owns one (HookManager::trace()), so two runs in one
/// process never see each other's spans. A hook that records spans (the `timeline` hook) adds
/// its sink when the run starts; a hook that produces spans (the `tee`) takes the trace with
/// trace_of(catalog) in after_catalog_created and passes it to its TraceSpans.
/// Thread-safe. With no sink, a span costs one atomic load.
class SLUICE_API Trace {
 public:
  using Sinks = std::vector<std::shared_ptr<TraceSink>>;

  /// Adds `sink`; adding it again changes nothing.
  void add(std::shared_ptr<TraceSink> sink);
  /// Removes `sink`. Spans begun before still report to it when they end.
  void remove(const TraceSink* sink);
  /// The sinks now, or null when there are none.
  std::shared_ptr<const Sinks> sinks() const;

 private:
  std::atomic<bool> any_{false};
  mutable std::mutex mutex_;
  std::shared_ptr<const Sinks> sinks_;
};

/// The trace of the run `catalog` belongs to (its hooks' trace), or null when it has no hooks.
/// Hooks call it in after_catalog_created.
SLUICE_API std::shared_ptr<Trace> trace_of(const Catalog& catalog);

/// Records its lifetime as a span to the sinks `trace` had when it began (none when `trace` is
/// null).
class SLUICE_API TraceSpan {
 public:
  TraceSpan(const Trace* trace, std::string_view category, std::string name,
            TraceSink::Args args = {});
  ~TraceSpan();
  TraceSpan(const TraceSpan&) = delete;
  TraceSpan& operator=(const TraceSpan&) = delete;

  /// Adds an argument shown with the span.
  void arg(std::string key, std::string value);

 private:
  std::shared_ptr<const Trace::Sinks> sinks_;
  std::string_view category_;
  std::string name_;
  TraceSink::Args args_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace sluice
