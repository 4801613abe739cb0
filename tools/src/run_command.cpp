#include "run_command.hpp"

#include <charconv>

#include <fmt/format.h>

#include <sluice/core/error.hpp>
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

RunOptions run_options(const RunFlags& flags, const std::string& command_line) {
  RunOptions options = flags.run;
  options.command = command_line;
  options.runner_options = Param(Param::Map{});
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
  comma_list(command, "--nodes", "Run only these nodes", filter.nodes);
  comma_list(command, "--from-nodes", "Run from these nodes downstream", filter.from_nodes);
  comma_list(command, "--to-nodes", "Run up to these nodes", filter.to_nodes);
  comma_list(command, "--from-inputs", "Run from the nodes reading these datasets",
             filter.from_inputs);
  comma_list(command, "--to-outputs", "Run what produces these datasets", filter.to_outputs);
  comma_list(command, "--tags", "Run only nodes with any of these tags", filter.tags);
}

CLI::App* add_run_command(CLI::App& app, RunFlags& flags) {
  CLI::App* run = app.add_subcommand("run", "Run a pipeline of the project");
  flags.project.add_to(*run);
  run->add_option("--pipeline", flags.run.pipeline, "Pipeline to run")->capture_default_str();
  run->add_option("--runner", flags.run.runner,
                  "Runner: sequential, parallel or mpi (under mpirun)")
      ->capture_default_str();
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

int run_run(const RunFlags& flags, const std::string& command_line,
            std::optional<Session>& session) {
  SessionOptions options = session_options(flags);
  const RunOptions run = run_options(flags, command_line);
  session.emplace(std::move(options));
  session->run(run);
  return 0;
}

}  // namespace sluice::cli
