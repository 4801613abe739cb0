#include "data_folder.hpp"

#include <system_error>

#include <fmt/format.h>

#include <sluice/core/error.hpp>

namespace sluice::cli {

std::filesystem::path data_folder() {
  std::error_code error;
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) {
    throw Error(fmt::format(
        "cannot find sluice's data folder (conf/, the iris example): reading /proc/self/exe "
        "failed: {}; run sluice where /proc is mounted",
        error.message()));
  }
  return (executable.parent_path() / SLUICE_DATA_FROM_BINARY).lexically_normal();
}

}  // namespace sluice::cli
