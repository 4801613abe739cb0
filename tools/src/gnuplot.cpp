#include "gnuplot.hpp"

#include <cstdlib>
#include <sstream>

#include <fmt/format.h>
#include <unistd.h>

#include <sluice/core/error.hpp>
#include <sluice/core/util/files.hpp>

namespace sluice::cli {
namespace {

namespace fs = std::filesystem;

bool gnuplot_available() {
  const char* path = std::getenv("PATH");
  std::stringstream folders(path != nullptr ? path : "");
  for (std::string folder; std::getline(folders, folder, ':');) {
    if (!folder.empty() && ::access((fs::path(folder) / "gnuplot").c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace

void check_plot_target(const fs::path& path) {
  if (path.extension() != ".svg" && path.extension() != ".png") {
    throw ConfigError(
        fmt::format("--plot '{}': the extension must be .svg or .png", path.string()));
  }
  if (!gnuplot_available()) {
    throw ConfigError(
        "--plot needs gnuplot, which is not on the PATH: install it (apt-get install "
        "gnuplot-nox)");
  }
}

void run_gnuplot(const fs::path& path, int width, int height, const std::string& data,
                 const std::function<std::string(const std::string& data_file)>& commands) {
  const fs::path data_file = fs::path(path).concat(".data");
  const fs::path script = fs::path(path).concat(".gp");
  write_file_atomically(data_file, data);
  const std::string terminal =
      path.extension() == ".png"
          ? fmt::format("pngcairo size {},{} font 'sans,10'", width, height)
          : fmt::format("svg size {},{} dynamic font 'sans,12'", width, height);
  write_file_atomically(script, fmt::format("set terminal {} background '#ffffff'\nset termoption "
                                            "noenhanced\nset output '{}'\n{}",
                                            terminal, path.string(), commands(data_file.string())));
  const int status = std::system(fmt::format("gnuplot '{}' 2>&1", script.string()).c_str());
  fs::remove(data_file);
  fs::remove(script);
  if (status != 0) {
    throw ConfigError(
        fmt::format("gnuplot failed (status {}) drawing '{}'", status, path.string()));
  }
}

}  // namespace sluice::cli
