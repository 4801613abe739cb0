#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <sluice/core/clock.hpp>
#include <sluice/core/hook.hpp>
#include <sluice/core/param.hpp>

namespace sluice {

class ThreadPool;

/// What to do when a background write fails.
enum class OnWriteError {
  /// Stop starting nodes and accepting saves, drop the writes not yet started, fail the run
  /// (once the writes still running have settled, so that the error lists every failure).
  fail_fast,
  /// Let the run go on; fail it at the end.
  at_end,
};

/// What the tee does with a saved value once it is written, while readers still need it.
enum class Hold {
  /// Keep it while it fits the memory budget; when a save needs room, drop the kept value whose
  /// next reader comes last in the plan's order (Belady's rule), which that reader then reads
  /// back from storage. A save waits only while every byte held is a write still running.
  adaptive,
  /// Keep every value until its last reader ran (never read back); a save that would exceed
  /// the budget waits for the writes running to finish, and kept values alone may exceed it.
  always,
  /// Drop every value once it is written: later readers read it back from storage.
  never,
};

struct TeeOptions {
  /// The most writer threads persisting values in the background at once. The pool starts
  /// with one and starts another whenever a write is handed over while every writer is busy
  /// (writes wait on storage rather than use CPU, so a stage needs as many as it has writes in
  /// flight); a writer above the first exits after ThreadPool::default_idle_timeout (2 s) with
  /// no write. hooks.yml: `max_writers` (or its older name `writers`).
  std::size_t max_writers = 256;
  /// Bytes (by sluice::byte_size) the tee holds at once: values whose write is not finished,
  /// values kept for their readers and free inputs read once. How a save that would exceed it
  /// is handled is `hold`'s; a value larger than the budget still goes through once nothing
  /// else is held. hooks.yml: `memory_budget` (`256MiB`).
  std::uint64_t memory_budget = std::uint64_t{2} << 30;
  /// hooks.yml: `hold: auto|always|never`.
  Hold hold = Hold::adaptive;
  OnWriteError on_write_error = OnWriteError::fail_fast;

  /// Reads the options of hooks.yml; ConfigError (with file and line) for an unknown option,
  /// a negative or malformed budget, fewer than one writer or more than
  /// ThreadPool::max_threads, or both `writers` and `max_writers`.
  static TeeOptions parse(const Param& options, const std::string& hook_name);
};

/// Asynchronous write-through for persisted intermediates.
///
/// Every persisted (non-ephemeral) dataset the run produces is wrapped: a save keeps the value
/// in memory for downstream nodes and hands it to a pool of writer threads that persist it
/// through the original dataset, in save order per dataset. Downstream loads come from
/// memory. A persisted free input of the pipeline is read once per run: its other readers get
/// the value from memory (those that come during the read wait for it) until its last consumer
/// ran or the run ended; other datasets load as before. A value's memory is dropped once its write
/// finished and its last consumer ran, or earlier as TeeOptions::hold says under the memory
/// budget (never before it is written; a later reader reads it back, a `read back` span). Every
/// write is joined in the process that accepted it, before after_rank_run returns (on a failed run
/// in on_rank_error, so that what was written stays for resume): under `--runner mpi`, on the rank
/// that produced the value. Failures are listed with their causes: after_rank_run throws
/// NotPersistedError naming the datasets, and the runner adds the resume suggestion (under MPI,
/// rank 0 fails the run on every rank).
class TeeHook final : public Hook {
 public:
  explicit TeeHook(TeeOptions options, const Clock& clock = system_clock());
  ~TeeHook() override;

  Events events() const override;
  void after_catalog_created(Catalog& catalog) override;
  void before_rank_run(const RunInfo& run, const Pipeline& pipeline,
                       const CatalogView& catalog) override;
  void before_node_run(const Node& node, const CatalogView& catalog,
                       std::vector<Value>& inputs) override;
  void after_rank_run(const RunInfo& run, const Pipeline& pipeline,
                      const CatalogView& catalog) override;
  void on_rank_error(const RunInfo& run, const Pipeline& pipeline, const CatalogView& catalog,
                     const std::exception& error) override;

  /// The hook's own accounting, for tests and reports.
  struct Stats {
    std::uint64_t pending_bytes = 0;       // held for writes not finished
    std::uint64_t peak_pending_bytes = 0;  // the most ever held for writes at once
    std::uint64_t kept_bytes = 0;          // written values and free inputs kept for readers
    std::uint64_t peak_held_bytes = 0;     // the most of pending + kept at once
    std::size_t spilled = 0;               // written values dropped before their last reader ran
    std::size_t read_back = 0;             // loads of a spilled value, from storage
    std::size_t writes_completed = 0;
    std::size_t writes_failed = 0;
    std::size_t back_pressure_waits = 0;  // saves that had to wait for the budget
    std::size_t writers = 0;              // the most writer threads at once (<= max_writers)
  };
  Stats stats() const;
  /// Whether the tee still holds `dataset`'s value in memory.
  bool holds(std::string_view dataset) const;
  /// Blocks until every write accepted so far has finished (or was dropped).
  void join() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
  std::unique_ptr<ThreadPool> writers_;
};

}  // namespace sluice
