#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <sluice/tools/session.hpp>

#include "project_flags.hpp"

namespace sluice::cli {

/// What `sluice run` is told.
struct RunFlags {
  ProjectFlags project;
  RunOptions run;  // pipeline, runner and filter; the rest is filled by run_run
  std::vector<std::string> hooks;
  std::string params;
  std::string load_versions;
  std::vector<std::string> catalog_overlays;
  std::string max_workers;  // checked by run_run, when given
  CLI::Option* max_workers_option = nullptr;
  bool async_io = false;
  bool keep_inputs = false;
  std::string runner_params;  // --runner-params key=value,...
  std::string config;         // --config FILE, expanded into flags by expand_run_config
};

/// `sluice run --config run.yml` (Kedro's `kedro run --config`): the keys of the file's `run:`
/// map (or of the file, without one) are run's flags without their dashes (`from_nodes` or
/// `from-nodes`; Kedro's `node_names` is `nodes`); a list or a map (`params: {a: 1}`) is written
/// as the flag's comma list; a true flag is given, a false one left out. Returns `args` (the
/// command line without the program name) with those flags added after the ones given, unless the
/// command line gives the flag itself, which wins. ConfigError with the file:line of an unknown
/// key or a value of the wrong kind.
std::vector<std::string> expand_run_config(const CLI::App& run, std::vector<std::string> args);

/// Adds the node filters of `sluice run` (--nodes, --from-nodes, --to-nodes, --from-inputs,
/// --to-outputs, --tags) to `command`.
void add_filter_options(CLI::App& command, PipelineFilter& filter);

/// Adds the `run` subcommand, filling `flags`.
CLI::App* add_run_command(CLI::App& app, RunFlags& flags);

/// The command line as one string, each word shell-quoted (a value with a space stays one
/// value, for redaction too): what a run records for its hooks.
std::string quoted_command_line(int argc, char** argv);

/// Runs a pipeline of the project, started by `command_line`. The session is opened in
/// `session`, which the caller keeps until it has reported any error: an error from plugin code
/// is reported while its library is loaded. Returns the exit code.
int run_run(const RunFlags& flags, const std::string& command_line,
            std::optional<Session>& session);

}  // namespace sluice::cli
