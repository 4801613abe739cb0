#pragma once

#include <filesystem>
#include <map>
#include <memory>
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
/// A plugin is named by a path (anything with a '/' or ending in ".so") or by a bare name
/// ("node_timing"), looked up as `<name>.so` and `lib<name>.so` in each search folder:
/// SLUICE_PLUGIN_PATH (':'-separated), then the install folder (`<libdir>/sluice/plugins` next
/// to libsluice_core). Each library stays loaded as long as anything it registered or created
/// (see Registrar). Loading the same file twice registers it once.
class SLUICE_API PluginLoader {
 public:
  explicit PluginLoader(Registry& registry,
                        std::vector<std::filesystem::path> search_path = default_search_path());
  ~PluginLoader();

  /// Loads and registers; returns the resolved path. PluginError for: file not found (lists the
  /// folders searched), not a shared library, a dlopen failure (with dlerror's text), no
  /// entry point, an ABI version mismatch (both versions), or a failure while registering.
  std::filesystem::path load(const std::string& name_or_path);

  const std::vector<std::filesystem::path>& search_path() const { return search_path_; }
  static std::vector<std::filesystem::path> default_search_path();
  /// Bare names of the plugins in the search folders, sorted.
  std::vector<std::string> available() const;
  /// The install folder for plugins: `<folder of libsluice_core>/sluice/plugins`.
  static std::filesystem::path install_folder();

 private:
  std::filesystem::path resolve(const std::string& name_or_path) const;

  Registry& registry_;
  std::vector<std::filesystem::path> search_path_;
  std::map<std::filesystem::path, std::weak_ptr<const void>> loaded_;
};

}  // namespace sluice
