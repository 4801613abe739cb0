#pragma once

#include <sluice/core/export.hpp>
#include <sluice/core/plugin.hpp>

namespace sluice {

/// Registers the built-in runners through a registrar, as a plugin would: "sequential"
/// (options `async_io`, `keep_inputs`) and "parallel" (options `max_workers`, 0 = hardware
/// threads, `async_io` and `keep_inputs`).
SLUICE_API void register_builtin_runners(Registrar& registrar);

}  // namespace sluice
