#include <sluice/core/plugin.hpp>
#include <sluice/hooks/memory_profiler.hpp>

SLUICE_PLUGIN(registrar) {
  registrar.add_hook("memory_profiler", [](const sluice::HookContext& context) {
    return std::make_shared<sluice::MemoryProfilerHook>(
        sluice::MemoryProfilerOptions::parse(context.options, context.name),
        context.clock != nullptr ? *context.clock : sluice::system_clock());
  });
}
