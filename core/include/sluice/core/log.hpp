#pragma once

#include <sluice/core/export.hpp>

namespace spdlog {
class logger;
}

namespace sluice {

/// The "sluice" spdlog logger (created on first use: stdout, "[time] level message"). Include
/// <spdlog/spdlog.h> where you log through it.
SLUICE_API spdlog::logger& logger();

}  // namespace sluice
