#include <sluice/core/plugin.hpp>
#include <sluice/hooks/timeline.hpp>

SLUICE_PLUGIN(registrar) {
  registrar.add_hook("timeline", [](const sluice::HookContext& context) {
    return std::make_shared<sluice::TimelineHook>(
        sluice::TimelineOptions::parse(context.options, context.name));
  });
}
