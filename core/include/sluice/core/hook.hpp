#pragma once

#include <cstdint>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/error.hpp>
#include <sluice/core/export.hpp>
#include <sluice/core/value.hpp>

namespace sluice {

class Catalog;
class Node;
class Pipeline;

/// Which step of running a node failed.
enum class NodePhase { load, run, save };
/// "loading its inputs", "running", "saving its outputs".
SLUICE_API std::string_view phase_name(NodePhase phase);

/// The lifecycle events, named after Kedro's hook specs.
enum class Event : std::uint8_t {
  after_catalog_created,
  before_pipeline_run,
  after_pipeline_run,
  on_pipeline_error,
  before_node_run,
  after_node_run,
  on_node_error,
  before_dataset_loaded,
  after_dataset_loaded,
  before_dataset_saved,
  after_dataset_saved,
  on_dataset_released,
};
inline constexpr std::size_t kEventCount = 12;
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
  constexpr Events& operator|=(Events other) {
    bits_ |= other.bits_;
    return *this;
  }

 private:
  static constexpr std::uint32_t bit(Event event) { return 1U << static_cast<unsigned>(event); }
  std::uint32_t bits_ = 0;
};

/// What a run is: passed to the pipeline events.
struct RunInfo {
  std::string run_id;
  std::string pipeline_name = "__default__";
  std::string runner;
  std::string env;
  /// The command line that started the run, when there is one.
  std::string command;
  /// The project folder, when the run belongs to a project.
  std::string project;
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
/// - an exception thrown by a hook fails the run, with an error naming the hook and the event
///   (except from on_node_error and on_pipeline_error, which run while the run already fails:
///   there it is logged and the original error is kept).
class SLUICE_API Hook {
 public:
  virtual ~Hook() = default;

  /// The events this hook implements.
  virtual Events events() const = 0;

  virtual void after_catalog_created(Catalog& catalog);
  virtual void before_pipeline_run(const RunInfo& run, const Pipeline& pipeline,
                                   const Catalog& catalog);
  virtual void after_pipeline_run(const RunInfo& run, const Pipeline& pipeline,
                                  const Catalog& catalog);
  virtual void on_pipeline_error(const RunInfo& run, const Pipeline& pipeline,
                                 const Catalog& catalog, const std::exception& error);
  /// `inputs` is aligned with node.inputs(); assign to an element to replace that input.
  virtual void before_node_run(const Node& node, std::vector<Value>& inputs);
  virtual void after_node_run(const Node& node, const std::vector<Value>& inputs,
                              const std::vector<Value>& outputs);
  virtual void on_node_error(const Node& node, const std::exception& error, NodePhase phase);
  /// `node` is null for loads and saves made outside a run.
  virtual void before_dataset_loaded(std::string_view dataset, const Node* node);
  virtual void after_dataset_loaded(std::string_view dataset, const Node* node, const Value& value);
  virtual void before_dataset_saved(std::string_view dataset, const Node* node, const Value& value);
  virtual void after_dataset_saved(std::string_view dataset, const Node* node, const Value& value);
  virtual void on_dataset_released(std::string_view dataset);
};

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
