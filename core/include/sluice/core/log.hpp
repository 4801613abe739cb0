#pragma once

#include <memory>

#include <sluice/core/export.hpp>

namespace spdlog {
class logger;
namespace level {
enum level_enum : int;
}  // namespace level
}  // namespace spdlog

namespace sluice {

/// The logger sluice writes to. By default the spdlog logger registered as "sluice", created on
/// first use when there is none (stdout, "[time] level message"). Include <spdlog/spdlog.h>
/// where you log through it.
SLUICE_API spdlog::logger& logger();

/// Routes sluice's log lines to `logger` from now on; null puts back the default. Thread-safe:
/// a logger once set is kept until the process ends, so a reference that logger() returned on
/// another thread stays valid.
SLUICE_API void set_logger(std::shared_ptr<spdlog::logger> logger);

/// Sets the level of logger() for its lifetime, then puts back the level it found, e.g. to log
/// only warnings during a benchmark's runs.
class SLUICE_API ScopedLogLevel {
 public:
  explicit ScopedLogLevel(spdlog::level::level_enum level);
  ~ScopedLogLevel();
  ScopedLogLevel(const ScopedLogLevel&) = delete;
  ScopedLogLevel& operator=(const ScopedLogLevel&) = delete;

 private:
  spdlog::logger& logger_;
  spdlog::level::level_enum previous_;
};

}  // namespace sluice
