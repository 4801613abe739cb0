#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/node.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/core/trace.hpp>
#include <sluice/core/util/thread_pool.hpp>
#include <sluice/hooks/tee.hpp>

namespace sluice {
namespace {

class TeeDataset;

struct Failure {
  std::string dataset;
  std::string cause;
  bool started = true;  // false: dropped before its write began (fail_fast)

  static Failure never_started(std::string dataset) {
    return {std::move(dataset), "never started: an earlier background write failed (fail_fast)",
            false};
  }
};

using Seconds = std::chrono::duration<double>;

}  // namespace

// Shared by the hook and the datasets it wraps. The writer pool belongs to the hook; once the
// hook closes the state, saves write through synchronously.
struct TeeHook::State {
  State(TeeOptions options_, const Clock& clock_) : options(options_), clock(clock_) {}

  const TeeOptions options;
  const Clock& clock;

  mutable std::mutex mutex;
  mutable std::condition_variable changed;  // budget freed, writes finished
  ThreadPool* writers = nullptr;            // null once closed
  std::uint64_t pending_bytes = 0;
  std::uint64_t peak_pending_bytes = 0;
  std::size_t in_flight = 0;  // accepted writes not finished
  std::size_t completed = 0;
  std::size_t failed_writes = 0;
  std::size_t back_pressure_waits = 0;
  bool write_failed = false;  // in this run
  std::size_t reported = 0;   // failures listed in an error thrown up to the run
  std::vector<Failure> failures;
  std::map<std::string, std::weak_ptr<TeeDataset>, std::less<>> datasets;
  Pipeline pipeline;
  std::shared_ptr<const Trace> trace;  // the run's, where the writes and waits are reported

  std::shared_ptr<const Trace> run_trace() const {
    std::lock_guard lock(mutex);
    return trace;
  }

  // Reserves `bytes` of the budget for a write, waiting while it is full; false when closed.
  bool admit(std::uint64_t bytes, const std::string& dataset) {
    std::unique_lock lock(mutex);
    if (writers == nullptr) {
      return false;
    }
    if (pending_bytes > 0 && pending_bytes + bytes > options.memory_budget) {
      ++back_pressure_waits;
      const TraceSpan span(trace.get(), "tee", "wait for memory budget",
                           {{"dataset", dataset}, {"bytes", std::to_string(bytes)}});
      changed.wait(lock, [&] {
        return pending_bytes == 0 || pending_bytes + bytes <= options.memory_budget;
      });
    }
    pending_bytes += bytes;
    peak_pending_bytes = std::max(peak_pending_bytes, pending_bytes);
    ++in_flight;
    return true;
  }

  bool cancelling() const {
    std::lock_guard lock(mutex);
    return write_failed && options.on_write_error == OnWriteError::fail_fast;
  }

  void finish(std::uint64_t bytes, std::optional<Failure> failure, bool written) {
    std::lock_guard lock(mutex);
    pending_bytes -= bytes;
    --in_flight;
    completed += written ? 1 : 0;
    if (failure) {
      failures.push_back(std::move(*failure));
      if (!written && failures.back().started) {
        ++failed_writes;
        write_failed = true;
      }
    }
    changed.notify_all();
  }

  void join() const {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return in_flight == 0; });
  }

  // Every failure so far; `thrown`: the report goes up in an error (else it is only logged).
  std::string failure_report(bool thrown) {
    std::lock_guard lock(mutex);
    std::string report = "background writes failed; these datasets are not persisted:";
    for (const auto& failure : failures) {
      report += fmt::format("\n  - '{}': {}", failure.dataset, failure.cause);
    }
    if (thrown) {
      reported = failures.size();
    }
    return report;
  }

  // A save refused because an earlier write failed (fail_fast): listed, and once every
  // accepted write has settled, the error of the save lists every dataset not persisted.
  [[noreturn]] void refuse(const std::string& dataset) {
    {
      std::lock_guard lock(mutex);
      failures.push_back(Failure::never_started(dataset));
    }
    join();
    throw Error(failure_report(true));
  }
};

namespace {

// A persisted dataset seen through the tee: saves return once the value is accepted, loads are
// served from memory while the value is held.
class TeeDataset final : public Dataset, public std::enable_shared_from_this<TeeDataset> {
 public:
  TeeDataset(std::string name, std::shared_ptr<Dataset> inner,
             std::shared_ptr<TeeHook::State> state)
      : name_(std::move(name)), inner_(std::move(inner)), state_(std::move(state)) {}

  Value load() override {
    bool read_once = false;
    {
      std::lock_guard lock(mutex_);
      if (memory_) {
        return memory_;
      }
      read_once = read_once_ && !consumers_done_;
    }
    if (!read_once) {
      return inner_->load();
    }
    // A free input of the run: one read, its other readers served from memory (those that come
    // while it is read wait for that read instead of making their own).
    const std::lock_guard reading(read_mutex_);
    {
      std::lock_guard lock(mutex_);
      if (memory_) {
        return memory_;
      }
    }
    Value value = inner_->load();
    std::lock_guard lock(mutex_);
    if (read_once_ && !consumers_done_) {
      memory_ = value;
    }
    return value;
  }

  void save(const Value& value) override {
    bool active = false;
    {
      std::lock_guard lock(mutex_);
      active = active_;
    }
    if (active && state_->cancelling()) {
      state_->refuse(name_);
    }
    const std::uint64_t bytes = value.byte_size();
    if (!active || !state_->admit(bytes, name_)) {
      inner_->save(value);
      return;
    }
    bool start = false;
    {
      std::lock_guard lock(mutex_);
      memory_ = value;
      consumers_done_ = free_output_;
      saved_this_run_ = true;
      persisted_ = false;
      queue_.push_back({value, bytes});
      start = !writing_;
      writing_ = writing_ || start;
    }
    if (start) {
      submit();
    }
  }

  // Whether the run's value is persisted, once its writes settled.
  bool exists() const override {
    std::unique_lock lock(mutex_);
    settled(lock);
    if (saved_this_run_) {
      return persisted_;
    }
    lock.unlock();
    return inner_->exists();
  }

  void release() override {
    Value dropped;
    {
      std::lock_guard lock(mutex_);
      consumers_done_ = true;
      dropped = take_if_done();
    }
    inner_->release();
  }

  // The wrapped dataset's type, so logs and `sluice catalog list` show where the data goes.
  std::string dataset_type() const override { return inner_->dataset_type() + " (via tee)"; }
  std::string describe() const override { return inner_->describe() + " (via tee)"; }
  bool is_ephemeral() const override { return false; }
  void prepare_save() override { inner_->prepare_save(); }

  // For a run: `produced` by it (saves are teed), `free_output` (no consumer in it), or
  // `free_input` (read once, see load()).
  void activate(bool produced, bool free_output, bool free_input) {
    Value dropped;
    std::lock_guard lock(mutex_);
    active_ = produced;
    free_output_ = free_output;
    read_once_ = free_input;
    saved_this_run_ = false;
    persisted_ = false;
    consumers_done_ = false;
    std::swap(dropped, memory_);
  }

  // After the run: a free input's value is not kept for the next run (nor when the runner
  // keeps its inputs and so never releases them).
  void deactivate() {
    Value dropped;
    std::lock_guard lock(mutex_);
    if (read_once_) {
      read_once_ = false;
      std::swap(dropped, memory_);
    }
  }

  bool holds() const {
    std::lock_guard lock(mutex_);
    return memory_.has_value();
  }
  bool write_pending() const override {
    std::lock_guard lock(mutex_);
    return writing_ || !queue_.empty();
  }
  void wait_for_writes() const override {
    std::unique_lock lock(mutex_);
    settled(lock);
  }
  // The value served from memory, and older values still queued for writing.
  void held_values(std::vector<Value>& out) const override {
    std::lock_guard lock(mutex_);
    if (memory_) {
      out.push_back(memory_);
    }
    for (const auto& pending : queue_) {
      out.push_back(pending.value);
    }
    inner_->held_values(out);
  }
  const std::string& name() const { return name_; }

 private:
  struct Pending {
    Value value;
    std::uint64_t bytes;
  };

  // Waits, under `lock` (of mutex_), until no value of this dataset is queued or being written.
  void settled(std::unique_lock<std::mutex>& lock) const {
    written_.wait(lock, [this] { return !writing_ && queue_.empty(); });
  }

  void submit() {
    std::lock_guard lock(state_->mutex);
    state_->writers->submit([self = shared_from_this()]() mutable {
      self->write_queued();
      self.reset();  // before the pool may go: the last owner could be this task
    });
  }

  // Runs on a writer thread: writes the queued values in save order, one at a time. Each
  // write's bookkeeping here is done before the state counts it finished, so that join()
  // returning means every dataset is settled.
  void write_queued() {
    for (;;) {
      Pending pending;
      {
        std::lock_guard lock(mutex_);
        pending = std::move(queue_.front());
        queue_.pop_front();
      }
      std::optional<Failure> failure;
      bool written = false;
      if (state_->cancelling()) {
        failure = Failure::never_started(name_);
      } else {
        const auto started = state_->clock.now();
        const auto trace = state_->run_trace();
        try {
          const TraceSpan span(trace.get(), "tee", fmt::format("write {}", name_),
                               {{"dataset", name_}, {"bytes", std::to_string(pending.bytes)}});
          inner_->save(pending.value);
          written = true;
          if (auto& log = logger(); log.should_log(spdlog::level::info)) {
            log.info("Persisted '{}' ({}) in the background in {:.3f} s", name_,
                     inner_->dataset_type(), Seconds(state_->clock.now() - started).count());
          }
        } catch (const std::exception& error) {
          failure = Failure{name_, error.what()};
          logger().error("Background write of '{}' failed: {}", name_, error.what());
        }
      }
      pending.value = Value();
      bool more = false;
      Value dropped;
      {
        std::lock_guard lock(mutex_);
        persisted_ = written;
        more = !queue_.empty();
        if (!more) {
          writing_ = false;
          dropped = take_if_done();
          written_.notify_all();
        }
      }
      dropped = Value();
      state_->finish(pending.bytes, std::move(failure), written);
      if (!more) {
        return;
      }
    }
  }

  // The value, once its writes finished and its last consumer ran; call with mutex_ held, and
  // let the caller free it after unlocking.
  Value take_if_done() {
    Value dropped;
    if (consumers_done_ && !writing_ && queue_.empty()) {
      std::swap(dropped, memory_);
    }
    return dropped;
  }

  const std::string name_;
  const std::shared_ptr<Dataset> inner_;
  const std::shared_ptr<TeeHook::State> state_;
  mutable std::mutex mutex_;
  mutable std::condition_variable written_;
  std::mutex read_mutex_;  // held while a free input is read
  bool active_ = false;
  bool read_once_ = false;
  bool free_output_ = false;
  Value memory_;
  std::deque<Pending> queue_;
  bool writing_ = false;
  bool consumers_done_ = false;
  bool saved_this_run_ = false;
  bool persisted_ = false;
};

std::vector<std::shared_ptr<TeeDataset>> live(const TeeHook::State& state) {
  std::vector<std::shared_ptr<TeeDataset>> datasets;
  std::lock_guard lock(state.mutex);
  for (const auto& [name, weak] : state.datasets) {
    if (auto dataset = weak.lock()) {
      datasets.push_back(std::move(dataset));
    }
  }
  return datasets;
}

}  // namespace

TeeOptions TeeOptions::parse(const Param& options, const std::string& hook_name) {
  OptionReader reader(options, fmt::format("hook '{}'", hook_name));
  TeeOptions parsed;
  // `writers` is the older name of `max_writers` (it was a fixed pool; the pool grows now).
  const bool alias = reader.optional_raw("writers") != nullptr;
  if (alias && reader.optional_raw("max_writers") != nullptr) {
    throw ConfigError(fmt::format(
        "{}: 'writers' is the older name of 'max_writers' and both are given; keep only "
        "max_writers",
        reader.where("writers")));
  }
  const std::string key = alias ? "writers" : "max_writers";
  const std::int64_t writers = reader.integer(key, static_cast<std::int64_t>(parsed.max_writers));
  parsed.memory_budget = reader.bytes("memory_budget", parsed.memory_budget);
  parsed.on_write_error =
      reader.choice("on_write_error", {"fail_fast", "at_end"}, "fail_fast") == "at_end"
          ? OnWriteError::at_end
          : OnWriteError::fail_fast;
  reader.finish();
  if (writers < 1) {
    throw ConfigError(fmt::format("{}: must be at least 1 (got {})", reader.where(key), writers));
  }
  if (static_cast<std::uint64_t>(writers) > ThreadPool::max_threads) {
    throw ConfigError(
        fmt::format("{}: must be at most {} (got {}); writers start only when the writes "
                    "waiting outnumber them, so the default ({}) already suits any stage",
                    reader.where(key), ThreadPool::max_threads, writers, TeeOptions{}.max_writers));
  }
  parsed.max_writers = static_cast<std::size_t>(writers);
  return parsed;
}

// The pool is the hook's, not the state's: the state may die on a writer thread (when a task
// holds the last reference to a dataset), and no writer thread may be asked to join itself.
TeeHook::TeeHook(TeeOptions options, const Clock& clock)
    : state_(std::make_shared<State>(options, clock)) {
  try {
    // One writer to begin with; another whenever a save finds every writer busy.
    writers_ = std::make_unique<ThreadPool>(1, options.max_writers, "writer");
  } catch (const Error& error) {
    throw Error(fmt::format("tee: {}; lower 'max_writers'", error.what()));
  }
  state_->writers = writers_.get();
}

TeeHook::~TeeHook() {
  join();
  {
    std::lock_guard lock(state_->mutex);
    state_->writers = nullptr;  // saves from now on write through
  }
  writers_.reset();
}

Events TeeHook::events() const {
  return {Event::after_catalog_created, Event::before_rank_run, Event::before_node_run,
          Event::after_rank_run, Event::on_rank_error};
}

void TeeHook::after_catalog_created(Catalog& catalog) {
  {
    std::lock_guard lock(state_->mutex);
    state_->trace = trace_of(catalog);
  }
  for (const auto& name : catalog.list()) {
    auto dataset = catalog.get(name);
    if (dataset->is_ephemeral() || Catalog::is_parameter(name)) {
      continue;
    }
    auto tee = std::make_shared<TeeDataset>(name, std::move(dataset), state_);
    catalog.add(name, tee, true);
    std::lock_guard lock(state_->mutex);
    state_->datasets[name] = tee;
  }
}

void TeeHook::before_rank_run(const RunInfo&, const Pipeline& pipeline, const CatalogView&) {
  {
    std::lock_guard lock(state_->mutex);
    state_->pipeline = pipeline;
    state_->failures.clear();
    state_->write_failed = false;
    state_->reported = 0;
  }
  for (const auto& dataset : live(*state_)) {
    dataset->activate(pipeline.all_outputs().contains(dataset->name()),
                      pipeline.outputs().contains(dataset->name()),
                      pipeline.inputs().contains(dataset->name()));
  }
}

void TeeHook::before_node_run(const Node&, const CatalogView&, std::vector<Value>&) {
  if (state_->cancelling()) {
    // Writes still running may fail too: the refusal lists them all.
    join();
    throw Error(state_->failure_report(true));
  }
}

void TeeHook::after_rank_run(const RunInfo&, const Pipeline&, const CatalogView&) {
  join();
  for (const auto& dataset : live(*state_)) {
    dataset->deactivate();
  }
  const Stats totals = stats();
  logger().info("Tee: {} background writes finished; at most {:.1f} MiB held for pending writes",
                totals.writes_completed,
                static_cast<double>(totals.peak_pending_bytes) / (1 << 20));
  std::vector<std::string> failed;
  {
    std::lock_guard lock(state_->mutex);
    for (const auto& failure : state_->failures) {
      failed.push_back(failure.dataset);
    }
  }
  if (failed.empty()) {
    return;
  }
  // The runner adds the resume suggestion, these datasets' producers counting as not run.
  throw NotPersistedError(state_->failure_report(true), std::move(failed));
}

void TeeHook::on_rank_error(const RunInfo&, const Pipeline&, const CatalogView&,
                            const std::exception&) {
  // The run failed, but what was accepted is still written, so that it can be resumed from.
  join();
  for (const auto& dataset : live(*state_)) {
    dataset->deactivate();
  }
  bool unreported = false;
  {
    std::lock_guard lock(state_->mutex);
    unreported = state_->failures.size() > state_->reported;
  }
  if (unreported) {  // the run's error lists them (NotPersistedError)
    throw NotPersistedError(state_->failure_report(true));
  }
}

TeeHook::Stats TeeHook::stats() const {
  std::lock_guard lock(state_->mutex);
  return Stats{state_->pending_bytes,       state_->peak_pending_bytes,
               state_->completed,           state_->failed_writes,
               state_->back_pressure_waits, writers_ ? writers_->peak_size() : 0};
}

bool TeeHook::holds(std::string_view dataset) const {
  std::shared_ptr<TeeDataset> found;
  {
    std::lock_guard lock(state_->mutex);
    if (auto at = state_->datasets.find(dataset); at != state_->datasets.end()) {
      found = at->second.lock();
    }
  }
  return found && found->holds();
}

void TeeHook::join() const {
  state_->join();
}

}  // namespace sluice
