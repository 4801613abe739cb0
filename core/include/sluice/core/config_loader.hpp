#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/export.hpp>
#include <sluice/core/param.hpp>

namespace sluice {

/// Parses YAML into a Param tree, keeping each value's file, line and column. Plain scalars are
/// typed as YAML does (true/false, integers, floats, null); quoted scalars stay strings. Keys are
/// text: a scalar key is its text (`1:` is the key "1"); null, list and map keys are errors.
/// ConfigError "<source>:<line>:<column>: ..." on malformed YAML, a key written twice in a map,
/// an alias inside its own anchor, and aliases that copy more than a few million values.
SLUICE_API Param parse_yaml(std::string_view text, const std::string& source);
SLUICE_API Param load_yaml_file(const std::filesystem::path& path);
/// Types `text` as parse_yaml() types a plain scalar: "42" → 42, "true" → true, "~" → null,
/// anything else → the text itself.
SLUICE_API Param plain_scalar(const std::string& text);

/// Reads configuration in the Kedro layout: `<conf_source>/<base_env>` overlaid by
/// `<conf_source>/<env>`.
///
/// `get("catalog")` reads every `catalog.yml`, `catalog_*.yml` and `catalog/**/*.yml` (or .yaml)
/// of an environment; a top-level key defined twice within one environment is an error, and the
/// run environment's top-level keys replace the base ones. Keys starting with `_` are for YAML
/// anchors and are dropped. A missing base folder is an error, and so is a missing run
/// environment folder, except for the default `local` (often kept out of version control).
class SLUICE_API ConfigLoader {
 public:
  static constexpr const char* kDefaultEnv = "local";

  explicit ConfigLoader(std::filesystem::path conf_source, std::string env = kDefaultEnv,
                        std::string base_env = "base");

  /// The merged map for a kind of configuration ("catalog", "parameters", "credentials"); an
  /// empty map when no file defines it.
  Param get(std::string_view name) const;

  const std::filesystem::path& conf_source() const { return conf_source_; }
  const std::string& env() const { return env_; }

  /// The files `get(name)` reads in one environment folder, in reading order.
  static std::vector<std::filesystem::path> files_for(const std::filesystem::path& folder,
                                                      std::string_view name);

 private:
  Param read_env(const std::filesystem::path& folder, std::string_view name) const;

  std::filesystem::path conf_source_;
  std::string env_;
  std::string base_env_;
};

}  // namespace sluice
