#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace sluice::cli {

/// `sluice inspect <bundle>`: prints a post-mortem bundle's summary.
int run_inspect(const std::filesystem::path& bundle);

/// `sluice replay <bundle>`: loads the bundle's saved inputs and runs only the failing node, in
/// this process (so `gdb --args sluice replay ...` stops in user code), with the project's hooks
/// (of the run's environment) and `extra_hooks`. The node's exception goes up unchanged.
int run_replay(const std::filesystem::path& bundle, const std::vector<std::string>& extra_hooks);

}  // namespace sluice::cli
