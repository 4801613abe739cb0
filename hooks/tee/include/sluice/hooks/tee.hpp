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

/// How many writes the tee lets be in flight, from the writes it has seen (Little's law).
///
/// Each finished write is a sample: its bytes s, its seconds d and the writes in flight when it
/// began, k (itself included). The samples are fitted, least squares, to d = l + a·s + b·s·k:
/// a latency l, a transfer a·s of the write's own, and b·s·k, the write's share of a link that k
/// writes divide (b = 1 / the link's bandwidth). While b is not clearly above 0 (more than 4
/// standard errors, from at least `min_samples` writes of two or more concurrencies), writes do
/// not slow each other down: every write gets a writer of its own (up to `max_writers`), which
/// is Little's law's λ·W for any arrival rate. Once b is, the link is the bottleneck: it is kept
/// busy by B·W0 / s̄ writes (its bandwidth-delay product, W0 = l + a·s̄ the time a write spends
/// off the link, s̄ the mean bytes); the limit is twice that, plus one, and more writes wait in
/// the tee (still held, and within the memory budget) instead of flooding the link.
class WriteConcurrency {
 public:
  explicit WriteConcurrency(std::size_t max_writers, std::size_t min_samples = 16)
      : max_writers_(max_writers), min_samples_(min_samples) {}

  /// One finished write; returns the limit after it.
  std::size_t record(std::uint64_t bytes, double seconds, std::size_t in_flight);
  /// The writes let in flight at once (max_writers until the link is seen to be shared).
  std::size_t limit() const { return limit_; }
  /// The fitted link, once the limit follows it: bandwidth (bytes/s) and the seconds off it.
  double link_bandwidth() const { return bandwidth_; }
  double off_link_seconds() const { return off_link_; }
  void reset();

 private:
  std::size_t max_writers_;
  std::size_t min_samples_;
  std::size_t limit_ = max_writers_;
  double bandwidth_ = 0;
  double off_link_ = 0;
  // Sums for the normal equations over x = (1, s, s·k), and of d and d².
  double n_ = 0;
  double xx_[3][3] = {};
  double xd_[3] = {};
  double dd_ = 0;
  std::size_t first_k_ = 0;
  bool several_k_ = false;
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
  /// Limit the writes in flight by WriteConcurrency (Little's law on the writes seen), within
  /// max_writers. hooks.yml: `adapt_writers` (true).
  bool adapt_writers = true;
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
    std::size_t writer_limit = 0;         // writes let in flight now (WriteConcurrency)
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
