#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sluice::cli {

/// What `sluice inspect` is told.
struct InspectFlags {
  std::string bundle;
};

/// What `sluice replay` is told.
struct ReplayFlags {
  std::string bundle;
  std::vector<std::string> hooks;
  std::string params;  // --params k=v,...: changes the node's parameter inputs
};

/// Adds the `inspect` subcommand, filling `flags`.
CLI::App* add_inspect_command(CLI::App& app, InspectFlags& flags);

/// Adds the `replay` subcommand, filling `flags`.
CLI::App* add_replay_command(CLI::App& app, ReplayFlags& flags);

/// `sluice inspect <bundle>`: prints a post-mortem bundle's summary.
int run_inspect(const InspectFlags& flags);

/// `sluice replay <bundle>`: loads the bundle's saved inputs and runs only the failing node, in
/// this process (so `gdb --args sluice replay ...` stops in user code), with the project's hooks
/// (of the run's environment) and the `--hooks` given. A failure of the node is reported here,
/// while the project library that threw it is loaded: exit code 1.
int run_replay(const ReplayFlags& flags);

}  // namespace sluice::cli
