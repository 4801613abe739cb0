#include <sluice/core/plugin.hpp>
#include <sluice/hooks/debug_catalog.hpp>

SLUICE_PLUGIN(registrar) {
  registrar.add_hook("debug_catalog", [](const sluice::HookContext& context) {
    if (context.registry == nullptr) {
      throw sluice::ConfigError(
          "hook 'debug_catalog' needs the registry's codecs to save inputs; create it through "
          "a session");
    }
    return std::make_shared<sluice::DebugCatalogHook>(
        sluice::DebugCatalogOptions::parse(context.options, context.name),
        context.registry->codecs);
  });
}
