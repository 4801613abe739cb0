#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fmt/std.h>
#include <spdlog/spdlog.h>

#include <sluice/core/clock.hpp>
#include <sluice/core/dataset_factories.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/core/util/suggest.hpp>
#include <sluice/core/util/text.hpp>
#include <sluice/runners/builtins.hpp>
#include <sluice/runners/resume.hpp>
#include <sluice/runners/runner.hpp>
#include <sluice/tools/logging_config.hpp>
#include <sluice/tools/session.hpp>

namespace sluice {
namespace fs = std::filesystem;

Project Project::find(const fs::path& start) {
  const fs::path begin = fs::absolute(start);
  for (fs::path folder = begin;; folder = folder.parent_path()) {
    const fs::path file = folder / "sluice.yml";
    if (fs::is_regular_file(file)) {
      const Param config = load_yaml_file(file);
      OptionReader reader(config, "project file");
      Project project;
      project.root = folder;
      project.name = reader.required_string("name");
      project.library = reader.required_string("library");
      // Kedro's CONFIG_LOADER_ARGS: merge_strategy per kind of configuration.
      if (const Param* loader = reader.optional_map("config_loader")) {
        OptionReader loader_reader(*loader, "config_loader (sluice.yml)");
        if (const Param* strategies = loader_reader.optional_map("merge_strategy")) {
          for (const auto& [kind, strategy] : strategies->as_map()) {
            project.merge_strategy[kind] = parse_merge_strategy(
                strategy, fmt::format("merge_strategy of '{}' in {}", kind, file.string()));
          }
        }
        loader_reader.finish();
      }
      reader.finish();
      return project;
    }
    if (folder == folder.parent_path()) {
      break;
    }
  }
  throw ConfigError(fmt::format(
      "no sluice.yml in '{}' or any folder above it: run from a project folder (for instance "
      "examples/iris), or pass --project. A sluice.yml names the project and its library:\n"
      "  name: my_project\n  library: my_project",
      begin.string()));
}

namespace {

Project locate(const SessionOptions& options) {
  return Project::find(options.project.empty() ? fs::current_path() : options.project);
}

fs::path conf_folder(const SessionOptions& options, const Project& project) {
  return options.conf_source.empty() ? project.root / "conf" : options.conf_source;
}

// A plugin named by a path (anything with a '/') is relative to the project folder, never to the
// current one; a bare name ("tee", "tee.so") is searched on the plugin search path only.
std::string plugin_reference(const std::string& reference, const Project& project) {
  if (reference.find('/') == std::string::npos) {
    return reference;
  }
  return (project.root / reference).string();
}

}  // namespace

Plugins::Plugins(std::vector<fs::path> search_path, const std::vector<Registration>& registrations)
    : registry_(std::make_unique<Registry>()) {
  Registrar builtins(*registry_);
  register_builtins(builtins);
  register_builtin_runners(builtins);
  for (const auto& registration : registrations) {
    registration(builtins);
  }
  loader_ = std::make_unique<PluginLoader>(
      *registry_, search_path.empty() ? PluginLoader::default_search_path() : search_path);
}

Plugins::~Plugins() = default;

void Plugins::require_hook(const std::string& name, const std::string& what) {
  if (registry_->hooks.contains(name)) {
    return;
  }
  if (name.find('/') != std::string::npos) {  // refused before anything of it is loaded
    throw ConfigError(fmt::format(
        "{}: '{}' is a path, not a hook name; list the plugin under 'plugins:' in hooks.yml (a "
        "path there is relative to the project folder) and name its hook here, e.g. tee",
        what, name));
  }
  if (loader_->find(name)) {
    try {
      loader_->load(name);
    } catch (const PluginError& error) {
      throw ConfigError(
          fmt::format("{}: hook '{}': its plugin failed to load: {}", what, name, error.what()));
    }
    if (registry_->hooks.contains(name)) {
      return;
    }
  }
  throw ConfigError(fmt::format("{}: {}", what, unknown_hook(name)));
}

std::string Plugins::unknown_hook(const std::string& name) const {
  const std::vector<std::string> registered = registry_->hooks.names();
  const std::vector<std::string> plugins = loader_->available();
  std::set<std::string> candidates(registered.begin(), registered.end());
  candidates.insert(plugins.begin(), plugins.end());
  candidates.erase(name);  // a plugin of that name that is not loaded is no typo
  auto listed = [](const std::vector<std::string>& names) {
    return names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "));
  };
  return fmt::format(
      "unknown hook '{}'{}; registered hooks: {}; hook plugins on the search path ({}): {}", name,
      did_you_mean(name, {candidates.begin(), candidates.end()}), listed(registered),
      loader_->searched_folders(), listed(plugins));
}

Session::Session(SessionOptions options)
    : options_(std::move(options)),
      project_(locate(options_)),
      conf_(conf_folder(options_, project_), options_.env),
      plugins_(std::make_unique<Plugins>(options_.plugin_search_path, options_.registrations)),
      hooks_(std::make_shared<HookManager>()) {
  LoggingConfig::apply_file(conf_.conf_source() / "logging.yml", project_.root);
  conf_.set_runtime_params(options_.runtime_params);
  conf_.set_resolvers(&registry().resolvers);
  for (const auto& [kind, strategy] : project_.merge_strategy) {
    conf_.set_merge_strategy(kind, strategy);
  }
  try {
    plugins_->loader().load(plugin_reference(project_.library, project_));
  } catch (const PluginError& error) {
    throw ConfigError(fmt::format(
        "cannot load the library of project '{}' (sluice.yml says library: {}): {}; build the "
        "project first",
        project_.name, project_.library, error.what()));
  }
  register_hooks_from_config();
}

Session::~Session() = default;

void Session::register_hooks_from_config() {
  const Param config = conf_.get("hooks");
  if (const Param* plugins = config.find("plugins")) {
    if (!plugins->is_list()) {
      throw ConfigError(fmt::format("{}: 'plugins' must be a list of plugin names or paths",
                                    plugins->mark().str()));
    }
    for (const Param& plugin : plugins->as_list()) {
      try {
        plugins_->loader().load(
            plugin_reference(plugin.as<std::string>("a plugin in hooks.yml"), project_));
      } catch (const PluginError& error) {
        throw ConfigError(fmt::format("{}: {}", plugin.mark().str(), error.what()));
      }
    }
  }
  HookContext context;
  context.clock = &system_clock();
  if (const Param* hooks = config.find("hooks")) {
    const std::vector<HookSpec> specs = parse_hook_specs(*hooks, "hook entry");
    for (const HookSpec& spec : specs) {
      if (!registry().hooks.contains(spec.name) && plugins_->loader().find(spec.name)) {
        const Param* listed = config.find("plugins");
        throw ConfigError(fmt::format(
            "{}: hook '{}' comes from the plugin '{}', which is not loaded: add `{}` to the "
            "`plugins:` list{}",
            spec.mark.str(), spec.name, spec.name, spec.name,
            listed != nullptr ? fmt::format(" ({})", listed->mark().str())
                              : std::string(" of hooks.yml")));
      }
      if (!registry().hooks.contains(spec.name)) {
        throw ConfigError(fmt::format(
            "{}: {}; to use the hook of a plugin, list the plugin under 'plugins:' in hooks.yml",
            spec.mark.str(), plugins_->unknown_hook(spec.name)));
      }
    }
    hooks_->add_from_specs(registry(), specs, context);
  }
  std::vector<HookSpec> extra_hooks;
  for (const auto& name : options_.extra_hooks) {
    plugins_->require_hook(name, "--hooks");
    HookSpec spec;
    spec.name = name;
    extra_hooks.push_back(std::move(spec));
  }
  hooks_->add_from_specs(registry(), extra_hooks, context);
}

Pipeline Session::pipeline(const std::string& name) const {
  // As Kedro's find_pipelines: without a registered __default__, it is the sum of all.
  if (name == "__default__" && !registry().pipelines.contains(name)) {
    const auto names = registry().pipelines.names();
    if (names.empty()) {
      throw ConfigError(
          fmt::format("project '{}' registers no pipeline; its library ({}) must call "
                      "registrar.add_pipeline(\"__default__\", ...) or add other pipelines",
                      project_.name, project_.library));
    }
    Pipeline sum;
    for (const auto& each : names) {
      sum = sum + registry().pipelines.get(each)();
    }
    return sum;
  }
  return registry().pipelines.get(name, fmt::format("project '{}'", project_.name))();
}

std::vector<std::string> Session::pipeline_names() const {
  std::vector<std::string> names = registry().pipelines.names();
  if (!names.empty() && !registry().pipelines.contains("__default__")) {
    names.insert(names.begin(), "__default__");  // the sum of the others
  }
  return names;
}

Param Session::catalog_config(const Pipeline* pipeline,
                              std::map<std::string, std::string>* origin) const {
  Param catalog = conf_.get("catalog");
  for (const fs::path& file : options_.catalog_overlays) {
    const Param overlay = load_yaml_file(file);
    if (!overlay.is_map()) {
      throw ConfigError(fmt::format(
          "{}: a catalog overlay is a map of dataset entries (name: {{type: ..., ...}}), not {}; "
          "write it as catalog.yml is written",
          file.string(), Param::kind_name(overlay.kind())));
    }
    for (const auto& [name, entry] : overlay.as_map()) {
      catalog.set(name, entry);
    }
  }
  const DatasetFactories factories(catalog);
  if (factories.patterns().empty()) {
    return catalog;
  }
  std::set<std::string> names;
  if (pipeline != nullptr) {
    names = pipeline->datasets();
  } else {
    for (const auto& name : pipeline_names()) {
      const auto datasets = this->pipeline(name).datasets();
      names.insert(datasets.begin(), datasets.end());
    }
  }
  return factories.expand({names.begin(), names.end()}, origin);
}

Catalog Session::catalog_from_conf(CatalogOptions options, const Pipeline* pipeline) const {
  options.load_versions = options_.load_versions;
  options.runtime_params = options_.runtime_params;
  // settings.yml (conf/<env> over conf/base): project-wide defaults an entry may override.
  const Param settings = conf_.get("settings");
  OptionReader reader(settings, "settings.yml");
  options.fsync = reader.flag("fsync", options.fsync);
  reader.finish();
  return sluice::make_catalog(catalog_config(pipeline), conf_.get("credentials"),
                              conf_.get("parameters"), registry(), options);
}

Catalog Session::make_catalog(const std::string& save_version, const Pipeline* pipeline) const {
  CatalogOptions options;
  options.root = project_.root;
  options.save_version = save_version;
  Catalog catalog = catalog_from_conf(std::move(options), pipeline);
  catalog.attach(hooks_);
  return catalog;
}

Catalog Session::make_catalog_at(const fs::path& root, const Clock& clock,
                                 const Pipeline* pipeline) const {
  CatalogOptions options;
  options.root = root;
  options.clock = &clock;
  return catalog_from_conf(std::move(options), pipeline);
}

std::map<std::string, Value> Session::run(const RunOptions& options) {
  Pipeline whole;
  for (const auto& name : options.pipelines) {
    whole = whole + this->pipeline(name);
  }
  if (options.pipelines.empty()) {
    whole = this->pipeline(options.pipeline);
  }
  Pipeline pipeline = options.filter.apply(whole);
  const std::string run_id = make_run_id(system_clock());
  Catalog catalog = make_catalog(run_id, &whole);
  if (options.only_missing_outputs) {
    const std::size_t all = pipeline.size();
    pipeline = with_missing_outputs(pipeline, catalog);
    logger().info(
        "--only-missing-outputs: running {} of {} nodes, whose outputs are missing or "
        "needed by them",
        pipeline.size(), all);
    if (pipeline.empty()) {
      logger().info("Every output exists: nothing to run.");
      return {};
    }
  }
  // A runner of its own plugin (`mpi`: mpi_runner) is loaded only when a run asks for it.
  const std::string runner_plugin = options.runner + "_runner";
  if (!registry().runners.contains(options.runner) && plugins_->loader().find(runner_plugin)) {
    try {
      plugins_->loader().load(runner_plugin);
    } catch (const PluginError& error) {
      throw ConfigError(fmt::format("--runner {}: its plugin '{}' failed to load: {}",
                                    options.runner, runner_plugin, error.what()));
    }
  }
  const auto runner = registry().runners.get(options.runner, "--runner")(options.runner_options);
  runner->set_source_pipeline(whole);  // the resume search may go back before the filters
  RunInfo info;
  info.run_id = run_id;
  info.pipeline_name = options.pipelines.empty()
                           ? options.pipeline
                           : fmt::format("{}", fmt::join(options.pipelines, "+"));
  info.runner = options.runner;
  info.env = conf_.env();
  info.command = options.command;
  info.project = project_.root.string();
  return runner->run(pipeline, catalog, info);
}

Param parse_runtime_params(const std::string& text) {
  Param params = Param(Param::Map{});
  // A comma that does not start another `key=` item belongs to the value before it.
  for (const auto& item : split_key_values(text)) {
    const auto equals = item.find('=');
    if (equals == std::string::npos || equals == 0) {
      throw ConfigError(fmt::format(
          "--params: '{}' is not key=value; write --params \"key=value,other.key=value\"", item));
    }
    const std::string key = item.substr(0, equals);
    // The whole value, spaces, '#' and new lines included: YAML reads only quoted and flow
    // values ('text', [1, 2], {a: 1}); a plain one is typed as a YAML scalar.
    const std::string value = item.substr(equals + 1);
    const bool yaml =
        !value.empty() && std::string_view("'\"[{").find(value.front()) != std::string_view::npos;
    params.as_map().emplace_back(
        key,
        yaml ? parse_yaml("value: " + value, "--params " + key).at("value") : plain_scalar(value));
  }
  return params;
}

std::map<std::string, std::string> parse_load_versions(const std::string& text) {
  std::map<std::string, std::string> versions;
  for (const auto& item : split(text, ',')) {
    const auto colon = item.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == item.size()) {
      throw ConfigError(
          fmt::format("--load-versions: '{}' is not dataset:version; write --load-versions "
                      "\"dataset:2026-11-21T07.39.02.123Z\"",
                      item));
    }
    versions[item.substr(0, colon)] = item.substr(colon + 1);
  }
  return versions;
}

}  // namespace sluice
