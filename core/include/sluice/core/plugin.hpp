#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <sluice/core/export.hpp>
#include <sluice/core/registry.hpp>

namespace sluice {

/// Bumped whenever a change to sluice's headers breaks compiled plugins. The loader refuses a
/// plugin built for another version before calling anything else in it. What a plugin relies on
/// (the layouts of Registrar, Registry, HookContext, RunInfo, Codec, Value..., and the Hook
/// virtuals) is pinned per version in tests/core/plugin_abi_test.cpp, which fails when one
/// changes without a bump.
inline constexpr std::uint32_t kPluginAbiVersion = 9;

/// Ties `object`'s lifetime to `owner`: the returned pointer keeps `owner` alive, and destroys
/// `object` first. Used to keep a plugin library loaded while anything it created exists.
template <class T>
std::shared_ptr<T> tie_lifetime(std::shared_ptr<T> object, std::shared_ptr<const void> owner) {
  if (!owner || !object) {
    return object;
  }
  struct Holder {
    std::shared_ptr<const void> owner;  // declared first: destroyed last
    std::shared_ptr<T> object;
  };
  auto holder = std::make_shared<Holder>(Holder{std::move(owner), std::move(object)});
  T* raw = holder->object.get();
  return std::shared_ptr<T>(std::move(holder), raw);
}

/// How plugins (and the built-ins) add things to a Registry.
///
/// Everything added through a registrar made for a plugin keeps that plugin's library loaded:
/// factories, codecs, node functions, and every hook, dataset and runner the factories create.
/// A Value created by plugin code must not outlive the Registry it was registered in.
class SLUICE_API Registrar {
 public:
  /// `owner` keeps the plugin's library loaded (null for code linked into the host); `plugin`
  /// names it in error messages.
  Registrar(Registry& registry, std::shared_ptr<const void> owner = nullptr,
            std::string plugin = "built-in");

  void add_codec(Codec codec);
  void add_dataset_type(std::string name, DatasetFactory factory);
  void add_hook(std::string name, HookFactory factory);
  void add_runner(std::string name, RunnerFactory factory);
  /// A project's pipeline; "__default__" is what `sluice run` runs without --pipeline.
  void add_pipeline(std::string name, PipelineFactory factory);
  /// A storage scheme (`s3` for `s3://bucket/key`) for the filepath of file datasets; `file`
  /// and `memory` are built in and cannot be replaced.
  void add_storage(std::string scheme, StorageFactory factory);
  /// A resolver for `${name:args}` in every configuration file (Kedro's custom_resolvers);
  /// globals, runtime_params and oc.env are built in and cannot be replaced.
  void add_resolver(std::string name, ConfigResolver resolver);

  const std::string& plugin() const { return plugin_; }
  Registry& registry() { return registry_; }

 private:
  Registry& registry_;
  std::shared_ptr<const void> owner_;
  std::string plugin_;
};

/// Adds the built-in codecs and dataset types through a registrar, as a plugin would.
SLUICE_API void register_builtins(Registrar& registrar);

}  // namespace sluice

/// Defines a plugin's two exported entry points: the ABI version, and the registration
/// function whose body follows, e.g.
///
///   SLUICE_PLUGIN(registrar) {
///     registrar.add_hook("node_timing", make_node_timing_hook);
///   }
#define SLUICE_PLUGIN(registrar)                                                                \
  extern "C" __attribute__((visibility("default"))) std::uint32_t sluice_plugin_abi_version() { \
    return ::sluice::kPluginAbiVersion;                                                         \
  }                                                                                             \
  extern "C" __attribute__((visibility("default"))) void sluice_plugin_register(                \
      ::sluice::Registrar& registrar)
