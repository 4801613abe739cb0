#pragma once

#include <initializer_list>
#include <string>

#include <sluice/core/plugin_loader.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/runners/builtins.hpp>

namespace sluice::testing {

/// The registry `sluice bench` uses: the built-ins and runners, and the hook plugins of this
/// build named in `plugins` (by default the tee and the cache).
struct BenchPlugins {
  explicit BenchPlugins(std::initializer_list<const char*> plugins = {"tee", "cache"}) {
    register_builtins(registry);
    Registrar registrar(registry);
    register_builtin_runners(registrar);
    for (const char* plugin : plugins)
      loader.load(plugin);
  }
  Registry registry;
  PluginLoader loader{registry};
};

}  // namespace sluice::testing
