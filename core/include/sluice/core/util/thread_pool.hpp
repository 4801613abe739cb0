#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <sluice/core/export.hpp>

namespace sluice {

/// Worker threads taking tasks from one queue: a fixed set, or one that grows on demand (a new
/// thread whenever a task is submitted while every thread is busy, up to a maximum). Tasks must
/// not throw (the runners catch inside them). The destructor finishes the queued tasks, then
/// joins.
class SLUICE_API ThreadPool {
 public:
  /// Starts one thread running `body`; std::thread by default. A seam for tests, which make
  /// thread creation fail without exhausting the machine.
  using ThreadStarter = std::function<std::thread(std::function<void()> body)>;

  /// The most threads a configuration may ask for (tee `max_writers`, runner `max_workers`):
  /// beyond it a typo is likelier than a need, and the system would refuse anyway.
  static constexpr std::size_t max_threads = 1024;

  /// Starts `workers` threads (at most max_threads). When the system cannot start them all,
  /// joins those that did start and throws an Error: "cannot start N <kind> threads (<OS
  /// error>; K had started)".
  /// `kind` names the threads in that message ("writer", "worker").
  explicit ThreadPool(std::size_t workers, std::string_view kind = "worker",
                      const ThreadStarter& start = {});
  /// How long a thread above the first `workers` of a growing pool waits for a task before
  /// it exits (the constructor without an idle timeout uses it).
  static constexpr std::chrono::milliseconds default_idle_timeout{2000};

  /// Starts `workers` threads, then one more whenever a task is submitted while every thread
  /// is busy (more queued tasks than idle threads), up to `max_workers` (at most max_threads,
  /// else an Error "cannot start <max_workers> <kind> threads (at most ...)"). For tasks that
  /// wait rather than compute (writes). The first `workers` threads stay until the pool is
  /// destroyed; one started above them exits once it has waited `idle_timeout` for a task
  /// (so a wide stage does not leave its threads behind), and is joined by the next submit or
  /// the destructor. When the system refuses a thread past the first `workers`, the pool logs
  /// a warning once and the task waits for a busy thread.
  ThreadPool(std::size_t workers, std::size_t max_workers, std::string_view kind,
             std::chrono::milliseconds idle_timeout, const ThreadStarter& start = {});
  /// As above, with default_idle_timeout.
  ThreadPool(std::size_t workers, std::size_t max_workers, std::string_view kind,
             const ThreadStarter& start = {});
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void submit(std::function<void()> task);
  /// Threads running now (idle ones above the first `workers` exit, see above).
  std::size_t size() const;
  /// The most threads that ran at once.
  std::size_t peak_size() const;
  /// The most threads the pool may grow to.
  std::size_t max_size() const { return max_workers_; }

 private:
  void start_one();  // with mutex_ held, or before any thread runs
  void work();
  void stop();
  void join_exited();  // with mutex_ held

  const std::string kind_;
  const std::size_t base_workers_;
  const std::size_t max_workers_;
  const std::chrono::milliseconds idle_timeout_;
  const ThreadStarter start_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  std::size_t idle_ = 0;  // threads not running a task (waiting, or about to)
  bool stopping_ = false;
  bool growth_failed_ = false;
  std::vector<std::thread> workers_;  // running
  std::vector<std::thread> exited_;   // returned after idle_timeout_, not joined yet
  std::size_t peak_ = 0;
};

}  // namespace sluice
