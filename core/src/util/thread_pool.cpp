#include <system_error>

#include <fmt/format.h>

#include <sluice/core/error.hpp>
#include <sluice/core/util/thread_pool.hpp>

namespace sluice {

ThreadPool::ThreadPool(std::size_t workers, std::string_view kind, const ThreadStarter& start) {
  if (workers == 0) {
    throw ConfigError("a thread pool needs at least one worker");
  }
  if (workers > max_threads) {
    throw Error(fmt::format("cannot start {} {} threads (at most {} are allowed)", workers, kind,
                            max_threads));
  }
  try {
    workers_.reserve(workers);
    for (std::size_t i = 0; i < workers; ++i) {
      if (start) {
        workers_.push_back(start([this] { work(); }));
      } else {
        workers_.emplace_back([this] { work(); });
      }
    }
  } catch (const std::exception& error) {
    // A joinable std::thread destroyed unjoined calls std::terminate: join what started.
    const std::size_t started = workers_.size();
    stop();
    const auto* system = dynamic_cast<const std::system_error*>(&error);
    throw Error(fmt::format("cannot start {} {} threads ({}; {} had started)", workers, kind,
                            system != nullptr ? system->code().message() : error.what(), started));
  }
}

ThreadPool::~ThreadPool() {
  stop();
}

void ThreadPool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) {
      worker.join();
    }
  }
  workers_.clear();
}

void ThreadPool::submit(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  ready_.notify_one();
}

void ThreadPool::work() {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) {
        return;  // stopping, and nothing left to do
      }
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

}  // namespace sluice
