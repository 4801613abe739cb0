#pragma once

#include <memory>
#include <sstream>
#include <string>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sluice/core/log.hpp>

namespace sluice::testing {

/// Routes sluice's log lines ("level message") to a string for its lifetime (set_logger), then
/// puts back the default logger.
class CapturedLog {
 public:
  explicit CapturedLog(spdlog::level::level_enum level = spdlog::level::info)
      : logger_(std::make_shared<spdlog::logger>(
            "captured", std::make_shared<spdlog::sinks::ostream_sink_mt>(lines_))) {
    logger_->set_pattern("%l %v");
    logger_->set_level(level);
    set_logger(logger_);
  }
  ~CapturedLog() { set_logger(nullptr); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  /// What was logged so far; call it while nothing logs.
  std::string lines() const {
    logger_->flush();
    return lines_.str();
  }
  const std::shared_ptr<spdlog::logger>& logger() const { return logger_; }

 private:
  std::ostringstream lines_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace sluice::testing
