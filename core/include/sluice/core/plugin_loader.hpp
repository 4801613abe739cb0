#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sluice/core/error.hpp>
#include <sluice/core/export.hpp>

namespace sluice {

struct Registry;

/// A plugin could not be found, loaded or registered.
class SLUICE_API PluginError : public ConfigError {
 public:
  using ConfigError::ConfigError;
  ~PluginError() override;
};

/// Loads plugins with Boost.DLL (`rtld_now`) and lets them register into a Registry.
///
/// A plugin is named by a path (anything with a '/') or by a bare name ("node_timing", or
/// "node_timing.so"), looked up as `<name>.so` and `lib<name>.so` in each search folder, and
/// only there:
/// SLUICE_PLUGIN_PATH (':'-separated), then the install folder (`<libdir>/sluice/plugins` next
/// to libsluice_core). Each library stays loaded as long as anything it registered or created
/// (see Registrar). Loading the same file twice registers it once.
class SLUICE_API PluginLoader {
 public:
  explicit PluginLoader(Registry& registry,
                        std::vector<std::filesystem::path> search_path = default_search_path());
  ~PluginLoader();

  /// Loads and registers; returns the resolved path. PluginError for: file not found (lists the
  /// folders searched), not a shared library, a truncated file (checked against its ELF
  /// headers before dlopen maps it), a dlopen failure (with dlerror's text), no entry point, an
  /// ABI version mismatch (both versions), or a failure while registering. A relative path is
  /// relative to the current folder: resolve it against the project folder first.
  std::filesystem::path load(const std::string& name_or_path);

  const std::vector<std::filesystem::path>& search_path() const { return search_path_; }
  static std::vector<std::filesystem::path> default_search_path();
  /// The file a plugin name or path refers to (as load() looks for it), or nullopt.
  std::optional<std::filesystem::path> find(const std::string& name_or_path) const;
  /// Bare names of the plugins in the search folders that may add hooks, sorted: all but the
  /// libraries loaded already that added none (such as a project's library).
  std::vector<std::string> available() const;
  /// The search folders, comma-separated, or "no folders".
  std::string searched_folders() const;
  /// The install folder for plugins: `<folder of libsluice_core>/sluice/plugins`.
  static std::filesystem::path install_folder();

 private:
  std::filesystem::path resolve(const std::string& name_or_path) const;

  Registry& registry_;
  std::vector<std::filesystem::path> search_path_;
  struct Loaded {
    std::weak_ptr<const void> owner;
    std::size_t hooks = 0;  // how many hooks it registered
  };
  std::map<std::filesystem::path, Loaded> loaded_;
};

}  // namespace sluice
