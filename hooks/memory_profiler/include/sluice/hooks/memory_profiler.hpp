#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <sluice/core/clock.hpp>
#include <sluice/core/hook.hpp>
#include <sluice/core/param.hpp>

namespace sluice {

struct MemoryProfilerOptions {
  /// Also write the report as JSON here (relative to the project folder, parent folders
  /// created); empty: only the log.
  std::filesystem::path json;

  /// Reads hooks.yml options (`json`); ConfigError with file and line for an unknown one.
  static MemoryProfilerOptions parse(const Param& options, const std::string& hook_name);
};

/// What each node held, and the peak. Per node: the process's resident set size before and
/// after it ran (from /proc/self/statm), the bytes held by in-memory values in the catalog
/// (sluice::held_bytes, plus the node's outputs not yet saved) and how many datasets hold
/// one. At the end of the run: the table, the peak and where it happened, the datasets that
/// stayed in memory after their last consumer had run, and for how long (from the consumer's
/// end to when the value was seen gone, watched from its release on), and apart from those the
/// values kept only for their pending write (behind a tee), and what a tee's memory budget
/// made it do: the values it let go before their last reader (spilled) and the loads that read
/// them back. Logged, and written as JSON with the `json` option.
///
/// Under `--runner mpi` (RunInfo::ranks > 1) each rank profiles the nodes it runs and posts its
/// report to rank 0 at the end of its share (RunInfo::mail, key "memory_profiler"); rank 0 logs
/// a table per rank and the peak over ranks (held bytes and RSS, each with its rank and node),
/// and the JSON holds every rank's rows (with their rank), the overall peak and `ranks`, each
/// rank's own report. A dataset is flagged as held after its last consumer only when all its
/// consumers ran on the rank that holds it (a rank does not see the others' nodes finish).
class MemoryProfilerHook final : public Hook {
 public:
  struct NodeRow {
    std::string node;
    std::uint64_t rss_before = 0;
    std::uint64_t rss_after = 0;
    std::uint64_t held_bytes = 0;    // after the node ran
    std::int64_t held_delta = 0;     // against the sample before it
    std::size_t datasets_alive = 0;  // datasets holding a value in memory
  };
  /// A dataset whose value stayed in memory after its last consumer, though nothing needed it.
  struct HeldAfterUse {
    std::string dataset;
    std::uint64_t bytes = 0;
    double seconds = 0;  // from its last consumer's end to when it was seen gone, or the end
    std::string reason;  // "not released": the release rule did not drop it, or never ran
  };
  /// A value released by the release rule but kept for its write still running (the tee):
  /// expected, so not flagged, and reported apart.
  struct HeldForWrite {
    std::string dataset;
    std::uint64_t bytes = 0;
    double seconds = 0;  // from the release (its last consumer done) to the write's end
  };
  /// What the tee did with a dataset's value under its memory budget (from its `spill` and
  /// `read back` spans): let go before its last reader, and the loads that read it back.
  struct TeeDecision {
    std::string dataset;
    std::uint64_t bytes = 0;
    std::size_t spilled = 0;
    std::size_t read_back = 0;
    std::string next_reader;  // at the first spill: the node that needed it next ("none")
    std::string reason;       // "memory budget" (hold: auto) or "hold: never"
  };
  struct Report {
    std::vector<NodeRow> nodes;  // in the order they finished
    std::uint64_t peak_held_bytes = 0;
    std::string peak_node;  // where the peak was seen
    std::uint64_t peak_rss = 0;
    std::string peak_rss_node;  // after which node the RSS peak was seen
    std::vector<HeldAfterUse> held_after_last_use;
    std::vector<HeldForWrite> held_for_pending_write;
    std::vector<TeeDecision> tee_decisions;  // by dataset name
  };
  /// One rank's report.
  struct RankReport {
    int rank = 0;
    Report report;
  };
  /// The peak over the ranks of a run: where the most bytes were held, and the largest RSS.
  struct RunPeak {
    std::uint64_t held_bytes = 0;
    int held_rank = 0;
    std::string held_node;
    std::uint64_t rss = 0;
    int rss_rank = 0;
    std::string rss_node;
  };
  /// The peak over `ranks` (the first rank that reached it, on ties); ranks without nodes
  /// count for nothing.
  static RunPeak peak_over(const std::vector<RankReport>& ranks);

  explicit MemoryProfilerHook(MemoryProfilerOptions options, const Clock& clock = system_clock());
  ~MemoryProfilerHook() override;

  Events events() const override;
  void after_catalog_created(Catalog& catalog) override;
  void before_rank_run(const RunInfo& run, const Pipeline& pipeline,
                       const CatalogView& catalog) override;
  void before_node_run(const Node& node, const CatalogView& catalog,
                       std::vector<Value>& inputs) override;
  void after_node_run(const Node& node, const CatalogView& catalog,
                      const std::vector<Value>& inputs, const std::vector<Value>& outputs) override;
  void on_dataset_released(std::string_view dataset) override;
  void after_rank_run(const RunInfo& run, const Pipeline& pipeline,
                      const CatalogView& catalog) override;
  void on_rank_error(const RunInfo& run, const Pipeline& pipeline, const CatalogView& catalog,
                     const std::exception& error) override;
  void after_pipeline_run(const RunInfo& run, const Pipeline& pipeline,
                          const CatalogView& catalog) override;
  void on_pipeline_error(const RunInfo& run, const Pipeline& pipeline, const CatalogView& catalog,
                         const std::exception& error) override;

  /// The last (or current) run's report of this process.
  Report report() const;
  /// Every rank's report: on rank 0 of a run of several ranks, once it ended, what each rank
  /// posted; otherwise this process's own (as rank 0).
  std::vector<RankReport> rank_reports() const;
  /// The report as JSON (of every rank, on rank 0 of a run of several ranks).
  std::string json() const;

  /// The process's resident set size in bytes (0 when /proc is not there).
  static std::uint64_t resident_set_size();

  struct State;

 private:
  void finish(const RunInfo& run, const CatalogView& catalog);
  // Settles what is watched at the end of this rank's share; false when not in a run (or done
  // already).
  bool settle_at_end(const CatalogView& catalog);
  // A run of several ranks: posts this rank's report (once), and on rank 0 reports every rank's.
  void post_report(const RunInfo& run, const CatalogView& catalog);
  void report_ranks(const RunInfo& run);
  void log_report(const Report& profile, const std::string& title) const;
  void write_json(const RunInfo& run) const;

  MemoryProfilerOptions options_;
  const Clock& clock_;
  std::unique_ptr<State> state_;
};

}  // namespace sluice
