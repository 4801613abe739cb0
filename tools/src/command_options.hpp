#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace sluice::cli {

/// A comma-separated list option: `--nodes a,b` (or `--nodes a --nodes b`).
inline void comma_list(CLI::App& command, const char* name, const char* help,
                       std::vector<std::string>& target) {
  command.add_option(name, target, help)->delimiter(',');
}

}  // namespace sluice::cli
