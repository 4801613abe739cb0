#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sluice/core/catalog.hpp>
#include <sluice/core/clock.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/param.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/core/plugin_loader.hpp>
#include <sluice/core/registry.hpp>

namespace sluice {

/// A project folder: `sluice.yml` at its root names the project's library (a plugin that
/// registers its pipelines); configuration lives in `conf/`.
///
///   # sluice.yml
///   name: iris
///   library: iris      # a plugin name (searched like any plugin), or a path with a / relative to
///   here
///   config_loader:     # optional, Kedro's CONFIG_LOADER_ARGS
///     merge_strategy: {parameters: soft}
struct SLUICE_API Project {
  std::filesystem::path root;
  std::string name;
  /// A plugin name (searched on the plugin search path) or, with a '/', a path relative to
  /// `root`.
  std::string library;
  /// How conf/<env> goes over conf/base, per kind of configuration (destructive when absent).
  std::map<std::string, MergeStrategy> merge_strategy;

  /// Reads `sluice.yml` in `start` or the nearest folder above it. ConfigError when there is
  /// none, naming where it looked and what the file must contain.
  static Project find(const std::filesystem::path& start);
};

/// The framework's registry, with everything built in (codecs, dataset types including
/// SimulatedStorage, runners), and the loader that adds plugins to it. Plugin libraries stay
/// loaded while this lives.
class SLUICE_API Plugins {
 public:
  /// Built-ins the host program adds (the `sluice` command adds SimulatedStorage).
  using Registration = std::function<void(Registrar&)>;

  /// `search_path` empty: PluginLoader::default_search_path().
  explicit Plugins(std::vector<std::filesystem::path> search_path = {},
                   const std::vector<Registration>& registrations = {});
  ~Plugins();
  Plugins(const Plugins&) = delete;
  Plugins& operator=(const Plugins&) = delete;

  Registry& registry() { return *registry_; }
  const Registry& registry() const { return *registry_; }
  PluginLoader& loader() { return *loader_; }

  /// Makes sure hook `name` is registered, loading the plugin of that name from the search path
  /// when no loaded plugin provides it. ConfigError otherwise, starting with `what` (e.g.
  /// "--hooks"): the plugin's own error when it exists but fails to load, a path (refused
  /// before anything is loaded), or unknown_hook().
  void require_hook(const std::string& name, const std::string& what);
  /// "unknown hook 'x' (did you mean ...); registered hooks: ...; hook plugins on the search
  /// path (<folders>): ..." (libraries loaded already that add no hooks are left out).
  std::string unknown_hook(const std::string& name) const;

 private:
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<PluginLoader> loader_;
};

/// How to open a session: what `sluice run`'s options say.
struct SessionOptions {
  /// The project folder; empty: find it from the current folder upwards.
  std::filesystem::path project;
  /// Where conf/ is; empty: `<project>/conf`.
  std::filesystem::path conf_source;
  std::string env = "local";
  /// Hooks to add for this run, by name, after those of hooks.yml (a plugin of the same name
  /// is loaded when no loaded plugin provides the hook).
  std::vector<std::string> extra_hooks;
  /// `--params`: dotted keys to values.
  Param runtime_params;
  /// `--load-versions`: dataset to version.
  std::map<std::string, std::string> load_versions;
  /// Plugin folders; empty: PluginLoader::default_search_path().
  std::vector<std::filesystem::path> plugin_search_path;
  /// Built-ins the host program adds to the registry.
  std::vector<Plugins::Registration> registrations;
  /// `--catalog-overlay`: YAML files whose top-level entries replace the catalog's entries of
  /// the same name (after conf/base and conf/<env>), in order: what `sluice export` writes to
  /// put intermediates on shared storage.
  std::vector<std::filesystem::path> catalog_overlays;
};

struct RunOptions {
  std::string pipeline = "__default__";
  /// `--pipelines a,b`: run the sum of these instead of `pipeline`.
  std::vector<std::string> pipelines;
  std::string runner = "sequential";
  /// `--only-missing-outputs`: skip the nodes whose persisted outputs exist (with_missing_outputs).
  bool only_missing_outputs = false;
  Param runner_options;
  PipelineFilter filter;
  /// Recorded in RunInfo for hooks (the command line that started the run).
  std::string command;
};

/// One configured project: its registry (built-ins, the project library and the plugins of
/// hooks.yml), its configuration and its hooks. Like Kedro's session.
///
/// Plugin libraries stay loaded while the session (or anything made from it) lives: handle an
/// exception from a run before the session goes, since it may come from plugin code.
class SLUICE_API Session {
 public:
  explicit Session(SessionOptions options);
  ~Session();

  const Project& project() const { return project_; }
  const ConfigLoader& conf() const { return conf_; }
  Registry& registry() { return plugins_->registry(); }
  const Registry& registry() const { return plugins_->registry(); }
  Plugins& plugins() { return *plugins_; }
  const std::shared_ptr<HookManager>& hooks() const { return hooks_; }

  /// The named pipeline from the project library; ConfigError listing the known ones.
  Pipeline pipeline(const std::string& name) const;
  std::vector<std::string> pipeline_names() const;

  /// The catalog configuration: conf/<env> over conf/base, then the catalog overlays, with its
  /// dataset patterns (DatasetFactories) expanded for the datasets of `pipeline` (null: of every
  /// registered pipeline). `origin` (when given) gets the pattern of each expanded entry.
  Param catalog_config(const Pipeline* pipeline = nullptr,
                       std::map<std::string, std::string>* origin = nullptr) const;
  /// The catalog from conf, with the session's hooks attached and after_catalog_created
  /// emitted. `save_version` empty: a new stamp. Patterns are expanded for `pipeline` (null:
  /// every registered pipeline).
  Catalog make_catalog(const std::string& save_version = {},
                       const Pipeline* pipeline = nullptr) const;
  /// The catalog from conf without the session's hooks, relative paths resolved against `root`
  /// and `clock` handed to datasets that wait. For tools that run the project elsewhere.
  Catalog make_catalog_at(const std::filesystem::path& root, const Clock& clock,
                          const Pipeline* pipeline = nullptr) const;

  /// Runs: builds the catalog, filters the pipeline, runs it with the named runner.
  std::map<std::string, Value> run(const RunOptions& options);

 private:
  void register_hooks_from_config();
  // The catalog from conf with the session's load versions and runtime parameters.
  Catalog catalog_from_conf(CatalogOptions options, const Pipeline* pipeline) const;

  SessionOptions options_;
  Project project_;
  ConfigLoader conf_;
  std::unique_ptr<Plugins> plugins_;
  std::shared_ptr<HookManager> hooks_;  // after plugins_: its hooks go before their libraries
};

/// Parses `--params` text: "a.b=1,c=text" → {a.b: 1, c: text}. A plain value is kept whole
/// (spaces, '#' and new lines included) and typed as a YAML scalar; a value starting with a
/// quote, '[' or '{' is read as YAML.
SLUICE_API Param parse_runtime_params(const std::string& text);
/// Parses `--load-versions` text: "dataset:version,other:version".
SLUICE_API std::map<std::string, std::string> parse_load_versions(const std::string& text);

}  // namespace sluice
