#pragma once

#include <filesystem>

namespace sluice::cli {

/// sluice's own data: the framework's `conf/` (storage profiles of `sluice bench`) and the iris
/// example. It is installed in `<datadir>/sluice` and found relative to the running `sluice`
/// executable (`/proc/self/exe`), so an installed sluice needs no source tree and can be moved
/// with its prefix; the build tree is laid out the same way (`bin/`, `share/sluice/`).
std::filesystem::path data_folder();

}  // namespace sluice::cli
