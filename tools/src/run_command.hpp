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
};

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
