#include <fmt/format.h>
#include <fmt/std.h>
#include <spdlog/spdlog.h>

#include <sluice/core/clock.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/core/suggest.hpp>
#include <sluice/core/text.hpp>
#include <sluice/runners/builtins.hpp>
#include <sluice/runners/runner.hpp>
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

// A library named by a relative path is relative to the project; a bare name is searched.
std::string library_reference(const Project& project) {
  const fs::path library = project.library;
  if (library.has_parent_path() || library.extension() == ".so") {
    return (library.is_absolute() ? library : project.root / library).string();
  }
  return project.library;
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

void Plugins::require_hook(const std::string& name, const std::string& what,
                           const std::string& project_library) {
  if (!registry_->hooks.contains(name)) {
    try {
      loader_->load(name);
    } catch (const PluginError&) {  // reported below, with what there is
    }
  }
  if (registry_->hooks.contains(name)) {
    return;
  }
  // Hooks already registered, and plugins that could be loaded to provide one.
  std::vector<std::string> candidates = registry_->hooks.names();
  for (const auto& plugin : loader_->available()) {
    if (plugin != project_library) {
      candidates.push_back(plugin);
    }
  }
  throw ConfigError(fmt::format(
      "{}: unknown hook '{}'{}; registered hooks: {}; hook plugins on the search path: {}", what,
      name, did_you_mean(name, candidates),
      registry_->hooks.names().empty()
          ? std::string("none")
          : fmt::format("{}", fmt::join(registry_->hooks.names(), ", ")),
      fmt::join(loader_->available(), ", ")));
}

Session::Session(SessionOptions options)
    : options_(std::move(options)),
      project_(locate(options_)),
      conf_(conf_folder(options_, project_), options_.env),
      plugins_(std::make_unique<Plugins>(options_.plugin_search_path, options_.registrations)),
      hooks_(std::make_shared<HookManager>()) {
  try {
    plugins_->loader().load(library_reference(project_));
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
        plugins_->loader().load(plugin.as<std::string>("a plugin in hooks.yml"));
      } catch (const PluginError& error) {
        throw ConfigError(fmt::format("{}: {}", plugin.mark().str(), error.what()));
      }
    }
  }
  const Clock& clock = system_clock();
  if (const Param* hooks = config.find("hooks")) {
    if (!hooks->is_list()) {
      throw ConfigError(fmt::format("{}: 'hooks' must be a list of {{name, options, priority}}",
                                    hooks->mark().str()));
    }
    for (const Param& entry : hooks->as_list()) {
      OptionReader reader(entry, "hook entry");
      const std::string name = reader.required_string("name");
      const auto priority = static_cast<int>(reader.integer(
          "priority", 0, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
      const Param* options = reader.optional_map("options");
      reader.finish();
      const HookFactory& factory = registry().hooks.get(name, entry.mark().str());
      hooks_->add(name,
                  factory(HookContext{name, options ? *options : Param(), &clock, &registry()}),
                  priority);
    }
  }
  for (const auto& name : options_.extra_hooks) {
    plugins_->require_hook(name, "--hooks", project_.library);
    hooks_->add(name, registry().hooks.get(name)(HookContext{name, Param(), &clock, &registry()}));
  }
}

Pipeline Session::pipeline(const std::string& name) const {
  return registry().pipelines.get(name, fmt::format("project '{}'", project_.name))();
}

std::vector<std::string> Session::pipeline_names() const {
  return registry().pipelines.names();
}

Catalog Session::catalog_from_conf(CatalogOptions options) const {
  options.load_versions = options_.load_versions;
  options.runtime_params = options_.runtime_params;
  return sluice::make_catalog(conf_.get("catalog"), conf_.get("credentials"),
                              conf_.get("parameters"), registry(), options);
}

Catalog Session::make_catalog(const std::string& save_version) const {
  CatalogOptions options;
  options.root = project_.root;
  options.save_version = save_version;
  Catalog catalog = catalog_from_conf(std::move(options));
  catalog.set_hooks(hooks_);
  hooks_->after_catalog_created(catalog);
  return catalog;
}

Catalog Session::make_catalog_at(const fs::path& root, const Clock& clock) const {
  CatalogOptions options;
  options.root = root;
  options.clock = &clock;
  return catalog_from_conf(std::move(options));
}

std::map<std::string, Value> Session::run(const RunOptions& options) {
  const Pipeline pipeline = options.filter.apply(this->pipeline(options.pipeline));
  const std::string run_id = make_version(system_clock());
  Catalog catalog = make_catalog(run_id);
  const auto runner = registry().runners.get(options.runner, "--runner")(options.runner_options);
  RunInfo info;
  info.run_id = run_id;
  info.pipeline_name = options.pipeline;
  info.runner = options.runner;
  info.env = conf_.env();
  info.command = options.command;
  info.project = project_.root.string();
  return runner->run(pipeline, catalog, info);
}

Pipeline PipelineFilter::apply(const Pipeline& pipeline) const {
  Pipeline filtered = pipeline;
  if (!tags.empty()) {
    filtered = filtered.only_nodes_with_tags(tags);
  }
  if (!from_nodes.empty()) {
    filtered = filtered.from_nodes(from_nodes);
  }
  if (!to_nodes.empty()) {
    filtered = filtered.to_nodes(to_nodes);
  }
  if (!nodes.empty()) {
    filtered = filtered.only_nodes(nodes);
  }
  if (!from_inputs.empty()) {
    filtered = filtered.from_inputs(from_inputs);
  }
  if (!to_outputs.empty()) {
    filtered = filtered.to_outputs(to_outputs);
  }
  if (filtered.empty()) {
    throw PipelineError(
        "the pipeline has no nodes left after applying the filters; check --tags, --nodes, "
        "--from-nodes, --to-nodes, --from-inputs and --to-outputs together");
  }
  return filtered;
}

Param parse_runtime_params(const std::string& text) {
  Param params = Param(Param::Map{});
  for (const auto& item : split(text, ',')) {
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
