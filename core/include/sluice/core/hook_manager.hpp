#pragma once

#include <memory>
#include <string>
#include <vector>

#include <sluice/core/export.hpp>
#include <sluice/core/hook.hpp>

namespace sluice {

/// Dispatches lifecycle events to hooks, on Boost.Signals2 (kept out of this header).
///
/// The manager builds every slot itself, around the hook object: a plugin never connects to a
/// signal, so no slot's code lives in a library that could be unloaded. Hooks run in ascending
/// `priority`; equal priorities run in the order they were added. Emitting an event nobody
/// listens to is one bit test. Emission is thread-safe; adding hooks is not (add them before
/// the run).
class SLUICE_API HookManager {
 public:
  HookManager();
  ~HookManager();
  HookManager(const HookManager&) = delete;
  HookManager& operator=(const HookManager&) = delete;

  /// Connects `hook` to the events it lists, under `name` (used in error messages).
  void add(std::string name, std::shared_ptr<Hook> hook, int priority = 0);
  /// Names of the hooks added, in call order for equal priorities.
  std::vector<std::string> names() const;

  bool listens(Event event) const { return active_.contains(event); }

  void after_catalog_created(Catalog& catalog) const {
    if (listens(Event::after_catalog_created)) {
      emit_after_catalog_created(catalog);
    }
  }
  void before_pipeline_run(const RunInfo& run, const Pipeline& pipeline,
                           const Catalog& catalog) const {
    if (listens(Event::before_pipeline_run)) {
      emit_pipeline(Event::before_pipeline_run, run, pipeline, catalog);
    }
  }
  void after_pipeline_run(const RunInfo& run, const Pipeline& pipeline,
                          const Catalog& catalog) const {
    if (listens(Event::after_pipeline_run)) {
      emit_pipeline(Event::after_pipeline_run, run, pipeline, catalog);
    }
  }
  /// Returns what hooks reported the failed run did not persist (NotPersistedError), each
  /// message naming its hook, for the runner to add to the run's error.
  std::vector<std::string> on_pipeline_error(const RunInfo& run, const Pipeline& pipeline,
                                             const Catalog& catalog,
                                             const std::exception& error) const {
    if (listens(Event::on_pipeline_error)) {
      return emit_on_pipeline_error(run, pipeline, catalog, error);
    }
    return {};
  }
  void before_node_run(const Node& node, std::vector<Value>& inputs) const {
    if (listens(Event::before_node_run)) {
      emit_before_node_run(node, inputs);
    }
  }
  void after_node_run(const Node& node, const std::vector<Value>& inputs,
                      const std::vector<Value>& outputs) const {
    if (listens(Event::after_node_run)) {
      emit_after_node_run(node, inputs, outputs);
    }
  }
  void on_node_error(const Node& node, const std::exception& error, NodePhase phase) const {
    if (listens(Event::on_node_error)) {
      emit_on_node_error(node, error, phase);
    }
  }
  void before_dataset_loaded(std::string_view dataset, const Node* node) const {
    if (listens(Event::before_dataset_loaded)) {
      emit_before_dataset_loaded(dataset, node);
    }
  }
  void after_dataset_loaded(std::string_view dataset, const Node* node, const Value& value) const {
    if (listens(Event::after_dataset_loaded)) {
      emit_dataset(Event::after_dataset_loaded, dataset, node, value);
    }
  }
  void before_dataset_saved(std::string_view dataset, const Node* node, const Value& value) const {
    if (listens(Event::before_dataset_saved)) {
      emit_dataset(Event::before_dataset_saved, dataset, node, value);
    }
  }
  void after_dataset_saved(std::string_view dataset, const Node* node, const Value& value) const {
    if (listens(Event::after_dataset_saved)) {
      emit_dataset(Event::after_dataset_saved, dataset, node, value);
    }
  }
  void on_dataset_released(std::string_view dataset) const {
    if (listens(Event::on_dataset_released)) {
      emit_on_dataset_released(dataset);
    }
  }

 private:
  void emit_after_catalog_created(Catalog& catalog) const;
  void emit_pipeline(Event event, const RunInfo& run, const Pipeline& pipeline,
                     const Catalog& catalog) const;
  std::vector<std::string> emit_on_pipeline_error(const RunInfo& run, const Pipeline& pipeline,
                                                  const Catalog& catalog,
                                                  const std::exception& error) const;
  void emit_before_node_run(const Node& node, std::vector<Value>& inputs) const;
  void emit_after_node_run(const Node& node, const std::vector<Value>& inputs,
                           const std::vector<Value>& outputs) const;
  void emit_on_node_error(const Node& node, const std::exception& error, NodePhase phase) const;
  void emit_before_dataset_loaded(std::string_view dataset, const Node* node) const;
  void emit_dataset(Event event, std::string_view dataset, const Node* node,
                    const Value& value) const;
  void emit_on_dataset_released(std::string_view dataset) const;

  struct Signals;
  std::unique_ptr<Signals> signals_;
  Events active_;
  std::vector<std::string> names_;
};

}  // namespace sluice
