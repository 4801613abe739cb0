#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include <sluice/bench/slow_storage.hpp>
#include <sluice/tools/session.hpp>

namespace sluice::cli {

/// The options every project command shares, and the session they describe.
struct ProjectFlags {
  std::string project;
  std::string conf_source;
  std::string env = "local";

  void add_to(CLI::App& command) {
    command.add_option("--project", project,
                       "Project folder (default: the nearest folder with a sluice.yml)");
    command.add_option("--conf-source", conf_source, "Configuration folder (default: conf/)");
    command.add_option("-e,--env", env, "Configuration environment overlaid on base")
        ->capture_default_str();
  }

  /// Session options for these flags, with the built-ins `sluice` adds (SimulatedStorage).
  SessionOptions session() const {
    SessionOptions options;
    options.registrations = {bench::register_dataset_types};
    options.project = project;
    options.conf_source = conf_source;
    options.env = env;
    return options;
  }
};

}  // namespace sluice::cli
