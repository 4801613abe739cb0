#include <algorithm>

#include <sluice/core/catalog.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/trace.hpp>

namespace sluice {

TraceSink::~TraceSink() = default;

void Trace::add(std::shared_ptr<TraceSink> sink) {
  if (!sink) {
    return;
  }
  std::lock_guard lock(mutex_);
  Sinks sinks = sinks_ ? *sinks_ : Sinks();
  if (std::find(sinks.begin(), sinks.end(), sink) != sinks.end()) {
    return;
  }
  sinks.push_back(std::move(sink));
  sinks_ = std::make_shared<const Sinks>(std::move(sinks));
  any_.store(true, std::memory_order_release);
}

void Trace::remove(const TraceSink* sink) {
  std::lock_guard lock(mutex_);
  if (!sinks_) {
    return;
  }
  Sinks sinks = *sinks_;
  std::erase_if(sinks, [&](const auto& each) { return each.get() == sink; });
  sinks_ = sinks.empty() ? nullptr : std::make_shared<const Sinks>(std::move(sinks));
  any_.store(sinks_ != nullptr, std::memory_order_release);
}

std::shared_ptr<const Trace::Sinks> Trace::sinks() const {
  if (!any_.load(std::memory_order_acquire)) {
    return nullptr;
  }
  std::lock_guard lock(mutex_);
  return sinks_;
}

std::shared_ptr<Trace> trace_of(const Catalog& catalog) {
  return catalog.hooks() != nullptr ? catalog.hooks()->trace() : nullptr;
}

TraceSpan::TraceSpan(const Trace* trace, std::string_view category, std::string name,
                     TraceSink::Args args)
    : sinks_(trace != nullptr ? trace->sinks() : nullptr), category_(category) {
  if (sinks_) {
    name_ = std::move(name);
    args_ = std::move(args);
    start_ = std::chrono::steady_clock::now();
  }
}

TraceSpan::~TraceSpan() {
  if (sinks_) {
    const auto end = std::chrono::steady_clock::now();
    for (const auto& sink : *sinks_) {
      try {
        sink->record(category_, name_, start_, end, args_);
      } catch (...) {  // tracing never fails the work it traces
      }
    }
  }
}

void TraceSpan::arg(std::string key, std::string value) {
  if (sinks_) {
    args_.emplace_back(std::move(key), std::move(value));
  }
}

}  // namespace sluice
