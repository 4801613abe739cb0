#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <iterator>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <sluice/core/catalog_view.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/export.hpp>
#include <sluice/core/util/type_name.hpp>
#include <sluice/core/value.hpp>

namespace sluice {

class Catalog;
class Node;
class Pipeline;

/// Which step of running a node failed.
enum class NodePhase { load, run, save };
/// "loading its inputs", "running", "saving its outputs".
SLUICE_API std::string_view phase_name(NodePhase phase);

/// The lifecycle events, named after Kedro's hook specs: the one list every per-event piece of
/// code (the Event enum, event_name, the Hook virtuals, the HookManager's signals, emitters and
/// connections) is generated from, so adding an event is one line here. Each entry is
/// X(name, kind, parameters, arguments):
/// - `kind` is `plain` (a hook's exception fails the run as a HookError), `error` (the run is
///   failing already: a hook's exception is logged and the original error kept) or
///   `pipeline_error` (as `error`, and a hook's NotPersistedError is reported to the runner);
/// - the pipeline and node events see the catalog through a read-only CatalogView (valid for the
///   run it belongs to: copy what you keep); only after_catalog_created gets the catalog itself;
/// - before_node_run's `inputs` is aligned with node.inputs(); assign to an element to replace
///   that input;
/// - the dataset events' `node` is null for loads and saves made outside a run;
/// - the rank events frame one process's share of a run: before_rank_run before it runs any
///   node, then after_rank_run (its share succeeded) or on_rank_error (it failed, or the run
///   did), in every process of the run, before the pipeline's after_pipeline_run or
///   on_pipeline_error. A run in one process has one rank (before_pipeline_run,
///   before_rank_run, the nodes, after_rank_run, after_pipeline_run); under `--runner mpi`
///   every rank fires the rank events and only rank 0 the pipeline events (RunInfo::rank).
///   Work a hook must finish in the process that did it (the tee joins its background writes)
///   belongs in the rank events; what a hook on another rank has to tell rank 0 goes through
///   RunInfo::mail.
/// A new event also changes the Hook vtable: bump kPluginAbiVersion (sluice/core/plugin.hpp).
// clang-format off
#define SLUICE_EVENTS(X)                                                                        \
  X(after_catalog_created, plain, (Catalog& catalog), (catalog))                                \
  X(before_pipeline_run, plain,                                                                 \
    (const RunInfo& run, const Pipeline& pipeline, const CatalogView& catalog),                 \
    (run, pipeline, catalog))                                                                   \
  X(after_pipeline_run, plain,                                                                  \
    (const RunInfo& run, const Pipeline& pipeline, const CatalogView& catalog),                 \
    (run, pipeline, catalog))                                                                   \
  X(on_pipeline_error, pipeline_error,                                                          \
    (const RunInfo& run, const Pipeline& pipeline, const CatalogView& catalog,                  \
     const std::exception& error),                                                              \
    (run, pipeline, catalog, error))                                                            \
  X(before_rank_run, plain,                                                                     \
    (const RunInfo& run, const Pipeline& pipeline, const CatalogView& catalog),                 \
    (run, pipeline, catalog))                                                                   \
  X(after_rank_run, plain,                                                                      \
    (const RunInfo& run, const Pipeline& pipeline, const CatalogView& catalog),                 \
    (run, pipeline, catalog))                                                                   \
  X(on_rank_error, pipeline_error,                                                              \
    (const RunInfo& run, const Pipeline& pipeline, const CatalogView& catalog,                  \
     const std::exception& error),                                                              \
    (run, pipeline, catalog, error))                                                            \
  X(before_node_run, plain,                                                                     \
    (const Node& node, const CatalogView& catalog, std::vector<Value>& inputs),                 \
    (node, catalog, inputs))                                                                    \
  X(after_node_run, plain,                                                                      \
    (const Node& node, const CatalogView& catalog, const std::vector<Value>& inputs,            \
     const std::vector<Value>& outputs),                                                        \
    (node, catalog, inputs, outputs))                                                           \
  X(on_node_error, error,                                                                       \
    (const Node& node, const CatalogView& catalog, const std::exception& error,                 \
     NodePhase phase),                                                                          \
    (node, catalog, error, phase))                                                              \
  X(before_dataset_loaded, plain,                                                               \
    (std::string_view dataset, const Node* node), (dataset, node))                              \
  X(after_dataset_loaded, plain,                                                                \
    (std::string_view dataset, const Node* node, const Value& value), (dataset, node, value))   \
  X(before_dataset_saved, plain,                                                                \
    (std::string_view dataset, const Node* node, const Value& value), (dataset, node, value))   \
  X(after_dataset_saved, plain,                                                                 \
    (std::string_view dataset, const Node* node, const Value& value), (dataset, node, value))   \
  X(on_dataset_released, plain, (std::string_view dataset), (dataset))
// clang-format on

#define SLUICE_EVENT_ENUMERATOR(name, kind, parameters, arguments) name,
enum class Event : std::uint8_t { SLUICE_EVENTS(SLUICE_EVENT_ENUMERATOR) };
#undef SLUICE_EVENT_ENUMERATOR

namespace detail {
#define SLUICE_EVENT_NAME(name, kind, parameters, arguments) #name,
inline constexpr std::string_view kEventNames[] = {SLUICE_EVENTS(SLUICE_EVENT_NAME)};
#undef SLUICE_EVENT_NAME
}  // namespace detail

/// How many events SLUICE_EVENTS lists.
inline constexpr std::size_t kEventCount = std::size(detail::kEventNames);
#define SLUICE_EVENT_IN_RANGE(name, kind, parameters, arguments) \
  static_assert(static_cast<std::size_t>(Event::name) < kEventCount);
SLUICE_EVENTS(SLUICE_EVENT_IN_RANGE)
#undef SLUICE_EVENT_IN_RANGE
static_assert(kEventCount < 32, "Events keeps one bit per event in a std::uint32_t");

SLUICE_API std::string_view event_name(Event event);

/// A set of events, as a bit mask.
class Events {
 public:
  constexpr Events() = default;
  constexpr Events(std::initializer_list<Event> events) {
    for (Event event : events) {
      bits_ |= bit(event);
    }
  }
  static constexpr Events all() {
    Events events;
    events.bits_ = (1U << kEventCount) - 1;
    return events;
  }
  constexpr bool contains(Event event) const { return (bits_ & bit(event)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }
  /// The events of this set that are not in `other`.
  constexpr Events without(Events other) const {
    Events events;
    events.bits_ = bits_ & ~other.bits_;
    return events;
  }
  friend constexpr bool operator==(Events, Events) = default;
  constexpr Events& operator|=(Events other) {
    bits_ |= other.bits_;
    return *this;
  }

 private:
  static constexpr std::uint32_t bit(Event event) { return 1U << static_cast<unsigned>(event); }
  std::uint32_t bits_ = 0;
};

/// What hooks on each rank of a run tell rank 0, the rank that fires the pipeline events: a hook
/// posts in after_rank_run or on_rank_error (on any rank, rank 0 included) and reads what every
/// rank posted in after_pipeline_run or on_pipeline_error on rank 0. In a run of one process
/// what it posts is what it reads back. Thread-safe. A key names the hook's kind of report
/// (e.g. "timeline"); values are bytes the hook encodes and decodes itself.
class SLUICE_API RankMail {
 public:
  virtual ~RankMail() = default;
  /// Posts `bytes` under `key` from this rank (each post is kept; posts of one rank keep their
  /// order).
  virtual void post(std::string_view key, std::string bytes) = 0;
  /// On rank 0, once every rank's share ended: what was posted under `key`, as (rank, bytes)
  /// in rank order. Empty on other ranks.
  virtual std::vector<std::pair<int, std::string>> received(std::string_view key) const = 0;
};

/// The RankMail of a run in one process: what is posted is what is received, as rank 0's.
class SLUICE_API LocalRankMail final : public RankMail {
 public:
  /// The mail of the process of rank `rank`: received() reads only on rank 0.
  explicit LocalRankMail(int rank = 0) : rank_(rank) {}
  void post(std::string_view key, std::string bytes) override;
  std::vector<std::pair<int, std::string>> received(std::string_view key) const override;
  /// Adds what `rank` posted (the mpi runner, on rank 0, with what the other ranks sent).
  void add(int rank, std::string_view key, std::string bytes);
  /// Everything posted by this process, in order, as (key, bytes); for sending to rank 0.
  std::vector<std::pair<std::string, std::string>> posted() const;

 private:
  int rank_;
  mutable std::mutex mutex_;
  std::vector<std::tuple<int, std::string, std::string>> mail_;
};

/// What a run is: passed to the pipeline and rank events.
struct RunInfo {
  std::string run_id;
  std::string pipeline_name = "__default__";
  std::string runner;
  std::string env;
  /// The command line that started the run, when there is one.
  std::string command;
  /// The project folder, when the run belongs to a project.
  std::string project;
  /// This process's rank in the run, and how many processes take part: 0 and 1 but under a
  /// runner whose run spans processes (`--runner mpi`, where rank 0 schedules). Set by the
  /// runner.
  int rank = 0;
  int ranks = 1;
  /// Where a hook's rank events post what rank 0 should know (see RankMail); never null
  /// during a run's events (set by the runner), null outside a run.
  RankMail* mail = nullptr;
};

/// Where a hook writes a file named in its options: a relative `path` is relative to the run's
/// project folder (to the current folder when the run has no project), an absolute one is kept.
SLUICE_API std::filesystem::path project_path(const RunInfo& run,
                                              const std::filesystem::path& path);

/// A hook reacts to lifecycle events. Override the events you need and list them in events():
/// the host connects only those, so an event no hook listens to costs nothing.
///
/// Contract:
/// - hooks may be called concurrently from worker threads and must be thread-safe;
/// - they look, and change only what the event allows: after_catalog_created may add, wrap or
///   replace datasets; before_node_run may replace inputs (later hooks see the replacement);
///   the other events show the catalog as a CatalogView, which cannot load, save or release;
/// - they keep no CatalogView after the run it came with: the catalog may be gone;
/// - an exception thrown by a hook fails the run, with an error naming the hook and the event
///   (except from on_node_error and on_pipeline_error, which run while the run already fails:
///   there it is logged and the original error is kept).
class SLUICE_API Hook {
 public:
  virtual ~Hook() = default;

  /// The events this hook implements.
  virtual Events events() const = 0;

  /// One virtual per event of SLUICE_EVENTS, doing nothing.
#define SLUICE_EVENT_VIRTUAL(name, kind, parameters, arguments) virtual void name parameters;
  SLUICE_EVENTS(SLUICE_EVENT_VIRTUAL)
#undef SLUICE_EVENT_VIRTUAL
};

/// The events hook type `T` overrides, found at compile time: `&T::before_node_run` names
/// Hook::before_node_run unless T (or a class between T and Hook) declares its own. The
/// overrides must be public.
template <class T>
constexpr Events overridden_events() {
  static_assert(std::is_base_of_v<Hook, T>, "overridden_events<T>() needs a sluice::Hook");
  Events events;
#define SLUICE_EVENT_OVERRIDDEN(name, kind, parameters, arguments)            \
  if constexpr (!std::is_same_v<decltype(&T::name), decltype(&Hook::name)>) { \
    events |= Events{Event::name};                                            \
  }
  SLUICE_EVENTS(SLUICE_EVENT_OVERRIDDEN)
#undef SLUICE_EVENT_OVERRIDDEN
  return events;
}

/// The paragraph saying which events `hook_type` overrides without listing them in events(),
/// or "" when `unlisted` is empty.
SLUICE_API std::string describe_unlisted_events(std::string_view hook_type, Events unlisted);

/// Why `hook` has overrides that are never called, or "" when it has none: the HookManager
/// connects only the events a hook's events() lists, so an override missing from that list is
/// silently dead. For every hook's tests: `EXPECT_EQ(sluice::unlisted_overrides(hook), "")`.
template <class T>
std::string unlisted_overrides(const T& hook) {
  return describe_unlisted_events(type_name<T>(), overridden_events<T>().without(hook.events()));
}

/// A hook failed. Names the hook and the event.
class SLUICE_API HookError : public Error {
 public:
  HookError(std::string hook, Event event, const std::string& message);
  ~HookError() override;
  const std::string& hook() const { return hook_; }
  Event event() const { return event_; }

 private:
  std::string hook_;
  Event event_;
};

}  // namespace sluice
