#pragma once

// Whether FUSE works here, for the tests that mount a `sluice slowfs`: /dev/fuse and
// fusermount3 (Debian fuse3, which scripts/setup.sh installs). Without them the tests are
// skipped loudly, and fail under CI.

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

namespace sluice::testing {

/// What is missing for a FUSE mount, or empty.
inline std::string fuse_missing() {
  std::string missing;
  if (::access("/dev/fuse", R_OK | W_OK) != 0) {
    missing = "/dev/fuse is missing or not usable";
  }
  if (std::system("command -v fusermount3 >/dev/null 2>&1") != 0) {
    missing += std::string(missing.empty() ? "" : ", ") + "fusermount3 is not on the PATH";
  }
  return missing;
}

}  // namespace sluice::testing

/// In a test body or SetUp: skips (loudly) without FUSE, and fails when CI is set.
#define SLUICE_REQUIRE_FUSE()                                                                 \
  do {                                                                                        \
    if (const std::string fuse_missing_ = ::sluice::testing::fuse_missing();                  \
        !fuse_missing_.empty()) {                                                             \
      if (std::getenv("CI") != nullptr) {                                                     \
        FAIL() << "FUSE IS NOT AVAILABLE IN CI: " << fuse_missing_                            \
               << "; the slowfs tests need /dev/fuse and fusermount3 (scripts/setup.sh)";     \
      }                                                                                       \
      GTEST_SKIP() << "SKIPPED, FUSE IS NOT AVAILABLE: " << fuse_missing_                     \
                   << "; the slowfs tests need /dev/fuse and fusermount3 (scripts/setup.sh)"; \
    }                                                                                         \
  } while (false)
