// The only translation unit that includes Boost.Signals2: it is heavy to compile.

#include <exception>

#include <boost/signals2/signal.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/error.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/trace.hpp>

namespace sluice {

template <class... Args>
using Signal =
    boost::signals2::signal<void(Args...), boost::signals2::optional_last_value<void>, int>;

// on_pipeline_error's slots return what their hook reported as not persisted; the signal
// returns all of it, in slot order.
struct Concatenate {
  using result_type = std::vector<std::string>;
  template <class Iterator>
  result_type operator()(Iterator first, Iterator last) const {
    result_type all;
    for (; first != last; ++first) {
      const result_type part = *first;
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }
};

// The signal of an event, from the type of its Hook member: Signal<Args...> for the plain and
// error events, a signal returning the hooks' reports through Concatenate for on_pipeline_error.
template <class Kind, class Member>
struct SignalFor;
template <class Kind, class... Args>
struct SignalFor<Kind, void (Hook::*)(Args...)> {
  using type = Signal<Args...>;
};
template <class... Args>
struct SignalFor<detail::event_kind::pipeline_error, void (Hook::*)(Args...)> {
  using type = boost::signals2::signal<std::vector<std::string>(Args...), Concatenate, int>;
};

struct HookManager::Signals {
#define SLUICE_EVENT_SIGNAL(name, kind, parameters, arguments) \
  SignalFor<detail::event_kind::kind, decltype(&Hook::name)>::type name;
  SLUICE_EVENTS(SLUICE_EVENT_SIGNAL)
#undef SLUICE_EVENT_SIGNAL
};

namespace {

// The slot the manager builds around a hook: calls the hook's member and turns whatever it
// throws into a HookError naming the hook and the event, the original nested in it (the runner
// reads a NotPersistedError's datasets there). The hook is held by shared_ptr, so it (and the
// plugin library it may come from) outlives every connection.
template <class Member>
auto slot(std::shared_ptr<Hook> hook, std::string name, Event event, Member member) {
  return [hook = std::move(hook), name = std::move(name), event, member](auto&&... args) {
    try {
      ((*hook).*member)(std::forward<decltype(args)>(args)...);
    } catch (const HookError&) {
      throw;
    } catch (...) {
      std::throw_with_nested(HookError(name, event, current_exception_message()));
    }
  };
}

// For error events: the run is failing already, so a hook failure is logged, not thrown.
template <class Member>
auto error_slot(std::shared_ptr<Hook> hook, std::string name, Event event, Member member) {
  return [hook = std::move(hook), name = std::move(name), event, member](auto&&... args) {
    try {
      ((*hook).*member)(std::forward<decltype(args)>(args)...);
    } catch (...) {
      logger().error("hook '{}' failed in {} (the original error is kept): {}", name,
                     event_name(event), current_exception_message());
    }
  };
}

// on_pipeline_error: like error_slot, but what the hook reports as not persisted is returned to
// the runner for the run's error instead of being logged.
template <class Member>
auto pipeline_error_slot(std::shared_ptr<Hook> hook, std::string name, Event event, Member member) {
  return [hook = std::move(hook), name = std::move(name), event,
          member](auto&&... args) -> std::vector<std::string> {
    try {
      ((*hook).*member)(std::forward<decltype(args)>(args)...);
    } catch (const NotPersistedError& lost) {
      return {fmt::format("hook '{}': {}", name, lost.what())};
    } catch (...) {
      logger().error("hook '{}' failed in {} (the original error is kept): {}", name,
                     event_name(event), current_exception_message());
    }
    return {};
  };
}

// The slot for an event of each kind of SLUICE_EVENTS.
template <class Member>
auto slot_for(detail::event_kind::plain, std::shared_ptr<Hook> hook, std::string name, Event event,
              Member member) {
  return slot(std::move(hook), std::move(name), event, member);
}
template <class Member>
auto slot_for(detail::event_kind::error, std::shared_ptr<Hook> hook, std::string name, Event event,
              Member member) {
  return error_slot(std::move(hook), std::move(name), event, member);
}
template <class Member>
auto slot_for(detail::event_kind::pipeline_error, std::shared_ptr<Hook> hook, std::string name,
              Event event, Member member) {
  return pipeline_error_slot(std::move(hook), std::move(name), event, member);
}

}  // namespace

HookManager::HookManager()
    : signals_(std::make_unique<Signals>()), trace_(std::make_shared<Trace>()) {}
HookManager::~HookManager() = default;

void HookManager::add(std::string name, std::shared_ptr<Hook> hook, int priority) {
  if (!hook) {
    throw ConfigError(fmt::format("hook '{}' is null", name));
  }
  const Events events = hook->events();
  Signals& s = *signals_;
#define SLUICE_EVENT_CONNECT(event, kind, parameters, arguments)                                  \
  if (events.contains(Event::event)) {                                                            \
    s.event.connect(priority,                                                                     \
                    slot_for(detail::event_kind::kind{}, hook, name, Event::event, &Hook::event), \
                    boost::signals2::at_back);                                                    \
  }
  SLUICE_EVENTS(SLUICE_EVENT_CONNECT)
#undef SLUICE_EVENT_CONNECT
  active_ |= events;
  names_.push_back(std::move(name));
}

std::vector<std::string> HookManager::names() const {
  return names_;
}

#define SLUICE_EVENT_EMIT(event, kind, parameters, arguments)                                  \
  detail::emit_result_t<detail::event_kind::kind> HookManager::emit_##event parameters const { \
    return signals_->event arguments;                                                          \
  }
SLUICE_EVENTS(SLUICE_EVENT_EMIT)
#undef SLUICE_EVENT_EMIT

}  // namespace sluice
