#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sluice/core/catalog.hpp>
#include <sluice/core/export.hpp>
#include <sluice/core/hook.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/core/util/thread_pool.hpp>
#include <sluice/core/value.hpp>
#include <sluice/runners/plan.hpp>

namespace sluice {

/// One run's working set: the plan, the catalog, and every dataset of the plan resolved from
/// the catalog (by dataset id: Catalog::bind), so running a node costs no name lookups.
struct SLUICE_API RunState {
  RunState(const Plan& plan, Catalog& catalog, std::shared_ptr<const Catalog::Datasets> datasets,
           bool async_io, bool keep_inputs = false);

  Dataset& dataset(Plan::DatasetId id) const { return *(*datasets)[id]; }

  const Plan& plan;
  Catalog& catalog;
  /// The catalog's hooks, or null.
  const HookManager* hooks;
  /// Load a node's inputs concurrently, then save its outputs concurrently.
  bool async_io;
  /// Never release the pipeline's free inputs (Kedro's behaviour; for comparisons).
  bool keep_inputs;
  /// By dataset id.
  std::shared_ptr<const Catalog::Datasets> datasets;
  /// With async_io: the threads that run a node's other loads and saves (the node's thread
  /// takes the first), growing on demand; no thread is started per load or save.
  std::unique_ptr<ThreadPool> io_pool;
  /// The run, as the pipeline and rank events see it (set by Runner::run), and the mail its
  /// hooks post to; null in a RunState made outside Runner::run.
  const RunInfo* run = nullptr;
  LocalRankMail* mail = nullptr;
};

/// Runs pipelines against a catalog.
///
/// Shared rules, for every runner:
/// - every free input must be registered in the catalog before anything runs;
/// - datasets the catalog does not name get a MemoryDataset;
/// - a dataset is released as soon as its last consumer has finished, free pipeline inputs
///   included; free outputs are kept;
/// - a node failure throws NodeError with the resume suggestion; when several nodes fail (the
///   parallel runner), it is the first one's, listing the others; a dataset that failed to load
///   is no resume point: the suggestion starts at its producer (or further back);
/// - any other failure once a node has finished (a hook's after_pipeline_run: the tee's
///   NotPersistedError, whose datasets' producers count as not run) throws a ResumableError
///   with the suggestion, when there is one; hooks' on_pipeline_error sees that error.
class SLUICE_API Runner {
 public:
  /// With `async_io`, a node's inputs are loaded concurrently and its outputs saved
  /// concurrently (Kedro's is_async); every load or save is waited for, and the error names
  /// each dataset that failed.
  explicit Runner(bool async_io = false) : async_io_(async_io) {}
  virtual ~Runner() = default;
  virtual std::string name() const = 0;
  bool async_io() const { return async_io_; }
  /// Keep the pipeline's free inputs for the whole run instead of releasing them after their
  /// last consumer, as Kedro does: for comparing memory use (runner option `keep_inputs`).
  void set_keep_inputs(bool keep) { keep_inputs_ = keep; }
  bool keep_inputs() const { return keep_inputs_; }
  /// The pipeline the run's pipeline was filtered from (`--from-nodes` and the like): when an
  /// input of the run cannot be loaded (a corrupt file) and its producer is not in the run's
  /// pipeline, the resume suggestion goes back to that producer in this one.
  void set_source_pipeline(Pipeline source) { source_ = std::move(source); }

  /// Runs the pipeline and returns its free outputs that live in memory (ephemeral datasets);
  /// persisted free outputs are in their datasets. Emits the pipeline, rank and node events
  /// through the catalog's hooks: before_pipeline_run, before_rank_run, the nodes' events,
  /// after_rank_run, after_pipeline_run; on a failure on_rank_error (once before_rank_run was
  /// emitted) then on_pipeline_error. Each exactly once per run, except that when a hook's
  /// after_rank_run or after_pipeline_run fails (the tee, when a background write failed), the
  /// error event follows it with that error. Under a runner whose run spans processes
  /// (ranks() > 1) only rank 0 emits the pipeline events and the runner emits the rank events
  /// in every process (see emit_before_rank_run).
  std::map<std::string, Value> run(const Pipeline& pipeline, Catalog& catalog, RunInfo info = {});

 protected:
  /// For a runner whose run spans processes: this process's rank and the number of processes.
  /// Such a runner emits the rank events itself, from run_plan, in every process, and posts
  /// what other ranks' hooks sent into rank 0's `state.mail` before run_plan returns.
  virtual int rank() const { return 0; }
  virtual int ranks() const { return 1; }
  /// The rank events, for a runner with ranks() > 1 (Runner::run emits them otherwise).
  /// emit_rank_error returns what hooks reported not persisted.
  static void emit_before_rank_run(const RunState& state);
  static void emit_after_rank_run(const RunState& state);
  static std::vector<std::string> emit_rank_error(const RunState& state,
                                                  const std::exception& error);

  /// Executes the plan's nodes (through run_node), setting `finished[node]` to 1 when a node is
  /// done (from any thread; one byte per node) and releasing datasets through a
  /// ReleaseTracker. Lets a NodeError escape (the first failure's, listing the others in
  /// other_failures); run() adds the resume suggestion.
  virtual void run_plan(const RunState& state, std::vector<std::uint8_t>& finished) = 0;

  /// Loads the node's inputs, runs it, saves its outputs. Throws NodeError (without resume
  /// suggestion) naming the phase that failed. Safe to call from several threads at once.
  /// Allocates nothing for a node of memory datasets and no hooks once its thread has run a
  /// node of as many inputs and outputs (it reuses per-thread vectors).
  static void run_node(const RunState& state, std::size_t node);

 private:
  // Tells the hooks (on_pipeline_error) the run failed with `error` (called in its catch
  // block), with the resume suggestion, and throws that.
  // `rank_open`: before_rank_run was emitted by run() and no rank error event since (run()
  // then emits on_rank_error first).
  [[noreturn]] void fail(const RunInfo& info, const Pipeline& pipeline, const Catalog& catalog,
                         const std::exception& error, const std::vector<std::uint8_t>& finished,
                         bool rank_open) const;
  // The error being handled, with the resume suggestion when it has none and one applies.
  std::exception_ptr with_resume_suggestion(const std::exception& error, const Pipeline& pipeline,
                                            const Catalog& catalog,
                                            const std::vector<std::uint8_t>& finished) const;
  // find_resume_nodes, also through the source pipeline (see set_source_pipeline).
  std::vector<std::string> resume_nodes(const Pipeline& pipeline, const Catalog& catalog,
                                        const std::vector<bool>& finished,
                                        const std::vector<std::string>& unreadable) const;

  bool async_io_;
  bool keep_inputs_ = false;
  std::optional<Pipeline> source_;
};

/// What a NotPersistedError says was not persisted: the error's own, or the one nested in it (a
/// hook's, which the hook manager wraps in a HookError); empty for other errors.
SLUICE_API std::vector<std::string> not_persisted_datasets(const std::exception& error);

/// Releases each dataset once its last consumer has finished (free outputs excepted, and free
/// inputs with keep_inputs).
/// Thread-safe when `concurrent`: counts are atomic, and the thread that finishes a dataset's
/// last consumer releases it. Otherwise (one thread calls node_finished, the sequential
/// runner) they are decremented without atomic read-modify-writes.
class SLUICE_API ReleaseTracker {
 public:
  explicit ReleaseTracker(const RunState& state, bool concurrent = true);
  /// Call when node `node` finished; releases the inputs it was the last consumer of.
  void node_finished(std::size_t node);

 private:
  const RunState& state_;
  bool concurrent_;
  std::unique_ptr<std::atomic<std::uint32_t>[]> remaining_;
};

}  // namespace sluice
