#include <sluice/core/plugin.hpp>
#include <sluice/hooks/tee.hpp>

SLUICE_PLUGIN(registrar) {
  registrar.add_hook("tee", [](const sluice::HookContext& context) {
    return std::make_shared<sluice::TeeHook>(
        sluice::TeeOptions::parse(context.options, context.name),
        context.clock != nullptr ? *context.clock : sluice::system_clock());
  });
}
