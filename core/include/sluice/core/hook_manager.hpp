#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <sluice/core/export.hpp>
#include <sluice/core/hook.hpp>
#include <sluice/core/hook_specs.hpp>

namespace sluice {

struct HookContext;
struct Registry;
class Trace;

namespace detail {
/// The `kind` of an entry of SLUICE_EVENTS, as a type.
namespace event_kind {
struct plain {};
struct error {};
struct pipeline_error {};
}  // namespace event_kind
/// What emitting an event of that kind returns.
template <class Kind>
using emit_result_t = std::conditional_t<std::is_same_v<Kind, event_kind::pipeline_error>,
                                         std::vector<std::string>, void>;
}  // namespace detail

/// Dispatches lifecycle events to hooks, on Boost.Signals2 (kept out of this header).
///
/// The manager builds every slot itself, around the hook object: a plugin never connects to a
/// signal, so no slot's code lives in a library that could be unloaded. Hooks run in ascending
/// `priority`; equal priorities run in the order they were added. Emitting an event nobody
/// listens to is one bit test.
///
/// Connections change between runs only: add() during a run (while a RunScope lives, which
/// Runner::run holds) throws a ConfigError naming the hook, and adds nothing. Emission reads a
/// snapshot of the connections taken when they last changed, with no lock: any number of
/// threads may emit at once (the hooks must be thread-safe). add() is not thread-safe with
/// emission outside a run, except from inside a hook on the emitting thread (e.g. from
/// after_catalog_created): the event being emitted finishes with the hooks it started with,
/// the new hook hears the next one. The snapshots an add replaces are freed as soon as no
/// emission can be reading them: at once, or (an add from inside a hook) at the next add made
/// outside any emission.
class SLUICE_API HookManager {
 public:
  /// Marks a run of the manager's hooks as in progress for its lifetime (add() refuses to
  /// connect meanwhile). Runs may nest or overlap; a null manager makes it a no-op.
  class SLUICE_API RunScope {
   public:
    explicit RunScope(const HookManager* hooks);
    ~RunScope();
    RunScope(const RunScope&) = delete;
    RunScope& operator=(const RunScope&) = delete;

   private:
    const HookManager* hooks_;
  };

  HookManager();
  ~HookManager();
  HookManager(const HookManager&) = delete;
  HookManager& operator=(const HookManager&) = delete;

  /// Connects `hook` to the events it lists, under `name` (used in error messages). A
  /// ConfigError naming the hook during a run (see RunScope).
  void add(std::string name, std::shared_ptr<Hook> hook, int priority = 0);
  /// Builds each spec's hook with its factory in `registry` and adds it with its priority.
  /// Each factory gets `context` (the run's clock) with the spec's name and options, and
  /// `registry` when the context names none. An unknown name is a ConfigError naming the
  /// spec's file:line:column and the registered hooks; then no hook of `specs` is added.
  void add_from_specs(const Registry& registry, const std::vector<HookSpec>& specs,
                      const HookContext& context);
  /// Names of the hooks added, in call order for equal priorities.
  std::vector<std::string> names() const;
  /// How many snapshots of the connections the manager holds (see the class comment): 1 after
  /// an add made outside any emission; more after adds from inside hooks, until the next one.
  std::size_t snapshots_kept() const;

  bool listens(Event event) const { return active_.contains(event); }

  /// The run's trace (sluice/core/trace.hpp): where work that no event covers is reported as
  /// spans. Hooks reach it with trace_of(catalog) in after_catalog_created.
  std::shared_ptr<Trace> trace() const { return trace_; }

  /// One emitter per event of SLUICE_EVENTS, e.g. `before_node_run(node, inputs)`.
  /// on_pipeline_error returns what hooks reported the failed run did not persist
  /// (NotPersistedError), each message naming its hook, for the runner to add to the run's error.
#define SLUICE_EVENT_EMITTER(name, kind, parameters, arguments)           \
  detail::emit_result_t<detail::event_kind::kind> name parameters const { \
    if (listens(Event::name)) {                                           \
      return emit_##name arguments;                                       \
    }                                                                     \
    return detail::emit_result_t<detail::event_kind::kind>();             \
  }
  SLUICE_EVENTS(SLUICE_EVENT_EMITTER)
#undef SLUICE_EVENT_EMITTER

 private:
#define SLUICE_EVENT_EMIT(name, kind, parameters, arguments) \
  detail::emit_result_t<detail::event_kind::kind> emit_##name parameters const;
  SLUICE_EVENTS(SLUICE_EVENT_EMIT)
#undef SLUICE_EVENT_EMIT

  struct Signals;
  std::unique_ptr<Signals> signals_;
  Events active_;
  std::vector<std::string> names_;
  std::shared_ptr<Trace> trace_;
  mutable std::atomic<int> runs_{0};  // RunScopes alive
};

}  // namespace sluice
