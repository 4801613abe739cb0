#include <algorithm>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/error.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/util/thread_pool.hpp>

namespace sluice {
namespace {

std::string cause(const std::exception& error) {
  const auto* system = dynamic_cast<const std::system_error*>(&error);
  return system != nullptr ? system->code().message() : error.what();
}

}  // namespace

ThreadPool::ThreadPool(std::size_t workers, std::string_view kind, const ThreadStarter& start)
    : ThreadPool(workers, workers, kind, default_idle_timeout, start) {}

ThreadPool::ThreadPool(std::size_t workers, std::size_t max_workers, std::string_view kind,
                       const ThreadStarter& start)
    : ThreadPool(workers, max_workers, kind, default_idle_timeout, start) {}

ThreadPool::ThreadPool(std::size_t workers, std::size_t max_workers, std::string_view kind,
                       std::chrono::milliseconds idle_timeout, const ThreadStarter& start)
    : kind_(kind),
      base_workers_(workers),
      max_workers_(std::max(workers, max_workers)),
      idle_timeout_(idle_timeout),
      start_(start) {
  if (workers == 0) {
    throw ConfigError("a thread pool needs at least one worker");
  }
  if (max_workers_ > max_threads) {
    throw Error(fmt::format("cannot start {} {} threads (at most {} are allowed)", max_workers_,
                            kind, max_threads));
  }
  try {
    const std::lock_guard lock(mutex_);  // the threads read idle_ as they start
    workers_.reserve(workers);
    for (std::size_t i = 0; i < workers; ++i) {
      start_one();
    }
  } catch (const std::exception& error) {
    // A joinable std::thread destroyed unjoined calls std::terminate: join what started.
    const std::size_t started = workers_.size();
    stop();
    throw Error(fmt::format("cannot start {} {} threads ({}; {} had started)", workers, kind,
                            cause(error), started));
  }
}

ThreadPool::~ThreadPool() {
  stop();
}

void ThreadPool::start_one() {
  if (start_) {
    workers_.push_back(start_([this] { work(); }));
  } else {
    workers_.emplace_back([this] { work(); });
  }
  ++idle_;
  peak_ = std::max(peak_, workers_.size());
}

void ThreadPool::join_exited() {
  // An exited thread moved itself here just before returning, and takes mutex_ no more.
  for (auto& thread : exited_) {
    if (thread.joinable()) {
      thread.join();
    }
  }
  exited_.clear();
}

void ThreadPool::stop() {
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    workers.swap(workers_);
    join_exited();
  }
  ready_.notify_all();
  for (auto& worker : workers) {
    if (worker.joinable()) {
      worker.join();
    }
  }
}

std::size_t ThreadPool::size() const {
  std::lock_guard lock(mutex_);
  return workers_.size();
}

std::size_t ThreadPool::peak_size() const {
  std::lock_guard lock(mutex_);
  return peak_;
}

void ThreadPool::submit(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    join_exited();
    tasks_.push_back(std::move(task));
    if (tasks_.size() > idle_ && workers_.size() < max_workers_ && !stopping_ && !growth_failed_) {
      try {
        start_one();
      } catch (const std::exception& error) {
        growth_failed_ = true;  // once: the queued tasks still run on the threads there are
        logger().warn("cannot start {} thread {} of at most {} ({}); tasks wait for the {} running",
                      kind_, workers_.size() + 1, max_workers_, cause(error), workers_.size());
      }
    }
  }
  ready_.notify_one();
}

void ThreadPool::work() {
  bool ran = false;
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      if (ran) {
        ++idle_;
      }
      const auto has_work = [this] { return stopping_ || !tasks_.empty(); };
      if (max_workers_ == base_workers_) {
        ready_.wait(lock, has_work);
      } else {
        while (!ready_.wait_for(lock, idle_timeout_, has_work)) {
          // Idle for idle_timeout_ above the base: exit, for the next submit to join.
          const auto self = std::find_if(workers_.begin(), workers_.end(), [](const auto& t) {
            return t.get_id() == std::this_thread::get_id();
          });
          if (workers_.size() > base_workers_ && self != workers_.end()) {
            exited_.push_back(std::move(*self));
            workers_.erase(self);
            --idle_;
            return;
          }
        }
      }
      if (tasks_.empty()) {
        return;  // stopping, and nothing left to do
      }
      task = std::move(tasks_.front());
      tasks_.pop_front();
      --idle_;
    }
    task();
    ran = true;
  }
}

}  // namespace sluice
