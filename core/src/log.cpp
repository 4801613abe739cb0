#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <sluice/core/log.hpp>

namespace sluice {
namespace {

std::atomic<spdlog::logger*> current{nullptr};
std::mutex loggers_mutex;

// Every logger that was current, so references to it stay valid (one entry per logger).
std::vector<std::shared_ptr<spdlog::logger>>& kept() {
  static std::vector<std::shared_ptr<spdlog::logger>> loggers;
  return loggers;
}

std::shared_ptr<spdlog::logger> default_logger() {
  if (auto existing = spdlog::get("sluice")) {
    return existing;
  }
  auto created = spdlog::stdout_color_mt("sluice");
  created->set_pattern("[%Y-%m-%d %H:%M:%S] %^%-7l%$ %v");
  return created;
}

// Makes `logger` (null: the default) current; call with loggers_mutex held.
spdlog::logger& use(std::shared_ptr<spdlog::logger> logger) {
  if (!logger) {
    logger = default_logger();
  }
  auto& loggers = kept();
  if (std::find(loggers.begin(), loggers.end(), logger) == loggers.end()) {
    loggers.push_back(logger);
  }
  current.store(logger.get(), std::memory_order_release);
  return *logger;
}

}  // namespace

spdlog::logger& logger() {
  if (auto* set = current.load(std::memory_order_acquire)) {
    return *set;
  }
  std::lock_guard lock(loggers_mutex);
  if (auto* set = current.load(std::memory_order_acquire)) {
    return *set;
  }
  return use(nullptr);
}

void set_logger(std::shared_ptr<spdlog::logger> logger) {
  std::lock_guard lock(loggers_mutex);
  use(std::move(logger));
}

ScopedLogLevel::ScopedLogLevel(spdlog::level::level_enum level)
    : logger_(logger()), previous_(logger_.level()) {
  logger_.set_level(level);
}

ScopedLogLevel::~ScopedLogLevel() {
  logger_.set_level(previous_);
}

}  // namespace sluice
