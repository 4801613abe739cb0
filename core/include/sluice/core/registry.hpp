#pragma once

#include <functional>
#include <memory>

#include <sluice/core/codec.hpp>
#include <sluice/core/dataset_registry.hpp>
#include <sluice/core/export.hpp>
#include <sluice/core/hook.hpp>
#include <sluice/core/interpolation.hpp>
#include <sluice/core/param.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/core/storage.hpp>
#include <sluice/core/util/factory_registry.hpp>

namespace sluice {

class Clock;
class Runner;
struct Registry;  // below; HookContext points at it

/// What a hook factory is given: the hook's name and its options from hooks.yml.
struct HookContext {
  std::string name;
  /// The `options` map (null when none); its marks give file and line for errors.
  Param options;
  /// The clock of the run, for hooks that time things.
  const Clock* clock = nullptr;
  /// The registry the hook comes from (codecs, for hooks that save values); may be null.
  const Registry* registry = nullptr;
};

using HookFactory = std::function<std::shared_ptr<Hook>(const HookContext&)>;
/// Builds a runner from its options (e.g. `max_workers`).
using RunnerFactory = std::function<std::shared_ptr<Runner>(const Param& options)>;
/// Builds one of a project's pipelines.
using PipelineFactory = std::function<Pipeline()>;

/// Everything that can be added by name: codecs, dataset types, hooks, runners, a project's
/// pipelines, storage schemes and configuration resolvers (`${name:...}`). Built-ins and plugins
/// register here through a Registrar; there is no global registry.
///
/// The registry also owns the `memory://` store (StorageRegistry): catalogs built from one
/// registry see the same memory objects, catalogs of two registries do not.
///
/// Objects created from it (datasets refer to codecs) must not outlive it.
struct SLUICE_API Registry {
  CodecRegistry codecs;
  DatasetTypeRegistry dataset_types;
  FactoryRegistry<HookFactory> hooks{"hook"};
  FactoryRegistry<RunnerFactory> runners{"runner"};
  FactoryRegistry<PipelineFactory> pipelines{"pipeline"};
  StorageRegistry storages;
  FactoryRegistry<ConfigResolver> resolvers{"resolver"};
};

/// Adds the built-in codecs and dataset types: MemoryDataset, BinaryDataset, CSVDataset,
/// TextDataset and CachedDataset. (Built-in runners are in sluice/runners/builtins.hpp.)
SLUICE_API void register_builtins(Registry& registry);

}  // namespace sluice
