#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/log.hpp>
#include <sluice/core/thread_pool.hpp>
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

}  // namespace

ParallelRunner::ParallelRunner(std::size_t max_workers, bool async_io)
    : Runner(async_io),
      max_workers_(max_workers != 0 ? max_workers
                                    : std::max(1U, std::thread::hardware_concurrency())) {}

void ParallelRunner::run_plan(const RunState& state, std::vector<std::uint8_t>& finished) {
  const Plan& plan = state.plan;
  const Pipeline& pipeline = plan.pipeline();
  const std::size_t total = plan.node_count();
  if (total == 0) {
    return;
  }

  // How many of each node's inputs are still to be produced.
  auto waiting = std::make_unique<std::atomic<std::uint32_t>[]>(total);
  for (std::size_t i = 0; i < total; ++i) {
    std::uint32_t produced_inside = 0;
    for (Plan::DatasetId id : plan.inputs_of(i)) {
      produced_inside += pipeline.producer_of(id).has_value() ? 1 : 0;
    }
    waiting[i].store(produced_inside, std::memory_order_relaxed);
  }

  ReleaseTracker releases(state);
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t running = 0;                 // submitted and not yet done; guarded by mutex
  std::size_t completed = 0;               // guarded by mutex
  std::vector<std::exception_ptr> errors;  // in the order they happened; guarded by mutex
  std::function<void(std::size_t)> execute;
  // Declared after everything its tasks use: leaving this function destroys the pool first,
  // which joins the workers, so no task outlives the state above.
  ThreadPool pool = start_pool(std::min(max_workers_, total));
  // Call with `mutex` held.
  auto submit = [&](std::size_t node) {
    ++running;
    pool.submit([&execute, node] { execute(node); });
  };
  execute = [&](std::size_t node) {
    std::exception_ptr error;
    std::vector<std::size_t> ready;
    std::size_t done = 0;
    try {
      run_node(state, node);
      finished[node] = 1;
      releases.node_finished(node);
      for (Plan::DatasetId id : plan.outputs_of(node)) {
        for (std::size_t consumer : pipeline.consumers_of(id)) {
          if (waiting[consumer].fetch_sub(1, std::memory_order_acq_rel) == 1) {
            ready.push_back(consumer);
          }
        }
      }
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(mutex);
      if (error) {
        errors.push_back(error);
      } else {
        done = ++completed;
        if (errors.empty()) {
          for (std::size_t next : ready) {
            submit(next);
          }
        }
      }
      --running;
    }
    changed.notify_all();
    if (done > 0) {
      if (auto& log = logger(); log.should_log(spdlog::level::info)) {
        log.info("Completed {} out of {} tasks", done, total);
      }
    }
  };

  // Roots are collected before the first submission: once workers run, they bring other
  // counts to zero, and those nodes are theirs to submit.
  std::vector<std::size_t> roots;
  for (std::size_t i = 0; i < total; ++i) {
    if (waiting[i].load(std::memory_order_relaxed) == 0) {
      roots.push_back(i);
    }
  }
  std::unique_lock lock(mutex);
  for (std::size_t root : roots) {
    submit(root);
  }
  changed.wait(lock, [&] { return running == 0; });
  if (!errors.empty()) {
    throw_all(errors);
  }
}

}  // namespace sluice
