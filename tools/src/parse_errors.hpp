#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sluice::cli {

/// Parses the command line into `app`. Returns the exit code to stop with, or nothing to go
/// on: 0 after `--help` or `--version` (printed on stdout); 1 after a parse error, printed on
/// stderr as one paragraph, `Error: <what is wrong>; see 'sluice <command> --help'`, with
/// "did you mean" for a mistyped command or option. CLI11's own exit codes (105, 106...) and
/// messages never reach the user.
/// `args` is the command line without the program name.
std::optional<int> parse_command_line(CLI::App& app, std::vector<std::string> args);

}  // namespace sluice::cli
