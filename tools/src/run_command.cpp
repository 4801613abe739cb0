#include "run_command.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sluice/core/config_loader.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/util/suggest.hpp>
#include <sluice/core/util/text.hpp>
#include <sluice/core/util/thread_pool.hpp>

#include "command_options.hpp"

namespace sluice::cli {
namespace {

// The parallel runner's thread count as a positive number; its upper bound is checked where
// every runner option is, by the runner's factory (option 'max_workers').
std::int64_t parse_max_workers(const std::string& text) {
  std::int64_t workers = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, workers);
  if (error != std::errc() || stop != end || workers < 1) {
    throw ConfigError(fmt::format(
        "--max-workers {}: must be between 1 and {} (leave it out for one worker per hardware "
        "thread)",
        text, ThreadPool::max_threads));
  }
  return workers;
}

SessionOptions session_options(const RunFlags& flags) {
  SessionOptions options = flags.project.session();
  options.extra_hooks = flags.hooks;
  options.catalog_overlays.assign(flags.catalog_overlays.begin(), flags.catalog_overlays.end());
  if (!flags.params.empty()) {
    options.runtime_params = parse_runtime_params(flags.params);
  }
  if (!flags.load_versions.empty()) {
    options.load_versions = parse_load_versions(flags.load_versions);
  }
  return options;
}

// Kedro's runner class names, as `kedro run --runner` takes them; sluice's threads are
// Kedro's ThreadRunner, and stand in for its ParallelRunner (processes).
std::string runner_name(const std::string& runner) {
  if (runner == "SequentialRunner") {
    return "sequential";
  }
  if (runner == "ParallelRunner" || runner == "ThreadRunner") {
    return "parallel";
  }
  return runner;
}

RunOptions run_options(const RunFlags& flags, const std::string& command_line) {
  RunOptions options = flags.run;
  options.command = command_line;
  options.runner = runner_name(options.runner);
  if (!options.pipelines.empty() && options.pipeline != RunOptions().pipeline) {
    throw ConfigError(
        "--pipeline and --pipelines: give one of them (--pipelines a,b runs the "
        "sum of a and b)");
  }
  options.runner_options = Param(Param::Map{});
  if (!flags.runner_params.empty()) {
    Param given = parse_runtime_params(flags.runner_params);
    for (auto& [key, value] : given.as_map()) {
      options.runner_options.set(key, std::move(value));
    }
  }
  if (flags.max_workers_option->count() > 0) {
    options.runner_options.set("max_workers", parse_max_workers(flags.max_workers));
  }
  if (flags.async_io) {
    options.runner_options.set("async_io", true);
  }
  if (flags.keep_inputs) {
    options.runner_options.set("keep_inputs", true);
  }
  return options;
}

}  // namespace

void add_filter_options(CLI::App& command, PipelineFilter& filter) {
  comma_list(command, "-n,--nodes", "Run only these nodes", filter.nodes);
  comma_list(command, "--from-nodes", "Run from these nodes downstream", filter.from_nodes);
  comma_list(command, "--to-nodes", "Run up to these nodes", filter.to_nodes);
  comma_list(command, "--from-inputs", "Run from the nodes reading these datasets",
             filter.from_inputs);
  comma_list(command, "--to-outputs", "Run what produces these datasets", filter.to_outputs);
  comma_list(command, "-t,--tags", "Run only nodes with any of these tags", filter.tags);
  comma_list(command, "--namespaces", "Run only nodes in these namespaces (or inside them)",
             filter.namespaces);
}

CLI::App* add_run_command(CLI::App& app, RunFlags& flags) {
  CLI::App* run = app.add_subcommand("run", "Run a pipeline of the project");
  flags.project.add_to(*run);
  run->add_option("-p,--pipeline", flags.run.pipeline, "Pipeline to run")->capture_default_str();
  comma_list(*run, "--pipelines", "Run the sum of these pipelines", flags.run.pipelines);
  run->add_option("-r,--runner", flags.run.runner,
                  "Runner: sequential, parallel or mpi (under mpirun); Kedro's SequentialRunner, "
                  "ParallelRunner and ThreadRunner are taken too")
      ->capture_default_str();
  run->add_option("--runner-params", flags.runner_params,
                  "Runner options: key=value,... (max_workers=4,async_io=true)");
  run->add_flag("--only-missing-outputs", flags.run.only_missing_outputs,
                "Skip the nodes whose persisted outputs exist (and what only they need)");
  run->add_option("-c,--config", flags.config,
                  "A YAML file of run's flags (run: {pipeline: ..., tags: [...]}), as Kedro's "
                  "--config; flags on the command line win");
  flags.max_workers_option =
      run->add_option("--max-workers", flags.max_workers,
                      "Worker threads of the parallel runner (default: hardware)");
  run->add_flag("--async", flags.async_io,
                "Load a node's inputs, and save its outputs, concurrently");
  run->add_flag("--keep-inputs", flags.keep_inputs,
                "Keep free inputs in memory for the whole run, as Kedro does (for comparisons)");
  add_filter_options(*run, flags.run.filter);
  comma_list(*run, "--hooks", "Add these hooks for this run", flags.hooks);
  run->add_option("--params", flags.params, "Override parameters: key=value,other.key=value");
  run->add_option("--load-versions", flags.load_versions,
                  "Load these versions of versioned datasets: dataset:version,...");
  run->add_option("--catalog-overlay", flags.catalog_overlays,
                  "Catalog entries (a YAML file) replacing those of conf, e.g. the shared "
                  "intermediates `sluice export` writes");
  return run;
}

std::string quoted_command_line(int argc, char** argv) {
  std::string command;
  for (int i = 0; i < argc; ++i) {
    command += (i == 0 ? "" : " ") + shell_quote(argv[i]);
  }
  return command;
}

namespace {

// "--runner" for the option -r,--runner.
std::string long_name(const CLI::Option& option) {
  return option.get_lnames().empty() ? std::string() : "--" + option.get_lnames().front();
}

}  // namespace

std::vector<std::string> expand_run_config(const CLI::App& run, std::vector<std::string> args) {
  // Only `sluice run ...`, and only with --config (or -c) FILE / --config=FILE.
  if (args.empty() || args.front() != "run") {
    return args;
  }
  std::string file;
  std::set<std::string> given;  // the long names of the flags on the command line
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& word = args[i];
    if ((word == "--config" || word == "-c") && i + 1 < args.size()) {
      file = args[i + 1];
    } else if (word.starts_with("--config=")) {
      file = word.substr(9);
    }
    if (word.starts_with("-")) {
      const CLI::Option* option = run.get_option_no_throw(word.substr(0, word.find('=')));
      if (option != nullptr) {
        given.insert(long_name(*option));
      }
    }
  }
  if (file.empty()) {
    return args;
  }
  const Param document = load_yaml_file(file);
  const Param* section = document.is_map() ? document.find("run") : nullptr;
  const Param& config = section != nullptr ? *section : document;
  if (!config.is_map()) {
    throw ConfigError(fmt::format(
        "{}: --config: a run configuration is a map of run's flags (run: {{pipeline: ..., "
        "tags: [...]}}), not {}",
        config.mark().known() ? config.mark().str() : file, Param::kind_name(config.kind())));
  }
  for (const auto& [key, value] : config.as_map()) {
    std::string name = key == "node_names" ? "nodes" : key;
    std::replace(name.begin(), name.end(), '_', '-');
    const CLI::Option* option = run.get_option_no_throw("--" + name);
    if (option == nullptr || name == "config") {
      std::vector<std::string> known;
      for (const CLI::Option* flag : run.get_options()) {
        const std::string flag_name = long_name(*flag);
        if (!flag_name.empty() && flag_name != "--help" && flag_name != "--config") {
          known.push_back(flag_name.substr(2));
        }
      }
      throw ConfigError(
          fmt::format("{}: --config: '{}' is not a flag of sluice run{}; the flags: {}",
                      value.mark().str(), key, did_you_mean(name, known), fmt::join(known, ", ")));
    }
    const std::string flag = long_name(*option);
    if (given.contains(flag)) {
      continue;  // the command line wins
    }
    auto text_of = [&](const Param& item) -> std::string {
      if (!item.is_scalar()) {
        throw ConfigError(fmt::format("{}: --config: '{}' holds a {} where a value is expected",
                                      item.mark().str(), key, Param::kind_name(item.kind())));
      }
      return item.kind() == Param::Kind::string ? item.as_string() : item.to_string();
    };
    if (option->get_expected_max() == 0) {  // a flag
      if (value.kind() != Param::Kind::boolean) {
        throw ConfigError(fmt::format("{}: --config: '{}' is a flag: write true or false (got {})",
                                      value.mark().str(), key, value.to_string()));
      }
      if (value.as_bool()) {
        args.push_back(flag);
      }
      continue;
    }
    std::vector<std::string> parts;
    if (value.is_list()) {
      for (const Param& item : value.as_list()) {
        parts.push_back(text_of(item));
      }
    } else if (value.is_map()) {  // params: {model: {lr: 0.1}} is model.lr=0.1
      auto flatten = [&](auto& self, const Param& map, const std::string& prefix) -> void {
        for (const auto& [sub, item] : map.as_map()) {
          const std::string dotted = prefix.empty() ? sub : prefix + "." + sub;
          if (item.is_map()) {
            self(self, item, dotted);
          } else {
            parts.push_back(dotted + "=" + (item.is_list() ? item.to_string() : text_of(item)));
          }
        }
      };
      flatten(flatten, value, "");
    } else {
      parts.push_back(text_of(value));
    }
    args.push_back(flag);
    args.push_back(fmt::format("{}", fmt::join(parts, ",")));
  }
  return args;
}

int run_run(const RunFlags& flags, const std::string& command_line,
            std::optional<Session>& session) {
  SessionOptions options = session_options(flags);
  const RunOptions run = run_options(flags, command_line);
  session.emplace(std::move(options));
  session->run(run);
  return 0;
}

}  // namespace sluice::cli
