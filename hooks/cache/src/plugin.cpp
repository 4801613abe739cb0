#include <sluice/core/plugin.hpp>
#include <sluice/hooks/cache.hpp>

SLUICE_PLUGIN(registrar) {
  registrar.add_hook("cache", [](const sluice::HookContext& context) {
    return sluice::CacheHook::from_options(context.options, context.name);
  });
}
