#pragma once

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include <sluice/tools/session.hpp>

#include "project_flags.hpp"

namespace sluice::cli {

/// What `sluice catalog list` and `sluice catalog resolve` are told.
struct CatalogFlags {
  ProjectFlags project;
  std::string pipeline;  // empty: every pipeline
  CLI::App* list = nullptr;
  CLI::App* resolve = nullptr;
};

/// Adds the `catalog` subcommand and its `list` and `resolve`, filling `flags`; returns
/// `catalog`.
CLI::App* add_catalog_command(CLI::App& app, CatalogFlags& flags);

/// `sluice catalog list`: prints the datasets of each pipeline (in the catalog, with the pattern
/// an entry came from; defaulted; missing). `sluice catalog resolve`: prints, as YAML, the
/// catalog entries of the pipelines' datasets with the dataset patterns expanded (Kedro's
/// `kedro catalog resolve`). The session is opened in `session`, which the caller keeps until it
/// has reported any error. Returns the exit code.
int run_catalog(const CatalogFlags& flags, std::optional<Session>& session);

}  // namespace sluice::cli
