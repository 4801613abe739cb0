#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <sluice/core/export.hpp>

namespace sluice {

/// How sluice logs, as `conf/logging.yml` (Kedro's `conf/logging.yml`), `SPDLOG_LEVEL` and the
/// command line's `--log-level`, `-q` and `-v` say, in rising precedence:
///
///   level: info                    # trace, debug, info, warning, error, critical, off
///   pattern: "[%Y-%m-%d %H:%M:%S] %^%-7l%$ %v"   # spdlog's pattern syntax, for the console
///   console: {stream: stdout, level: info}      # or stderr; `console: false` for none
///   file:                          # optional: a rotating file
///     path: logs/sluice.log        # relative to the project folder
///     max_size: 10MiB              # rotated past this size
///     max_files: 3                 # the files kept besides the current one
///     level: debug
///     format: json                 # text (the console's pattern) or json: one JSON object a
///                                  # line, {"time", "level", "logger", "message"}, escaped
///
/// A key or a value it does not know is a ConfigError naming the file:line.
class SLUICE_API LoggingConfig {
 public:
  /// The level `--log-level`, `-q` or `-v` asked for ("debug"...), if any; kept for the process.
  static void set_command_line_level(std::optional<std::string> level);

  /// Applies `SPDLOG_LEVEL` and the command line's level to sluice's logger (what a command
  /// without a project does).
  static void apply_levels();

  /// Reads `logging_yml` (when it exists) and makes sluice's logger from it, then applies the
  /// levels above; relative file paths are relative to `project_root`.
  static void apply_file(const std::filesystem::path& logging_yml,
                         const std::filesystem::path& project_root);
};

}  // namespace sluice
