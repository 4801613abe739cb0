#pragma once

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

/// A fixed set of worker threads taking tasks from one queue. Tasks must not throw (the
/// runners catch inside them). The destructor finishes the queued tasks, then joins.
class SLUICE_API ThreadPool {
 public:
  /// Starts one thread running `body`; std::thread by default. A seam for tests, which make
  /// thread creation fail without exhausting the machine.
  using ThreadStarter = std::function<std::thread(std::function<void()> body)>;

  /// The most threads a configuration may ask for (tee `writers`, runner `max_workers`):
  /// beyond it a typo is likelier than a need, and the system would refuse anyway.
  static constexpr std::size_t max_threads = 1024;

  /// Starts `workers` threads (at most max_threads). When the system cannot start them all,
  /// joins those that did start and throws an Error: "cannot start N <kind> threads (<OS
  /// error>; K had started)".
  /// `kind` names the threads in that message ("writer", "worker").
  explicit ThreadPool(std::size_t workers, std::string_view kind = "worker",
                      const ThreadStarter& start = {});
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void submit(std::function<void()> task);
  std::size_t size() const { return workers_.size(); }

 private:
  void work();
  void stop();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace sluice
