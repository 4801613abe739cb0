#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include <sluice/tools/session.hpp>

#include "project_flags.hpp"

namespace sluice::cli {

/// What `sluice registry list` and `sluice registry describe` are told.
struct RegistryFlags {
  ProjectFlags project;
  std::string pipeline = "__default__";  // describe's
  CLI::App* list = nullptr;
  CLI::App* describe = nullptr;
};

/// Adds the `registry` subcommand with `list` and `describe`, filling `flags`.
CLI::App* add_registry_command(CLI::App& app, RegistryFlags& flags);

/// `sluice registry list`: the project's pipelines, with their node counts, free inputs and
/// outputs. `sluice registry describe [NAME]`: one pipeline's nodes in run order, with their
/// inputs, outputs, tags and namespace (Kedro's `kedro registry list|describe`). The session is
/// opened in `session`, kept by the caller until it has reported any error.
int run_registry(const RegistryFlags& flags, std::optional<Session>& session);

}  // namespace sluice::cli
