#pragma once

#include <sluice/core/export.hpp>
#include <sluice/core/plugin.hpp>

namespace sluice {

/// Registers the built-in runners ("sequential") through a registrar, as a plugin would.
SLUICE_API void register_builtin_runners(Registrar& registrar);

}  // namespace sluice
