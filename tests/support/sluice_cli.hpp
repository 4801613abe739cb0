#pragma once

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include <sys/wait.h>

#include "support/source_dir.hpp"

namespace sluice::testing {

/// What a `sluice` command printed (stdout and stderr together) and its exit code (-1 when a
/// signal ended it).
struct CliResult {
  int exit_code = -1;
  std::string output;
};

/// Copies the iris example (sluice.yml, conf/ and the raw data) into `folder`: a project the
/// `sluice` binary runs in, as a user's checkout would be.
inline void copy_iris_project(const std::filesystem::path& folder) {
  namespace fs = std::filesystem;
  const fs::path iris = source_dir() / "examples/iris";
  fs::copy(iris / "sluice.yml", folder / "sluice.yml");
  fs::copy(iris / "conf", folder / "conf", fs::copy_options::recursive);
  fs::create_directories(folder / "data/01_raw");
  fs::copy(iris / "data/01_raw/iris.csv", folder / "data/01_raw/iris.csv");
}

/// Runs `'<binary>' <arguments>` in `folder` through the shell and waits for it.
inline CliResult run_cli(const std::string& binary, const std::filesystem::path& folder,
                         const std::string& arguments) {
  const std::string command =
      "cd '" + folder.string() + "' && '" + binary + "' " + arguments + " 2>&1";
  CliResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    result.output = "popen failed: " + command;
    return result;
  }
  std::array<char, 4096> buffer{};
  while (std::size_t read = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
    result.output.append(buffer.data(), read);
  }
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace sluice::testing
