#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include <sluice/tools/session.hpp>

#include "project_flags.hpp"

namespace sluice::cli {

/// What `sluice catalog list` is told.
struct CatalogFlags {
  ProjectFlags project;
  std::string pipeline;  // empty: every pipeline
};

/// Adds the `catalog` subcommand and its `list`, filling `flags`; returns `catalog`.
CLI::App* add_catalog_command(CLI::App& app, CatalogFlags& flags);

/// `sluice catalog list`: prints the datasets of each pipeline (in the catalog, defaulted,
/// missing). The session is opened in `session`, which the caller keeps until it has reported
/// any error. Returns the exit code.
int run_catalog_list(const CatalogFlags& flags, std::optional<Session>& session);

}  // namespace sluice::cli
