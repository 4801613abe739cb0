#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <sluice/core/hook.hpp>
#include <sluice/core/param.hpp>

namespace sluice {

class Trace;

struct TimelineOptions {
  /// Where the trace is written; relative to the run's project folder (see project_path).
  std::filesystem::path path = "timeline.json";

  /// Reads hooks.yml options (`path`); ConfigError with file and line for an unknown one.
  static TimelineOptions parse(const Param& options, const std::string& hook_name);
};

/// Records a run as a Chrome trace-event file (open it in https://ui.perfetto.dev or
/// chrome://tracing): a track per thread with node runs, loads and saves (dataset names and
/// sizes as arguments), and the spans that no event covers, through the run's trace
/// (HookManager::trace(), taken in after_catalog_created): the tee's background writes and its
/// waits for its memory budget. Its sink is on that trace from the start of the run until the
/// hook is destroyed, so a timeline sees only the spans of its own run.
///
/// The file is written when the run ends (or fails). Spans that end later, such as background
/// writes joined by a hook that runs after this one, are added when the hook is destroyed;
/// list the timeline after the tee to have them in the first file.
class TimelineHook final : public Hook {
 public:
  explicit TimelineHook(TimelineOptions options);
  ~TimelineHook() override;

  Events events() const override;
  void after_catalog_created(Catalog& catalog) override;
  void before_rank_run(const RunInfo& run, const Pipeline& pipeline,
                       const CatalogView& catalog) override;
  void after_pipeline_run(const RunInfo& run, const Pipeline& pipeline,
                          const CatalogView& catalog) override;
  void on_pipeline_error(const RunInfo& run, const Pipeline& pipeline, const CatalogView& catalog,
                         const std::exception& error) override;
  void before_node_run(const Node& node, const CatalogView& catalog,
                       std::vector<Value>& inputs) override;
  void after_node_run(const Node& node, const CatalogView& catalog,
                      const std::vector<Value>& inputs, const std::vector<Value>& outputs) override;
  void on_node_error(const Node& node, const CatalogView& catalog, const std::exception& error,
                     NodePhase phase) override;
  void before_dataset_loaded(std::string_view dataset, const Node* node) override;
  void after_dataset_loaded(std::string_view dataset, const Node* node,
                            const Value& value) override;
  void before_dataset_saved(std::string_view dataset, const Node* node,
                            const Value& value) override;
  void after_dataset_saved(std::string_view dataset, const Node* node, const Value& value) override;

  /// The trace so far, as Chrome trace-event JSON.
  std::string json() const;

  struct State;

 private:
  void write() const;

  TimelineOptions options_;
  std::shared_ptr<State> state_;
  std::shared_ptr<Trace> trace_;  // the run's, from after_catalog_created
};

}  // namespace sluice
