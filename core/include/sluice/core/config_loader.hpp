#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/export.hpp>
#include <sluice/core/interpolation.hpp>
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

/// `value` as block-style YAML that parse_yaml() reads back equal: strings that would be typed
/// otherwise, or that YAML cannot hold plain, are double-quoted. Ends with a new line.
SLUICE_API std::string dump_yaml(const Param& value);
/// `text` as a double-quoted YAML string, which is also a JSON string (control characters as
/// \uXXXX).
SLUICE_API std::string yaml_quoted(std::string_view text);

/// How conf/<env> goes over conf/<base> for one kind of configuration (Kedro's merge_strategy).
enum class MergeStrategy {
  /// A top-level key of the run environment replaces the base one whole (the default).
  destructive,
  /// Maps are merged key by key at every depth; a value that is not a map on both sides is
  /// replaced.
  soft,
};

/// "destructive" or "soft"; ConfigError naming `where` otherwise.
SLUICE_API MergeStrategy parse_merge_strategy(const Param& value, std::string_view where);

/// Reads configuration in the Kedro layout: `<conf_source>/<base_env>` overlaid by
/// `<conf_source>/<env>`, then resolves its `${...}` interpolations (resolve_interpolations():
/// keys of the same kind, globals.yml, --params, environment variables in credentials, plugin
/// resolvers).
///
/// `get("catalog")` reads every `catalog.yml`, `catalog_*.yml` and `catalog/**/*.yml` (or .yaml)
/// of an environment; a top-level key defined twice within one environment is an error, and the
/// run environment's top-level keys replace the base ones (or merge into them: MergeStrategy).
/// Interpolations are resolved after the merge, so a local value is seen by base references.
/// Keys starting with `_` are for YAML anchors and interpolations, and are dropped after. A
/// missing base folder is an error, and so is a missing run environment folder, except for the
/// default `local` (often kept out of version control).
class SLUICE_API ConfigLoader {
 public:
  static constexpr const char* kDefaultEnv = "local";

  explicit ConfigLoader(std::filesystem::path conf_source, std::string env = kDefaultEnv,
                        std::string base_env = "base");

  /// The merged and resolved map for a kind of configuration ("catalog", "parameters",
  /// "credentials"); an empty map when no file defines it.
  Param get(std::string_view name) const;

  void set_merge_strategy(std::string kind, MergeStrategy strategy);
  /// `--params`, for `${runtime_params:key}`: a map of dotted keys.
  void set_runtime_params(Param params);
  /// Resolvers added by plugins (a Registry's); null: the built-in ones only. Not owned.
  void set_resolvers(const FactoryRegistry<ConfigResolver>* resolvers);

  const std::filesystem::path& conf_source() const { return conf_source_; }
  const std::string& env() const { return env_; }

  /// The files `get(name)` reads in one environment folder, in reading order.
  static std::vector<std::filesystem::path> files_for(const std::filesystem::path& folder,
                                                      std::string_view name);

 private:
  struct EnvConfig;
  EnvConfig read_env(const std::filesystem::path& folder, std::string_view name) const;
  /// The environments read, for errors: "conf/base, conf/local".
  std::string folders() const;

  std::filesystem::path conf_source_;
  std::string env_;
  std::string base_env_;
  std::map<std::string, MergeStrategy, std::less<>> merge_strategies_;
  Param runtime_params_;
  const FactoryRegistry<ConfigResolver>* resolvers_ = nullptr;
};

}  // namespace sluice
