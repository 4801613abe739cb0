#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/log.hpp>
#include <sluice/core/util/thread_pool.hpp>
#include <sluice/runners/node_error.hpp>
#include <sluice/runners/parallel_runner.hpp>

namespace sluice {
namespace {

// The threads besides the calling one, which is a worker too; none for 1 worker.
std::optional<ThreadPool> start_pool(std::size_t workers) {
  if (workers < 2) {
    return std::nullopt;
  }
  try {
    return std::optional<ThreadPool>(std::in_place, workers - 1, "worker");
  } catch (const Error& error) {
    throw RunError(
        fmt::format("parallel runner: {}; lower --max-workers (runner option "
                    "'max_workers')",
                    error.what()));
  }
}

// The first error, listing the others (and every dataset that failed to load, for the
// resume search): the run's error names every failure, not only the first.
[[noreturn]] void throw_all(const std::vector<std::exception_ptr>& errors) {
  std::vector<std::string> others;
  std::vector<std::string> unreadable;
  for (std::size_t i = 1; i < errors.size(); ++i) {
    try {
      std::rethrow_exception(errors[i]);
    } catch (const NodeError& other) {
      others.emplace_back(other.what());
      unreadable.insert(unreadable.end(), other.unreadable_inputs().begin(),
                        other.unreadable_inputs().end());
    } catch (...) {
      others.push_back(current_exception_message());
    }
  }
  try {
    std::rethrow_exception(errors.front());
  } catch (const NodeError& first) {
    if (others.empty()) {
      throw;
    }
    unreadable.insert(unreadable.begin(), first.unreadable_inputs().begin(),
                      first.unreadable_inputs().end());
    throw NodeError(first.node(), first.phase(), first.cause_message(), {}, first.cause(),
                    std::move(unreadable), std::move(others));
  } catch (...) {
    for (const auto& other : others) {
      logger().error("Another node failed in the same run: {}", other);
    }
    throw;
  }
}

// One run of a plan on `workers` threads, each running work() (the calling thread and
// `workers` - 1 pool threads): a node is ready the moment its last input exists, and of the ready
// nodes the one with the longest path to a sink (Plan::path_nodes; ties: the lower index) starts
// first, which keeps the critical path moving (list scheduling, longest path first). The worker
// that finishes a node runs the best node it made ready itself when nothing queued is better,
// with no lock and no wake-up (a chain runs without either); the others go to the ready queue (a
// heap) with one notify_one each, for idle workers waiting on `wake_`. The run is over when the
// last running worker finds nothing ready; the calling thread, its own work() done, waits for that
// without being woken per node. With 1 worker there is no other thread: run_alone runs the plan in
// order, without a lock.
//
// The order of the members is load-bearing. Members are destroyed in reverse order, and the
// pool, declared last, is destroyed first: its destructor joins the workers. A worker may still
// be inside work() after run() has returned (it notifies after its last update), so everything
// the workers touch (the plan's state, the counts, the lock, the errors) is declared before the
// pool and outlives every worker.
class Schedule {
 public:
  // Runner::run_node, which is protected: the runner passes it in.
  using RunNode = void (*)(const RunState& state, std::size_t node);

  Schedule(const RunState& state, std::vector<std::uint8_t>& finished, RunNode run_node,
           std::size_t workers)
      : state_(state),
        run_node_(run_node),
        finished_(finished),
        // One worker runs the plan in order and needs no counts.
        waiting_(workers == 1 ? nullptr : inputs_to_produce(state.plan)),
        releases_(state),
        workers_(workers),
        pool_(start_pool(workers)) {}

  // Queues the roots, starts the pool's workers, works itself, waits until no worker runs and
  // nothing is ready, and throws the run's errors (throw_all).
  void run() {
    if (workers_ == 1) {
      run_alone();
      if (!errors_.empty()) {
        throw_all(errors_);
      }
      return;
    }
    {
      const std::lock_guard lock(mutex_);
      for (std::size_t i = 0; i < total(); ++i) {
        if (waiting_[i].load(std::memory_order_relaxed) == 0) {
          push_ready(i);
        }
      }
    }
    for (std::size_t i = 1; i < workers_; ++i) {
      pool_->submit([this] { work(); });
    }
    work();
    std::unique_lock lock(mutex_);
    finished_run_.wait(lock, [&] { return over_; });
    if (!errors_.empty()) {
      throw_all(errors_);
    }
  }

 private:
  // How many of each node's inputs are still to be produced.
  static std::unique_ptr<std::atomic<std::uint32_t>[]> inputs_to_produce(const Plan& plan) {
    auto waiting = std::make_unique<std::atomic<std::uint32_t>[]>(plan.node_count());
    for (std::size_t i = 0; i < plan.node_count(); ++i) {
      std::uint32_t produced_inside = 0;
      for (Plan::DatasetId id : plan.inputs_of(i)) {
        produced_inside += plan.is_free_input(id) ? 0 : 1;
      }
      waiting[i].store(produced_inside, std::memory_order_relaxed);
    }
    return waiting;
  }

  std::size_t total() const {
    return state_.plan.node_count();
  }

  // Higher first: the longest path to a sink, then the lower index. Never 0.
  std::uint64_t priority(std::size_t node) const {
    return (std::uint64_t{state_.plan.path_nodes(node)} << 32U) |
           (0xFFFFFFFFU - static_cast<std::uint32_t>(node));
  }

  // Under mutex_.
  void push_ready(std::size_t node) {
    ready_.push_back(priority(node));
    std::push_heap(ready_.begin(), ready_.end());
    best_queued_.store(ready_.front(), std::memory_order_relaxed);
  }
  std::size_t pop_ready() {
    std::pop_heap(ready_.begin(), ready_.end());
    const auto node = static_cast<std::size_t>(0xFFFFFFFFU - (ready_.back() & 0xFFFFFFFFU));
    ready_.pop_back();
    best_queued_.store(ready_.empty() ? 0 : ready_.front(), std::memory_order_relaxed);
    return node;
  }

  // The one worker, on the calling thread: no lock, no condition variable, no counts; the
  // nodes in plan order (topological: each node's inputs exist when it comes). As with more
  // workers, a failure stops nodes from becoming ready, and those ready before it still run.
  void run_alone() {
    for (std::size_t node = 0; node < total(); ++node) {
      if (!run_alone(node)) {
        run_ready_after_failure(node);
        return;
      }
    }
  }

  // Runs the node; false (the error recorded) when it failed.
  bool run_alone(std::size_t node) {
    try {
      run_node_(state_, node);
    } catch (...) {
      errors_.push_back(std::current_exception());
      return false;
    }
    finished_[node] = 1;
    releases_.node_finished(node);
    log_completed();
    return true;
  }

  // After node `failed` failed alone: runs the later nodes that were ready then (every
  // producer of their inputs had finished).
  void run_ready_after_failure(std::size_t failed) {
    const Plan& plan = state_.plan;
    std::vector<std::size_t> ready;
    for (std::size_t node = failed + 1; node < total(); ++node) {
      const auto& inputs = plan.inputs_of(node);
      if (std::all_of(inputs.begin(), inputs.end(), [&](Plan::DatasetId id) {
            const auto producer = plan.pipeline().producer_of(id);
            return !producer || finished_[*producer] == 1;
          })) {
        ready.push_back(node);
      }
    }
    for (std::size_t node : ready) {
      run_alone(node);
    }
  }

  void log_completed() {
    const std::size_t done = completed_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (auto& log = logger(); log.should_log(spdlog::level::info)) {
      log.info("Completed {} out of {} tasks", done, total());
    }
  }

  // A worker: takes a ready node (waiting while none is and the run is not over), runs it and
  // the chain of nodes it makes ready (run_from), until the run is over.
  void work() {
    std::vector<std::size_t> ready;  // reused: no allocation per node once it has grown
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return over_ || !ready_.empty(); });
      if (ready_.empty()) {
        return;  // over
      }
      const std::size_t node = pop_ready();
      ++running_;
      lock.unlock();
      std::exception_ptr error = run_from(node, ready);
      lock.lock();
      if (error) {
        errors_.push_back(std::move(error));
        failed_.store(true, std::memory_order_relaxed);
      }
      --running_;
      if (running_ == 0 && ready_.empty()) {
        over_ = true;
        lock.unlock();
        wake_.notify_all();
        finished_run_.notify_one();
        return;
      }
    }
  }

  // Runs `node`, then, while it makes nodes ready and no node failed, the best ready node
  // (queueing the others). Returns the error that stopped it, if any.
  std::exception_ptr run_from(std::size_t node, std::vector<std::size_t>& ready) {
    for (;;) {
      ready.clear();
      try {
        run_node_and_find_ready(node, ready);
      } catch (...) {
        return std::current_exception();
      }
      log_completed();
      // After a failure no node starts that was not ready before it.
      if (ready.empty() || failed_.load(std::memory_order_relaxed)) {
        return nullptr;
      }
      // One node made ready and none queued better (read without the lock: at worst a node
      // queued a moment ago waits for the next free worker): run it at once.
      if (ready.size() == 1 &&
          priority(ready.front()) > best_queued_.load(std::memory_order_relaxed)) {
        node = ready.front();
        continue;
      }
      {
        const std::lock_guard lock(mutex_);
        if (!errors_.empty()) {
          return nullptr;
        }
        for (const std::size_t made_ready : ready) {
          push_ready(made_ready);
        }
        node = pop_ready();
      }
      for (std::size_t i = 1; i < ready.size(); ++i) {
        wake_.notify_one();
      }
    }
  }

  // Runs the node, releases what it was the last consumer of, and appends the consumers whose
  // last input it produced to `ready`.
  void run_node_and_find_ready(std::size_t node, std::vector<std::size_t>& ready) {
    run_node_(state_, node);
    finished_[node] = 1;
    releases_.node_finished(node);
    for (Plan::DatasetId id : state_.plan.outputs_of(node)) {
      for (std::size_t consumer : state_.plan.pipeline().consumers_of(id)) {
        if (waiting_[consumer].fetch_sub(1, std::memory_order_acq_rel) == 1) {
          ready.push_back(consumer);
        }
      }
    }
  }

  const RunState& state_;
  RunNode run_node_;
  std::vector<std::uint8_t>& finished_;  // one byte per node, written by the node's worker
  std::unique_ptr<std::atomic<std::uint32_t>[]> waiting_;  // inputs still to be produced
  ReleaseTracker releases_;
  const std::size_t workers_;
  std::atomic<std::size_t> completed_{0};
  std::atomic<bool> failed_{false};  // errors_ is not empty (read without the lock)
  std::mutex mutex_;
  std::condition_variable wake_;          // ready_ got a node, or the run is over
  std::condition_variable finished_run_;  // over_ became true
  std::vector<std::uint64_t> ready_;      // priorities of the ready nodes, a max-heap; by mutex_
  std::atomic<std::uint64_t> best_queued_{0};  // ready_'s top, 0 when empty (read unlocked)
  std::size_t running_ = 0;                    // workers inside run_from; guarded by mutex_
  bool over_ = false;  // no worker runs and nothing is ready; guarded by mutex_
  std::vector<std::exception_ptr> errors_;  // in the order they happened; guarded by mutex_
  std::optional<ThreadPool> pool_;          // last: destroyed (joined) first, see above
};

}  // namespace

ParallelRunner::ParallelRunner(std::size_t max_workers, bool async_io)
    : Runner(async_io),
      max_workers_(max_workers != 0 ? max_workers
                                    : std::max(1U, std::thread::hardware_concurrency())) {}

void ParallelRunner::run_plan(const RunState& state, std::vector<std::uint8_t>& finished) {
  const std::size_t total = state.plan.node_count();
  if (total == 0) {
    return;
  }
  Schedule(state, finished, &run_node, std::min(max_workers_, total)).run();
}

}  // namespace sluice
