// The only translation unit that includes Boost.Signals2: it is heavy to compile.

#include <array>
#include <exception>

#include <boost/signals2/signal.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/error.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/trace.hpp>

namespace sluice {

namespace {

// A hook connected to an event, as emission sees it. The connection's slot owns the hook and
// its name, and connections last as long as the manager.
struct Listener {
  Hook* hook;
  const std::string* name;
};
using Listeners = std::vector<Listener>;

// An event's connections. Emitting it appends the listeners in the order they run: ascending
// priority (the group), then the order they were added (at_back).
using Connections =
    boost::signals2::signal<void(Listeners&), boost::signals2::optional_last_value<void>, int>;

std::size_t index_of(Event event) {
  return static_cast<std::size_t>(event);
}

}  // namespace

// Connections live in Boost.Signals2 (it orders the hooks by priority); emission reads a
// snapshot of them, taken whenever a hook is added: a flat list per event that needs no lock,
// no reference count and no slot-list copy, read by any number of threads at once. A new
// snapshot replaces the current one and the old one is kept, so an emission that is iterating
// it (a hook adding a hook from after_catalog_created) finishes on the list it started with.
struct HookManager::Signals {
  std::array<Connections, kEventCount> connections;
  struct Snapshot {
    std::array<Listeners, kEventCount> listeners;
  };
  std::vector<std::unique_ptr<const Snapshot>> snapshots;
  std::atomic<const Snapshot*> current{nullptr};

  Signals() {
    snapshots.push_back(std::make_unique<const Snapshot>());
    current.store(snapshots.back().get(), std::memory_order_release);
  }
  void take_snapshot() {
    auto snapshot = std::make_unique<Snapshot>();
    for (std::size_t event = 0; event < kEventCount; ++event) {
      connections[event](snapshot->listeners[event]);
    }
    current.store(snapshot.get(), std::memory_order_release);
    snapshots.push_back(std::move(snapshot));
  }
  const Listeners& listeners(Event event) const {
    return current.load(std::memory_order_acquire)->listeners[index_of(event)];
  }
};

namespace {

// A plain event: calls each listener in turn and turns whatever one throws into a HookError
// naming the hook and the event, the original nested in it (the runner reads a
// NotPersistedError's datasets there). The failure stops the event.
template <class Call>
void emit_to(detail::event_kind::plain, const Listeners& listeners, Event event, Call call) {
  for (const Listener& listener : listeners) {
    try {
      call(*listener.hook);
    } catch (const HookError&) {
      throw;
    } catch (...) {
      std::throw_with_nested(HookError(*listener.name, event, current_exception_message()));
    }
  }
}

void log_error_event_failure(const Listener& listener, Event event) {
  logger().error("hook '{}' failed in {} (the original error is kept): {}", *listener.name,
                 event_name(event), current_exception_message());
}

// An error event: the run is failing already, so a hook failure is logged, not thrown.
template <class Call>
void emit_to(detail::event_kind::error, const Listeners& listeners, Event event, Call call) {
  for (const Listener& listener : listeners) {
    try {
      call(*listener.hook);
    } catch (...) {
      log_error_event_failure(listener, event);
    }
  }
}

// on_pipeline_error: as an error event, but what the hooks report as not persisted is returned,
// in hook order, to the runner for the run's error instead of being logged.
template <class Call>
std::vector<std::string> emit_to(detail::event_kind::pipeline_error, const Listeners& listeners,
                                 Event event, Call call) {
  std::vector<std::string> lost;
  for (const Listener& listener : listeners) {
    try {
      call(*listener.hook);
    } catch (const NotPersistedError& error) {
      lost.push_back(fmt::format("hook '{}': {}", *listener.name, error.what()));
    } catch (...) {
      log_error_event_failure(listener, event);
    }
  }
  return lost;
}

}  // namespace

HookManager::HookManager()
    : signals_(std::make_unique<Signals>()), trace_(std::make_shared<Trace>()) {}
HookManager::~HookManager() = default;

void HookManager::add(std::string name, std::shared_ptr<Hook> hook, int priority) {
  if (runs_.load(std::memory_order_acquire) > 0) {
    throw ConfigError(fmt::format(
        "cannot add hook '{}' while a pipeline run is in progress: hooks are connected between "
        "runs only, so that every hook sees whole runs (from before_pipeline_run to "
        "after_pipeline_run) and emitting an event takes no lock; add it before the run "
        "starts (in hooks.yml or settings for the CLI, with HookManager::add before "
        "Runner::run in code)",
        name));
  }
  if (!hook) {
    throw ConfigError(fmt::format("hook '{}' is null", name));
  }
  const Events events = hook->events();
  auto shared_name = std::make_shared<const std::string>(name);
  for (std::size_t event = 0; event < kEventCount; ++event) {
    if (events.contains(static_cast<Event>(event))) {
      signals_->connections[event].connect(
          priority,
          [hook, shared_name](Listeners& listeners) {
            listeners.push_back({hook.get(), shared_name.get()});
          },
          boost::signals2::at_back);
    }
  }
  signals_->take_snapshot();
  active_ |= events;
  names_.push_back(std::move(name));
}

std::vector<std::string> HookManager::names() const {
  return names_;
}

HookManager::RunScope::RunScope(const HookManager* hooks) : hooks_(hooks) {
  if (hooks_ != nullptr) {
    hooks_->runs_.fetch_add(1, std::memory_order_acq_rel);
  }
}

HookManager::RunScope::~RunScope() {
  if (hooks_ != nullptr) {
    hooks_->runs_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

#define SLUICE_EVENT_EMIT(event, kind, parameters, arguments)                                   \
  detail::emit_result_t<detail::event_kind::kind> HookManager::emit_##event parameters const {  \
    return emit_to(detail::event_kind::kind{}, signals_->listeners(Event::event), Event::event, \
                   [&](Hook& hook) { hook.event arguments; });                                  \
  }
SLUICE_EVENTS(SLUICE_EVENT_EMIT)
#undef SLUICE_EVENT_EMIT

}  // namespace sluice
