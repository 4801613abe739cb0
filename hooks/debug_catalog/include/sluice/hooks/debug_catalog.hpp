#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <sluice/core/codec.hpp>
#include <sluice/core/hook.hpp>
#include <sluice/core/param.hpp>
#include <sluice/hooks/postmortem.hpp>

namespace sluice {

struct DebugCatalogOptions {
  /// After each node, log every dataset: state, size, producer, remaining consumers.
  bool trace = false;
  /// Where post-mortem bundles go: `<folder>/<run-id>/`, relative to the run's project folder.
  std::filesystem::path folder = "postmortem";
  /// More keys to treat as secrets (beyond password, secret, token, ...).
  std::vector<std::string> redact;

  /// Reads hooks.yml options (`trace`, `folder`, `redact`); ConfigError with file and line.
  static DebugCatalogOptions parse(const Param& options, const std::string& hook_name);
};

/// The catalog's state while a run goes, and a post-mortem bundle when it fails.
///
/// With `trace`, after each node: a table of every dataset (in memory, released, persisted,
/// write pending; size; producer; remaining consumers). On a failure (a node, or a write),
/// `<folder>/<run-id>/` gets `state.json` (run, pipeline, failing node, error and phase, every
/// dataset's state, the resume suggestion and the command to resume) and the failing node's
/// inputs saved through their codecs under `inputs/` (those without a codec are listed).
/// Secrets are redacted; the folder is 0700 and its files 0600. `sluice inspect` reads a bundle
/// and `sluice replay` runs the failing node again on its saved inputs.
///
/// Under `--runner mpi` (RunInfo::ranks > 1) each rank follows the nodes it runs and posts to
/// rank 0 at the end of its share (RunInfo::mail, key "debug_catalog"): the nodes it finished,
/// the datasets it saved, the state of each dataset it produced (once its pending writes
/// ended), and its failing node with that node's inputs encoded through their codecs (key
/// "debug_catalog/input", one post per input). Rank 0 writes the one bundle of the run: each
/// dataset as the rank that produced it saw it (with that `rank`), the failing node from
/// whichever rank it failed on (`failure.rank`), its inputs saved as in a run of one process.
class DebugCatalogHook final : public Hook {
 public:
  DebugCatalogHook(DebugCatalogOptions options, const CodecRegistry& codecs);
  ~DebugCatalogHook() override;

  Events events() const override;
  void before_rank_run(const RunInfo& run, const Pipeline& pipeline,
                       const CatalogView& catalog) override;
  void before_node_run(const Node& node, const CatalogView& catalog,
                       std::vector<Value>& inputs) override;
  void after_node_run(const Node& node, const CatalogView& catalog,
                      const std::vector<Value>& inputs, const std::vector<Value>& outputs) override;
  void after_dataset_saved(std::string_view dataset, const Node* node, const Value& value) override;
  void on_node_error(const Node& node, const CatalogView& catalog, const std::exception& error,
                     NodePhase phase) override;
  void after_rank_run(const RunInfo& run, const Pipeline& pipeline,
                      const CatalogView& catalog) override;
  void on_rank_error(const RunInfo& run, const Pipeline& pipeline, const CatalogView& catalog,
                     const std::exception& error) override;
  void after_pipeline_run(const RunInfo& run, const Pipeline& pipeline,
                          const CatalogView& catalog) override;
  void on_pipeline_error(const RunInfo& run, const Pipeline& pipeline, const CatalogView& catalog,
                         const std::exception& error) override;

  /// Every dataset of the current run as it is now, or of the last run as it ended (a copy:
  /// safe after the run's catalog is gone). States: `write pending`, `persisted`
  /// (written by this run, or a free input's data), `persisted, in memory` (written and still
  /// held, as behind a tee or a cache), `in memory`, `stale file` (a file this run has not
  /// written: from an earlier run), `released`, `missing` (produced, not persisted),
  /// `not produced`, `parameter`.
  std::vector<DatasetState> states() const;
  /// The bundle of the last failed run, if any.
  std::filesystem::path last_bundle() const;

  struct State;

 private:
  static std::vector<DatasetState> states_of(const State& state, const CatalogView& catalog);
  // A run of several ranks: posts this rank's share (once); on rank 0, merges every rank's
  // into the state (the states of the whole run, and the failure, if any).
  void post_share(const RunInfo& run, const CatalogView& catalog);
  void merge_shares(const RunInfo& run, const std::exception* error);

  DebugCatalogOptions options_;
  const CodecRegistry& codecs_;
  std::unique_ptr<State> state_;
};

}  // namespace sluice
