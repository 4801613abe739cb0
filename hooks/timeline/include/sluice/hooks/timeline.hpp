#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

/// One rank's part of a timeline: what the timeline hook of each rank of a run under
/// `--runner mpi` posts to rank 0 (RunInfo::mail, key "timeline") at the end of its share.
/// Times are nanoseconds since the rank's origin (its before_rank_run), and `wall_origin_ns`
/// is the system clock (nanoseconds since the epoch) read at that origin: rank 0 shifts each
/// rank's spans by its wall origin's distance from the earliest one, so the ranks line up.
struct TimelineShare {
  struct Span {
    std::string category;
    std::string name;
    std::int64_t start_ns = 0;
    std::int64_t end_ns = 0;
    int thread = 0;
    std::vector<std::pair<std::string, std::string>> args;  // as TraceSink::Args
  };
  std::int64_t wall_origin_ns = 0;
  std::int64_t pid = 0;                // the rank's process id, shown with its track
  std::map<int, std::string> threads;  // track id -> name ("runner", "tee writer 2")
  std::vector<Span> spans;

  /// The bytes a rank posts.
  std::string encode() const;
  /// The share `rank` posted; Error naming the rank when the bytes are not one (ranks of
  /// different builds).
  static TimelineShare decode(std::string_view bytes, int rank);
};

/// The Chrome trace of a run of several ranks, from every rank's share (rank, share): one
/// process per rank (pid = the rank, named "rank N"), a track per thread in it, times in
/// microseconds since the earliest rank's origin.
std::string ranks_trace_json(const std::string& run_id, const std::string& pipeline,
                             const std::vector<std::pair<int, TimelineShare>>& shares);

/// Records a run as a Chrome trace-event file (open it in https://ui.perfetto.dev or
/// chrome://tracing): a track per thread with node runs, loads and saves (dataset names and
/// sizes as arguments), and the spans that no event covers, through the run's trace
/// (HookManager::trace(), taken in after_catalog_created): the tee's background writes and its
/// waits for its memory budget. Its sink is on that trace from the start of the run until the
/// hook is destroyed, so a timeline sees only the spans of its own run.
///
/// The file is written when the run ends (or fails), in after_pipeline_run: after every hook's
/// after_rank_run, where the tee joins its background writes. Spans that end later still (work
/// a hook joins in its own after_pipeline_run) are added when the hook is destroyed.
///
/// Under `--runner mpi` (RunInfo::ranks > 1) each rank's hook records its own spans, waits in
/// after_rank_run (or on_rank_error) for the writes still pending on its rank (so the tee's
/// background writes are in), and posts them to rank 0 (TimelineShare); rank 0 writes the one
/// file in after_pipeline_run (or on_pipeline_error), a process per rank (ranks_trace_json).
class TimelineHook final : public Hook {
 public:
  explicit TimelineHook(TimelineOptions options);
  ~TimelineHook() override;

  Events events() const override;
  void after_catalog_created(Catalog& catalog) override;
  void before_rank_run(const RunInfo& run, const Pipeline& pipeline,
                       const CatalogView& catalog) override;
  void after_rank_run(const RunInfo& run, const Pipeline& pipeline,
                      const CatalogView& catalog) override;
  void on_rank_error(const RunInfo& run, const Pipeline& pipeline, const CatalogView& catalog,
                     const std::exception& error) override;
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

  /// The trace so far, as Chrome trace-event JSON (on rank 0 of a run of several ranks, once
  /// the ranks' shares arrived: every rank's).
  std::string json() const;

  struct State;

 private:
  void write() const;
  // Posts this rank's share to rank 0 once per run (a run of several ranks only).
  void post_share(const RunInfo& run, const CatalogView& catalog);
  // Takes every rank's share from the mail (rank 0 of a run of several ranks).
  void take_shares(const RunInfo& run);

  TimelineOptions options_;
  std::shared_ptr<State> state_;
  std::shared_ptr<Trace> trace_;  // the run's, from after_catalog_created
};

}  // namespace sluice
