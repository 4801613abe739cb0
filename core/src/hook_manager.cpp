// The only translation unit that includes Boost.Signals2: it is heavy to compile.

#include <array>
#include <exception>
#include <mutex>

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
// no reference count and no slot-list copy, read by any number of threads at once.
//
// A new snapshot replaces the current one; the old one is retired, and freed once no emission
// can be reading it. Adds happen outside runs only, and not concurrently with emission on
// another thread, so the only emissions that can still read a retired snapshot are those of
// the adding thread that a hook added from (after_catalog_created adding a hook): each thread
// counts the emissions it is inside. An add outside any emission (and any run) frees every
// retired snapshot; one from inside an emission keeps them for the next such add. Emission pays
// a thread-local increment and decrement, no lock and no shared write (freeing when the
// outermost emission returns cost a third more per emission in hook_bench).
namespace {
// Emissions in progress on this thread, of any manager (a hook may emit, or add a hook).
[[gnu::tls_model("initial-exec")]] thread_local int emitting_depth = 0;
}  // namespace

struct HookManager::Signals {
  std::array<Connections, kEventCount> connections;
  struct Snapshot {
    std::array<Listeners, kEventCount> listeners;
  };
  std::unique_ptr<const Snapshot> owned = std::make_unique<const Snapshot>();  // the current one
  std::atomic<const Snapshot*> current{owned.get()};
  mutable std::mutex retired_mutex;
  std::vector<std::unique_ptr<const Snapshot>> retired;  // replaced, not freed yet

  void take_snapshot(const std::atomic<int>& runs) {
    auto snapshot = std::make_unique<Snapshot>();
    for (std::size_t event = 0; event < kEventCount; ++event) {
      connections[event](snapshot->listeners[event]);
    }
    // seq_cst with the RunScope's increment: a run that starts after `runs` read 0 below
    // loads the new snapshot.
    current.store(snapshot.get(), std::memory_order_seq_cst);
    {
      const std::lock_guard lock(retired_mutex);
      retired.push_back(std::move(owned));
    }
    owned = std::move(snapshot);
    free_retired_if_safe(runs);
  }
  // Frees the retired snapshots when no emission of this thread is in progress and no run is.
  void free_retired_if_safe(const std::atomic<int>& runs) {
    if (emitting_depth != 0 || runs.load(std::memory_order_seq_cst) != 0) {
      return;
    }
    const std::lock_guard lock(retired_mutex);
    retired.clear();
  }
  std::size_t snapshots() const {
    const std::lock_guard lock(retired_mutex);
    return 1 + retired.size();
  }

  // One emission: the snapshot it reads, for its whole length.
  class Emission {
   public:
    explicit Emission(const Signals& signals)
        : snapshot_(signals.current.load(std::memory_order_seq_cst)) {
      ++emitting_depth;
    }
    ~Emission() { --emitting_depth; }
    Emission(const Emission&) = delete;
    Emission& operator=(const Emission&) = delete;
    const Listeners& listeners(Event event) const { return snapshot_->listeners[index_of(event)]; }

   private:
    const Snapshot* snapshot_;
  };
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
  signals_->take_snapshot(runs_);
  active_ |= events;
  names_.push_back(std::move(name));
}

std::vector<std::string> HookManager::names() const {
  return names_;
}

std::size_t HookManager::snapshots_kept() const {
  return signals_->snapshots();
}

HookManager::RunScope::RunScope(const HookManager* hooks) : hooks_(hooks) {
  if (hooks_ != nullptr) {
    hooks_->runs_.fetch_add(1, std::memory_order_seq_cst);  // see take_snapshot
  }
}

HookManager::RunScope::~RunScope() {
  if (hooks_ != nullptr) {
    hooks_->runs_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

#define SLUICE_EVENT_EMIT(event, kind, parameters, arguments)                                  \
  detail::emit_result_t<detail::event_kind::kind> HookManager::emit_##event parameters const { \
    const Signals::Emission emission(*signals_);                                               \
    return emit_to(detail::event_kind::kind{}, emission.listeners(Event::event), Event::event, \
                   [&](Hook& hook) { hook.event arguments; });                                 \
  }
SLUICE_EVENTS(SLUICE_EVENT_EMIT)
#undef SLUICE_EVENT_EMIT

}  // namespace sluice
