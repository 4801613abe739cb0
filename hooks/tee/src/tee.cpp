#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

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

const char* hold_name(Hold hold) {
  switch (hold) {
    case Hold::always:
      return "always";
    case Hold::never:
      return "never";
    case Hold::adaptive:
      break;
  }
  return "auto";
}

}  // namespace

// Shared by the hook and the datasets it wraps. The writer pool belongs to the hook; once the
// hook closes the state, saves write through synchronously. Lock order: the state's mutex
// before a dataset's (the budget's bookkeeping changes both at once).
struct TeeHook::State {
  State(TeeOptions options_, const Clock& clock_) : options(options_), clock(clock_) {}

  const TeeOptions options;
  const Clock& clock;

  mutable std::mutex mutex;
  mutable std::condition_variable changed;  // budget freed, writes finished
  ThreadPool* writers = nullptr;            // null once closed
  std::uint64_t pending_bytes = 0;
  std::uint64_t peak_pending_bytes = 0;
  std::uint64_t kept_bytes = 0;  // sum of kept
  std::uint64_t peak_held_bytes = 0;
  std::size_t spilled = 0;
  std::size_t read_back = 0;
  // Values held for readers and no write: what the budget may drop (hold: auto), with bytes.
  std::map<TeeDataset*, std::uint64_t> kept;
  std::size_t in_flight = 0;  // accepted writes not finished
  // The writes in flight (Little's law): the limit on the datasets writing at once, those
  // writing (a task on the pool each), those waiting for one of them to finish, and the writes
  // running on storage now.
  WriteConcurrency concurrency{options.max_writers};
  std::size_t writing = 0;
  std::deque<std::shared_ptr<TeeDataset>> waiting_to_write;
  std::size_t writes_running = 0;
  std::size_t completed = 0;
  std::size_t failed_writes = 0;
  std::size_t back_pressure_waits = 0;
  bool write_failed = false;  // in this run
  std::size_t reported = 0;   // failures listed in an error thrown up to the run
  std::vector<Failure> failures;
  std::map<std::string, std::weak_ptr<TeeDataset>, std::less<>> datasets;
  Pipeline pipeline;
  std::unordered_map<std::string_view, std::size_t> node_index;  // into pipeline.nodes()
  std::vector<std::uint8_t> started;                             // by node index, this run
  std::shared_ptr<const Trace> trace;  // the run's, where the writes and waits are reported

  std::shared_ptr<const Trace> run_trace() const {
    std::lock_guard lock(mutex);
    return trace;
  }

  std::uint64_t held() const { return pending_bytes + kept_bytes; }
  void note_peak() { peak_held_bytes = std::max(peak_held_bytes, held()); }

  // The plan position of `dataset`'s next reader not yet started (its readers in the plan's
  // order, as the sequential runner runs them); SIZE_MAX when none is left. Under mutex.
  std::size_t next_use(std::string_view dataset) const {
    for (const std::uint32_t consumer : pipeline.consumers_of(dataset)) {
      if (consumer < started.size() && started[consumer] == 0) {
        return consumer;
      }
    }
    return SIZE_MAX;
  }
  std::string node_name(std::size_t index) const {
    return index < pipeline.size() ? pipeline.nodes()[index].name() : std::string("none");
  }

  // Under mutex: the kept value whose next reader comes last (the larger first on ties), if
  // it comes after `after` (SIZE_MAX: any).
  TeeDataset* victim(std::size_t after) const;
  // Under mutex: drops `dataset`'s kept value (into `dropped`, freed once unlocked).
  void spill(TeeDataset* dataset, const char* reason, std::vector<Value>& dropped);
  // Under mutex: hands `dataset`'s queued writes to a writer, or lets them wait while the writes
  // in flight are at the limit.
  void start_writing(std::shared_ptr<TeeDataset> dataset);
  // A writer's task for a dataset ended: the next waiting dataset, while below the limit.
  void task_done() {
    std::lock_guard lock(mutex);
    --writing;
    while (writers != nullptr && !waiting_to_write.empty() && writing < concurrency.limit()) {
      auto next = std::move(waiting_to_write.front());
      waiting_to_write.pop_front();
      start_writing(std::move(next));
    }
  }
  // A write of `bytes` took `seconds` with `running` writes at its start: the fit learns it.
  void wrote(std::uint64_t bytes, double seconds, std::size_t running) {
    std::lock_guard lock(mutex);
    if (!options.adapt_writers) {
      return;
    }
    const std::size_t before = concurrency.limit();
    if (concurrency.record(bytes, seconds, running) != before) {
      if (concurrency.limit() < options.max_writers) {
        logger().info(
            "Tee: the writes share a link of {:.1f} MB/s and spend {:.0f} ms off it: at most {} "
            "in flight (Little's law; max_writers {})",
            concurrency.link_bandwidth() / 1e6, concurrency.off_link_seconds() * 1e3,
            concurrency.limit(), options.max_writers);
      } else {
        logger().info("Tee: the writes no longer slow each other down: up to {} in flight",
                      options.max_writers);
      }
    }
  }

  // Under mutex: forgets `dataset`'s kept value (it is gone or replaced).
  void unkeep(TeeDataset* dataset) {
    if (const auto at = kept.find(dataset); at != kept.end()) {
      kept_bytes -= at->second;
      kept.erase(at);
      changed.notify_all();
    }
  }
  void keep(TeeDataset* dataset, std::uint64_t bytes) {
    unkeep(dataset);
    kept.emplace(dataset, bytes);
    kept_bytes += bytes;
    note_peak();
  }

  // Reserves `bytes` of the budget for a write of `dataset` (which `saver` holds), making room
  // as `hold` says; false when closed.
  bool admit(std::uint64_t bytes, TeeDataset* saver, const std::string& dataset,
             std::vector<Value>& dropped) {
    std::unique_lock lock(mutex);
    if (writers == nullptr) {
      return false;
    }
    unkeep(saver);  // its value is being replaced
    std::optional<TraceSpan> waiting;
    for (;;) {
      if (held() == 0 || held() + bytes <= options.memory_budget) {
        break;
      }
      if (options.hold == Hold::adaptive) {
        if (TeeDataset* drop = victim(SIZE_MAX)) {
          spill(drop, "memory budget", dropped);
          continue;
        }
      }
      if (pending_bytes == 0) {
        break;  // hold: always keeps what its readers need, over the budget
      }
      if (!waiting) {
        ++back_pressure_waits;
        waiting.emplace(trace.get(), "tee", "wait for memory budget",
                        TraceSink::Args{{"dataset", dataset}, {"bytes", std::to_string(bytes)}});
      }
      changed.wait(lock);
    }
    pending_bytes += bytes;
    peak_pending_bytes = std::max(peak_pending_bytes, pending_bytes);
    note_peak();
    ++in_flight;
    return true;
  }

  bool cancelling() const {
    std::lock_guard lock(mutex);
    return write_failed && options.on_write_error == OnWriteError::fail_fast;
  }

  // Under mutex: a write of `bytes` is over.
  void finish(std::uint64_t bytes, std::optional<Failure> failure, bool written) {
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
  ~TeeDataset() override {
    const std::lock_guard lock(state_->mutex);
    state_->unkeep(this);
  }
  TeeDataset(const TeeDataset&) = delete;
  TeeDataset& operator=(const TeeDataset&) = delete;

  Value load() override {
    bool read_once = false;
    bool spilled = false;
    {
      std::lock_guard lock(mutex_);
      if (memory_) {
        return memory_;
      }
      spilled = spilled_;
      read_once = read_once_ && !consumers_done_ && !spilled;
    }
    if (spilled) {
      return read_back();
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
    offer(value);
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
    std::vector<Value> dropped;  // what the budget let go, freed last
    if (!active || !state_->admit(bytes, this, name_, dropped)) {
      inner_->save(value);
      return;
    }
    bool start = false;
    {
      std::lock_guard lock(mutex_);
      memory_ = value;
      memory_bytes_ = bytes;
      spilled_ = false;
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
      const std::lock_guard state_lock(state_->mutex);
      const std::lock_guard lock(mutex_);
      consumers_done_ = true;
      if (!writing_ && queue_.empty()) {
        dropped = take_memory();
      }
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
    const std::lock_guard state_lock(state_->mutex);
    const std::lock_guard lock(mutex_);
    active_ = produced;
    free_output_ = free_output;
    read_once_ = free_input;
    saved_this_run_ = false;
    persisted_ = false;
    consumers_done_ = false;
    dropped = take_memory();
    spilled_ = false;
  }

  // After the run: a free input's value is not kept for the next run (nor when the runner
  // keeps its inputs and so never releases them).
  void deactivate() {
    Value dropped;
    const std::lock_guard state_lock(state_->mutex);
    const std::lock_guard lock(mutex_);
    if (read_once_) {
      read_once_ = false;
      dropped = take_memory();
    }
  }

  // Under the state's mutex: the kept value, dropped by the budget; later readers read it back.
  Value spill() {
    const std::lock_guard lock(mutex_);
    Value dropped = take_memory();
    spilled_ = true;
    return dropped;
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
    state_->start_writing(shared_from_this());
  }

 public:
  // A writer's task: this dataset's queued writes, then the next dataset waiting for a writer.
  std::function<void()> writer_task() {
    return [self = shared_from_this(), state = state_]() mutable {
      self->write_queued();
      self.reset();  // before the pool may go: the last owner could be this task
      state->task_done();
    };
  }

 private:
  // A spilled value's load: from storage, as a span of the trace.
  Value read_back() {
    const auto trace = state_->run_trace();
    TraceSpan span(trace.get(), "tee", fmt::format("read back {}", name_), {{"dataset", name_}});
    Value value = inner_->load();
    span.arg("bytes", std::to_string(value.byte_size()));
    const std::lock_guard lock(state_->mutex);
    ++state_->read_back;
    return value;
  }

  // A free input just read: kept for its other readers if `hold` lets it and it fits.
  void offer(const Value& value) {
    const std::uint64_t bytes = value.byte_size();
    std::vector<Value> dropped;  // freed last
    const std::lock_guard state_lock(state_->mutex);
    const TeeOptions& options = state_->options;
    bool fits = options.hold == Hold::always;
    if (options.hold == Hold::adaptive) {
      // Room is made only from values needed after this one.
      const std::size_t next = state_->next_use(name_);
      const auto over = [&] {
        return state_->held() > 0 && state_->held() + bytes > options.memory_budget;
      };
      while (over() && next != SIZE_MAX) {
        TeeDataset* drop = state_->victim(next);
        if (drop == nullptr) {
          break;
        }
        state_->spill(drop, "memory budget", dropped);
      }
      fits = !over();
    }
    const std::lock_guard lock(mutex_);
    if (!fits) {
      spilled_ = true;  // its later readers read it again
      return;
    }
    if (read_once_ && !consumers_done_) {
      memory_ = value;
      memory_bytes_ = bytes;
      state_->keep(this, bytes);
    }
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
        const auto trace = state_->run_trace();
        std::size_t running = 0;
        {
          std::lock_guard lock(state_->mutex);
          running = ++state_->writes_running;
        }
        const auto started = state_->clock.now();
        try {
          const TraceSpan span(trace.get(), "tee", fmt::format("write {}", name_),
                               {{"dataset", name_}, {"bytes", std::to_string(pending.bytes)}});
          inner_->save(pending.value);
          written = true;
          state_->wrote(pending.bytes, Seconds(state_->clock.now() - started).count(), running);
          if (auto& log = logger(); log.should_log(spdlog::level::info)) {
            log.info("Persisted '{}' ({}) in the background in {:.3f} s", name_,
                     inner_->dataset_type(), Seconds(state_->clock.now() - started).count());
          }
        } catch (const std::exception& error) {
          failure = Failure{name_, error.what()};
          logger().error("Background write of '{}' failed: {}", name_, error.what());
        }
        std::lock_guard lock(state_->mutex);
        --state_->writes_running;
      }
      pending.value = Value();
      bool more = false;
      std::vector<Value> dropped;
      {
        const std::lock_guard state_lock(state_->mutex);
        const std::lock_guard lock(mutex_);
        persisted_ = written;
        more = !queue_.empty();
        state_->finish(pending.bytes, std::move(failure), written);
        if (!more) {
          writing_ = false;
          settle_memory(written, dropped);  // after the pending bytes are out, so kept once
          written_.notify_all();
        }
      }
      if (!more) {
        return;
      }
    }
  }

  // Under both mutexes, once the last queued write ended: the value goes once its last
  // consumer ran (or, with hold: never, once written); else it is kept for its readers.
  void settle_memory(bool written, std::vector<Value>& dropped) {
    if (!memory_) {
      return;
    }
    if (consumers_done_) {
      dropped.push_back(take_memory());
    } else if (written && state_->options.hold == Hold::never) {
      const TraceSpan span(state_->trace.get(), "tee", fmt::format("spill {}", name_),
                           {{"dataset", name_},
                            {"bytes", std::to_string(memory_bytes_)},
                            {"next_reader", state_->node_name(state_->next_use(name_))},
                            {"reason", "hold: never"}});
      dropped.push_back(take_memory());
      spilled_ = true;
      ++state_->spilled;
    } else {
      state_->keep(this, memory_bytes_);
    }
  }

  // Under mutex_ (and the state's): the value held, for the caller to free once unlocked; it
  // is no longer counted as kept.
  Value take_memory() {
    Value dropped;
    std::swap(dropped, memory_);
    if (dropped) {
      state_->unkeep(this);
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
  std::uint64_t memory_bytes_ = 0;
  bool spilled_ = false;  // its value was let go before its last reader ran
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

TeeDataset* TeeHook::State::victim(std::size_t after) const {
  TeeDataset* chosen = nullptr;
  std::size_t chosen_next = 0;
  std::uint64_t chosen_bytes = 0;
  for (const auto& [dataset, bytes] : kept) {
    const std::size_t next = next_use(dataset->name());
    if (after != SIZE_MAX && next <= after) {
      continue;
    }
    if (chosen == nullptr || next > chosen_next || (next == chosen_next && bytes > chosen_bytes)) {
      chosen = dataset;
      chosen_next = next;
      chosen_bytes = bytes;
    }
  }
  return chosen;
}

void TeeHook::State::spill(TeeDataset* dataset, const char* reason, std::vector<Value>& dropped) {
  const std::size_t next = next_use(dataset->name());
  const TraceSpan span(trace.get(), "tee", fmt::format("spill {}", dataset->name()),
                       {{"dataset", dataset->name()},
                        {"bytes", std::to_string(kept.at(dataset))},
                        {"next_reader", node_name(next)},
                        {"reason", reason}});
  dropped.push_back(dataset->spill());
  ++spilled;
}

void TeeHook::State::start_writing(std::shared_ptr<TeeDataset> dataset) {
  if (writing >= concurrency.limit()) {
    waiting_to_write.push_back(std::move(dataset));
    return;
  }
  ++writing;
  writers->submit(dataset->writer_task());
}

namespace {

// Inverts the m x m leading block of `a` selected by `use` into `inverse` (Gauss-Jordan with
// partial pivoting); false when it is singular next to its scale.
bool invert(const double (&a)[3][3], const std::vector<int>& use, double (&inverse)[3][3]) {
  const std::size_t m = use.size();
  double work[3][6] = {};
  double scale = 0;
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < m; ++j) {
      work[i][j] = a[use[i]][use[j]];
      scale = std::max(scale, std::abs(work[i][j]));
    }
    work[i][m + i] = 1;
  }
  for (std::size_t column = 0; column < m; ++column) {
    std::size_t pivot = column;
    for (std::size_t row = column + 1; row < m; ++row) {
      if (std::abs(work[row][column]) > std::abs(work[pivot][column])) {
        pivot = row;
      }
    }
    if (std::abs(work[pivot][column]) <= 1e-9 * scale) {
      return false;
    }
    std::swap(work[pivot], work[column]);
    const double divisor = work[column][column];
    for (double& value : work[column]) {
      value /= divisor;
    }
    for (std::size_t row = 0; row < m; ++row) {
      if (row != column) {
        const double factor = work[row][column];
        for (std::size_t k = 0; k < 2 * m; ++k) {
          work[row][k] -= factor * work[column][k];
        }
      }
    }
  }
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < m; ++j) {
      inverse[i][j] = work[i][m + j];
    }
  }
  return true;
}

}  // namespace

std::size_t WriteConcurrency::record(std::uint64_t bytes, double seconds, std::size_t in_flight) {
  // Bytes in MB keep the normal equations well conditioned.
  const double megabytes = static_cast<double>(bytes) / 1e6;
  const double x[3] = {1, megabytes, megabytes * static_cast<double>(in_flight)};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      xx_[i][j] += x[i] * x[j];
    }
    xd_[i] += x[i] * seconds;
  }
  dd_ += seconds * seconds;
  n_ += 1;
  if (first_k_ == 0) {
    first_k_ = in_flight;
  } else if (in_flight != first_k_) {
    several_k_ = true;
  }
  if (n_ < static_cast<double>(min_samples_) || !several_k_) {
    return limit_;
  }
  // d = l + a·s + b·s·k, or d = l + b·s·k when every write has the same size.
  std::vector<int> use = {0, 1, 2};
  double inverse[3][3] = {};
  if (!invert(xx_, use, inverse)) {
    use = {0, 2};
    if (!invert(xx_, use, inverse)) {
      return limit_;
    }
  }
  const std::size_t m = use.size();
  double beta[3] = {};
  double explained = 0;
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < m; ++j) {
      beta[i] += inverse[i][j] * xd_[use[j]];
    }
    explained += beta[i] * xd_[use[i]];
  }
  const double variance = std::max(0.0, dd_ - explained) / (n_ - static_cast<double>(m));
  const double share = beta[m - 1];  // b: seconds per MB per write sharing the link
  const double error = std::sqrt(variance * std::max(0.0, inverse[m - 1][m - 1]));
  if (share > 0 && share > 4 * error) {
    const double mean_megabytes = xx_[0][1] / n_;
    bandwidth_ = 1e6 / share;
    off_link_ = std::max(0.0, beta[0] + (m == 3 ? beta[1] * mean_megabytes : 0.0));
    const double product = off_link_ / (share * std::max(mean_megabytes, 1e-12));
    const double wanted = std::ceil(2 * product - 1e-9) + 1;  // 2.0000001 is 2
    limit_ = wanted >= static_cast<double>(max_writers_)
                 ? max_writers_
                 : std::max<std::size_t>(1, static_cast<std::size_t>(wanted));
  } else {
    limit_ = max_writers_;
    bandwidth_ = 0;
    off_link_ = 0;
  }
  return limit_;
}

void WriteConcurrency::reset() {
  *this = WriteConcurrency(max_writers_, min_samples_);
}

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
  parsed.adapt_writers = reader.flag("adapt_writers", parsed.adapt_writers);
  const std::string hold = reader.choice("hold", {"auto", "always", "never"}, "auto");
  parsed.hold = hold == "always" ? Hold::always : hold == "never" ? Hold::never : Hold::adaptive;
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
    state_->node_index.clear();
    state_->pipeline = pipeline;
    for (std::size_t i = 0; i < state_->pipeline.size(); ++i) {
      state_->node_index.emplace(state_->pipeline.nodes()[i].name(), i);
    }
    state_->started.assign(state_->pipeline.size(), 0);
    state_->concurrency.reset();  // each run learns its storage
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

void TeeHook::before_node_run(const Node& node, const CatalogView&, std::vector<Value>&) {
  {
    // What has started decides which kept value is needed last (hold: auto).
    std::lock_guard lock(state_->mutex);
    if (const auto at = state_->node_index.find(node.name()); at != state_->node_index.end()) {
      state_->started[at->second] = 1;
    }
  }
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
  logger().info(
      "Tee: {} background writes finished; at most {:.1f} MiB held ({:.1f} MiB for pending "
      "writes; memory_budget {:.1f} MiB, hold: {}); {} values spilled, {} loads read back",
      totals.writes_completed, static_cast<double>(totals.peak_held_bytes) / (1 << 20),
      static_cast<double>(totals.peak_pending_bytes) / (1 << 20),
      static_cast<double>(state_->options.memory_budget) / (1 << 20),
      hold_name(state_->options.hold), totals.spilled, totals.read_back);
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
  return Stats{.pending_bytes = state_->pending_bytes,
               .peak_pending_bytes = state_->peak_pending_bytes,
               .kept_bytes = state_->kept_bytes,
               .peak_held_bytes = state_->peak_held_bytes,
               .spilled = state_->spilled,
               .read_back = state_->read_back,
               .writes_completed = state_->completed,
               .writes_failed = state_->failed_writes,
               .back_pressure_waits = state_->back_pressure_waits,
               .writers = writers_ ? writers_->peak_size() : 0,
               .writer_limit = state_->concurrency.limit()};
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
