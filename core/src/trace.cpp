#include <atomic>
#include <mutex>

#include <sluice/core/trace.hpp>

namespace sluice {
namespace {

std::atomic<bool> installed{false};
std::mutex sink_mutex;
std::shared_ptr<TraceSink> current_sink;

}  // namespace

TraceSink::~TraceSink() = default;

std::shared_ptr<TraceSink> set_trace_sink(std::shared_ptr<TraceSink> sink) {
  std::lock_guard lock(sink_mutex);
  installed.store(sink != nullptr, std::memory_order_release);
  std::swap(sink, current_sink);
  return sink;
}

std::shared_ptr<TraceSink> trace_sink() {
  if (!installed.load(std::memory_order_acquire)) {
    return nullptr;
  }
  std::lock_guard lock(sink_mutex);
  return current_sink;
}

TraceSpan::TraceSpan(std::string_view category, std::string name, TraceSink::Args args)
    : sink_(trace_sink()), category_(category) {
  if (sink_) {
    name_ = std::move(name);
    args_ = std::move(args);
    start_ = std::chrono::steady_clock::now();
  }
}

TraceSpan::~TraceSpan() {
  if (sink_) {
    try {
      sink_->record(category_, name_, start_, std::chrono::steady_clock::now(), args_);
    } catch (...) {  // tracing never fails the work it traces
    }
  }
}

void TraceSpan::arg(std::string key, std::string value) {
  if (sink_) {
    args_.emplace_back(std::move(key), std::move(value));
  }
}

}  // namespace sluice
