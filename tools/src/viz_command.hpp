#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include <sluice/tools/session.hpp>

#include "project_flags.hpp"

namespace sluice::cli {

/// What `sluice viz` is told.
struct VizFlags {
  ProjectFlags project;
  std::string pipeline = "__default__";
  std::string format = "dot";  // or mermaid
};

/// Adds the `viz` subcommand, filling `flags`.
CLI::App* add_viz_command(CLI::App& app, VizFlags& flags);

/// `sluice viz`: prints the pipeline graph, with its datasets. The session is opened in
/// `session`, which the caller keeps until it has reported any error. Returns the exit code.
int run_viz(const VizFlags& flags, std::optional<Session>& session);

}  // namespace sluice::cli
