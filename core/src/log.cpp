#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <sluice/core/log.hpp>

namespace sluice {

spdlog::logger& logger() {
  static const std::shared_ptr<spdlog::logger> instance = [] {
    if (auto existing = spdlog::get("sluice")) {
      return existing;
    }
    auto created = spdlog::stdout_color_mt("sluice");
    created->set_pattern("[%Y-%m-%d %H:%M:%S] %^%-7l%$ %v");
    return created;
  }();
  return *instance;
}

}  // namespace sluice
