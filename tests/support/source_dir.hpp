#pragma once

#include <filesystem>

namespace sluice::testing {

/// The source tree the tests were built from (for examples/iris and README.md), compiled in so
/// that a test binary run by hand finds it as ctest does.
inline std::filesystem::path source_dir() {
  return SLUICE_TEST_SOURCE_DIR;
}

}  // namespace sluice::testing
