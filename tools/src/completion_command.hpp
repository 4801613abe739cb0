#pragma once

#include <CLI/CLI.hpp>

namespace sluice::cli {

/// Adds `sluice completion bash`: prints a bash completion script made from the command tree
/// (CLI11 makes none), so it knows every command and option of this binary.
CLI::App* add_completion_command(CLI::App& app);

/// Prints the script for `app` (the whole command line). Returns the exit code.
int run_completion(const CLI::App& app);

}  // namespace sluice::cli
