// The only translation unit that includes Boost.DLL.

#include <cstdlib>
#include <fstream>
#include <set>

#include <boost/dll/shared_library.hpp>
#include <dlfcn.h>
#include <fmt/format.h>
#include <fmt/std.h>
#include <spdlog/spdlog.h>

#include <sluice/core/log.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/core/plugin_loader.hpp>

namespace sluice {
namespace fs = std::filesystem;

namespace {

constexpr const char* kAbiSymbol = "sluice_plugin_abi_version";
constexpr const char* kRegisterSymbol = "sluice_plugin_register";

bool is_path(const std::string& name) {
  return name.find('/') != std::string::npos || fs::path(name).extension() == ".so";
}

bool has_elf_header(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.read(magic, sizeof magic);
  return in.gcount() == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' &&
         magic[3] == 'F';
}

// Boost.DLL clears dlerror() when dlopen fails; opening the file again ourselves recovers the
// loader's own explanation (missing dependency, undefined symbol, wrong architecture...).
std::string dlopen_error(const fs::path& path) {
  ::dlerror();
  if (void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL)) {
    ::dlclose(handle);
    return "the library loaded on a second attempt; check it for load-order dependencies";
  }
  const char* message = ::dlerror();
  return message != nullptr ? message : "dlopen failed without a message";
}

}  // namespace

PluginError::~PluginError() = default;

std::vector<std::string> PluginLoader::available() const {
  std::set<std::string> names;
  for (const auto& folder : search_path_) {
    std::error_code error;
    for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
      if (it->path().extension() == ".so") {
        std::string name = it->path().stem().string();
        names.insert(name.starts_with("lib") ? name.substr(3) : name);
      }
    }
  }
  return {names.begin(), names.end()};
}

PluginLoader::PluginLoader(Registry& registry, std::vector<fs::path> search_path)
    : registry_(registry), search_path_(std::move(search_path)) {}

PluginLoader::~PluginLoader() = default;

fs::path PluginLoader::install_folder() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&PluginLoader::install_folder), &info) == 0 ||
      info.dli_fname == nullptr) {
    return {};
  }
  return fs::path(info.dli_fname).parent_path() / "sluice" / "plugins";
}

std::vector<fs::path> PluginLoader::default_search_path() {
  std::vector<fs::path> folders;
  if (const char* variable = std::getenv("SLUICE_PLUGIN_PATH")) {
    std::string_view rest = variable;
    while (!rest.empty()) {
      const auto colon = rest.find(':');
      if (const auto entry = rest.substr(0, colon); !entry.empty()) {
        folders.emplace_back(entry);
      }
      rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    }
  }
  if (auto installed = install_folder(); !installed.empty()) {
    folders.push_back(std::move(installed));
  }
  return folders;
}

fs::path PluginLoader::resolve(const std::string& name_or_path) const {
  if (is_path(name_or_path)) {
    if (!fs::exists(name_or_path)) {
      throw PluginError(fmt::format("plugin file '{}' does not exist", name_or_path));
    }
    return fs::absolute(name_or_path);
  }
  std::vector<std::string> searched;
  for (const auto& folder : search_path_) {
    for (const auto& file : {name_or_path + ".so", "lib" + name_or_path + ".so"}) {
      if (fs::is_regular_file(folder / file)) {
        return fs::absolute(folder / file);
      }
    }
    searched.push_back(folder.string());
  }
  throw PluginError(fmt::format(
      "plugin '{}' not found: looked for {}.so and lib{}.so in {}; build it, pass its path, or "
      "add its folder to SLUICE_PLUGIN_PATH",
      name_or_path, name_or_path, name_or_path,
      searched.empty() ? std::string("no folders") : fmt::format("{}", fmt::join(searched, ", "))));
}

fs::path PluginLoader::load(const std::string& name_or_path) {
  const fs::path path = fs::weakly_canonical(resolve(name_or_path));
  if (auto found = loaded_.find(path); found != loaded_.end() && !found->second.expired()) {
    return path;
  }
  if (!has_elf_header(path)) {
    throw PluginError(
        fmt::format("'{}' is not a shared library (no ELF header); a plugin is a "
                    ".so built with SLUICE_PLUGIN",
                    path.string()));
  }
  auto library = std::make_shared<boost::dll::shared_library>();
  boost::dll::fs::error_code error;
  library->load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, error);
  if (error) {
    throw PluginError(
        fmt::format("cannot load plugin '{}': {}", path.string(), dlopen_error(path)));
  }
  if (!library->has(kRegisterSymbol) || !library->has(kAbiSymbol)) {
    throw PluginError(fmt::format(
        "'{}' is not a sluice plugin: it does not export {}() and {}(); define them with "
        "SLUICE_PLUGIN from <sluice/core/plugin.hpp>",
        path.string(), kAbiSymbol, kRegisterSymbol));
  }
  const std::uint32_t version = library->get<std::uint32_t()>(kAbiSymbol)();
  if (version != kPluginAbiVersion) {
    throw PluginError(fmt::format(
        "plugin '{}' was built for plugin ABI version {}, but this sluice has version {}; "
        "rebuild the plugin against this sluice",
        path.string(), version, kPluginAbiVersion));
  }
  const std::string plugin = path.stem().string();
  // The registrar shares ownership of the library with everything the plugin registers.
  std::shared_ptr<const void> owner = library;
  Registrar registrar(registry_, owner, plugin);
  try {
    library->get<void(Registrar&)>(kRegisterSymbol)(registrar);
  } catch (const std::exception& failure) {
    throw PluginError(fmt::format("plugin '{}' failed to register: {}", plugin, failure.what()));
  }
  loaded_[path] = owner;
  logger().debug("Loaded plugin '{}' from {}", plugin, path.string());
  return path;
}

}  // namespace sluice
