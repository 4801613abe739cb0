#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/log.hpp>
#include <sluice/core/util/thread_pool.hpp>
#include <sluice/runners/node_error.hpp>
#include <sluice/runners/parallel_runner.hpp>

namespace sluice {
namespace {

ThreadPool start_pool(std::size_t workers) {
  try {
    return ThreadPool(workers, "worker");
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

// One run of a plan on a thread pool: a node is submitted the moment its last input exists.
//
// The order of the members is load-bearing. Members are destroyed in reverse order, and the
// pool, declared last, is destroyed first: its destructor joins the workers. A worker may still
// be inside execute() after run() has returned (it notifies `changed_` and logs after its last
// update), so everything its tasks touch (the plan's state, the counts, the lock, the errors) is
// declared before the pool and outlives every task.
class Schedule {
 public:
  // Runner::run_node, which is protected: the runner passes it in.
  using RunNode = void (*)(const RunState& state, std::size_t node);

  Schedule(const RunState& state, std::vector<std::uint8_t>& finished, RunNode run_node,
           std::size_t workers)
      : state_(state),
        run_node_(run_node),
        finished_(finished),
        waiting_(inputs_to_produce(state.plan)),
        releases_(state),
        pool_(start_pool(workers)) {}

  // Submits the roots, waits until no node runs, and throws the run's errors (throw_all).
  void run() {
    // Roots are collected before the first submission: once workers run, they bring other
    // counts to zero, and those nodes are theirs to submit.
    std::vector<std::size_t> roots;
    for (std::size_t i = 0; i < total(); ++i) {
      if (waiting_[i].load(std::memory_order_relaxed) == 0) {
        roots.push_back(i);
      }
    }
    std::unique_lock lock(mutex_);
    for (std::size_t root : roots) {
      submit(root);
    }
    changed_.wait(lock, [&] { return running_ == 0; });
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
        produced_inside += plan.pipeline().producer_of(id).has_value() ? 1 : 0;
      }
      waiting[i].store(produced_inside, std::memory_order_relaxed);
    }
    return waiting;
  }

  std::size_t total() const {
    return state_.plan.node_count();
  }

  // Call with `mutex_` held.
  void submit(std::size_t node) {
    ++running_;
    pool_.submit([this, node] { execute(node); });
  }

  // On a worker: runs the node, then submits the consumers it made ready (unless a node failed).
  void execute(std::size_t node) {
    std::exception_ptr error;
    std::vector<std::size_t> ready;
    try {
      ready = run_node_and_find_ready(node);
    } catch (...) {
      error = std::current_exception();
    }
    std::size_t done = 0;
    {
      std::lock_guard lock(mutex_);
      if (error) {
        errors_.push_back(error);
      } else {
        done = ++completed_;
        if (errors_.empty()) {
          for (std::size_t next : ready) {
            submit(next);
          }
        }
      }
      --running_;
    }
    changed_.notify_all();
    if (done > 0) {
      if (auto& log = logger(); log.should_log(spdlog::level::info)) {
        log.info("Completed {} out of {} tasks", done, total());
      }
    }
  }

  // Runs the node, releases what it was the last consumer of, and returns the consumers whose
  // last input it produced.
  std::vector<std::size_t> run_node_and_find_ready(std::size_t node) {
    run_node_(state_, node);
    finished_[node] = 1;
    releases_.node_finished(node);
    std::vector<std::size_t> ready;
    for (Plan::DatasetId id : state_.plan.outputs_of(node)) {
      for (std::size_t consumer : state_.plan.pipeline().consumers_of(id)) {
        if (waiting_[consumer].fetch_sub(1, std::memory_order_acq_rel) == 1) {
          ready.push_back(consumer);
        }
      }
    }
    return ready;
  }

  const RunState& state_;
  RunNode run_node_;
  std::vector<std::uint8_t>& finished_;  // one byte per node, written by the node's worker
  std::unique_ptr<std::atomic<std::uint32_t>[]> waiting_;  // inputs still to be produced
  ReleaseTracker releases_;
  std::mutex mutex_;
  std::condition_variable changed_;         // running_ changed
  std::size_t running_ = 0;                 // submitted and not yet done; guarded by mutex_
  std::size_t completed_ = 0;               // guarded by mutex_
  std::vector<std::exception_ptr> errors_;  // in the order they happened; guarded by mutex_
  ThreadPool pool_;                         // last: destroyed (joined) first, see above
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
