// The only translation unit that includes Boost.DLL.

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>

#include <boost/dll/shared_library.hpp>
#include <dlfcn.h>
#include <elf.h>
#include <fmt/format.h>
#include <fmt/std.h>
#include <link.h>
#include <spdlog/spdlog.h>

#include <sluice/core/log.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/core/plugin_loader.hpp>

namespace sluice {
namespace fs = std::filesystem;

namespace {

constexpr const char* kAbiSymbol = "sluice_plugin_abi_version";
constexpr const char* kRegisterSymbol = "sluice_plugin_register";

// Only something with a '/' is a path: a bare "tee.so" is a name, looked up on the search path.
bool is_path(const std::string& name) {
  return name.find('/') != std::string::npos;
}

// The file names a bare plugin name is looked up as in a search folder.
std::vector<std::string> file_names(const std::string& name) {
  const std::string stem = name.ends_with(".so") ? name.substr(0, name.size() - 3) : name;
  return {stem + ".so", "lib" + stem + ".so"};
}

// Checks the ELF file against its size before dlopen maps it: a segment that extends past the
// end of the file is a SIGBUS on first access, inside the dynamic loader.
void check_elf_file(const fs::path& path) {
  std::error_code error;
  const std::uint64_t size = fs::file_size(path, error);
  if (error) {
    throw PluginError(fmt::format("cannot read plugin '{}': {}", path.string(), error.message()));
  }
  std::ifstream in(path, std::ios::binary);
  auto read_at = [&](std::uint64_t offset, void* into, std::size_t bytes) {
    in.clear();
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(static_cast<char*>(into), static_cast<std::streamsize>(bytes));
    return in.gcount() == static_cast<std::streamsize>(bytes);
  };
  unsigned char ident[EI_NIDENT] = {};
  if (!read_at(0, ident, SELFMAG) || std::memcmp(ident, ELFMAG, SELFMAG) != 0) {
    throw PluginError(
        fmt::format("'{}' is not a shared library (no ELF header); a plugin is a "
                    ".so built with SLUICE_PLUGIN",
                    path.string()));
  }
  auto truncated = [&](std::uint64_t needed) {
    return PluginError(fmt::format(
        "'{}' is truncated ({} bytes, the ELF headers need {}): rebuild or reinstall the plugin",
        path.string(), size, needed));
  };
  ElfW(Ehdr) header{};
  if (size < sizeof header || !read_at(0, &header, sizeof header)) {
    throw truncated(sizeof header);
  }
  constexpr unsigned char kClass = sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32;
  if (header.e_ident[EI_CLASS] != kClass) {
    throw PluginError(fmt::format(
        "'{}' is a {}-bit ELF file, but this sluice is {}-bit: rebuild the plugin for this machine",
        path.string(), header.e_ident[EI_CLASS] == ELFCLASS64 ? 64 : 32, 8 * sizeof(void*)));
  }
  if (header.e_type != ET_DYN) {
    throw PluginError(
        fmt::format("'{}' is an ELF file but not a shared library (ELF type {}); a plugin is a "
                    ".so built with SLUICE_PLUGIN",
                    path.string(), header.e_type));
  }
  // The end of a table of `count` entries of `entry_size` bytes at `offset`, without overflow.
  auto table_end = [&](std::uint64_t offset, std::uint64_t count, std::uint64_t entry_size) {
    const std::uint64_t bytes = count * entry_size;
    return offset > UINT64_MAX - bytes ? UINT64_MAX : offset + bytes;
  };
  std::uint64_t needed = sizeof header;
  if (header.e_shoff != 0) {
    needed = std::max(needed, table_end(header.e_shoff, header.e_shnum, header.e_shentsize));
  }
  const std::uint64_t program_headers =
      table_end(header.e_phoff, header.e_phnum, header.e_phentsize);
  needed = std::max(needed, program_headers);
  if (needed > size) {
    throw truncated(needed);
  }
  if (header.e_phentsize < sizeof(ElfW(Phdr))) {
    throw PluginError(fmt::format(
        "'{}' is corrupt (its program headers are {} bytes, not {}): rebuild or reinstall the "
        "plugin",
        path.string(), header.e_phentsize, sizeof(ElfW(Phdr))));
  }
  for (std::uint64_t i = 0; i < header.e_phnum; ++i) {
    ElfW(Phdr) segment{};
    if (!read_at(header.e_phoff + i * header.e_phentsize, &segment, sizeof segment)) {
      throw truncated(program_headers);
    }
    if (segment.p_type == PT_LOAD) {
      needed = std::max(needed, table_end(segment.p_offset, 1, segment.p_filesz));
    }
  }
  if (needed > size) {
    throw truncated(needed);
  }
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
      if (it->path().extension() != ".so") {
        continue;
      }
      std::error_code ignored;
      const auto loaded = loaded_.find(fs::weakly_canonical(it->path(), ignored));
      if (loaded != loaded_.end() && loaded->second.hooks == 0) {
        continue;  // a library that adds no hooks, such as a project's
      }
      std::string name = it->path().stem().string();
      names.insert(name.starts_with("lib") ? name.substr(3) : name);
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

std::optional<fs::path> PluginLoader::find(const std::string& name_or_path) const {
  if (is_path(name_or_path)) {
    if (!fs::exists(name_or_path)) {
      return std::nullopt;
    }
    return fs::absolute(name_or_path);
  }
  for (const auto& folder : search_path_) {
    for (const auto& file : file_names(name_or_path)) {
      if (fs::is_regular_file(folder / file)) {
        return fs::absolute(folder / file);
      }
    }
  }
  return std::nullopt;
}

fs::path PluginLoader::resolve(const std::string& name_or_path) const {
  if (auto found = find(name_or_path)) {
    return *found;
  }
  if (is_path(name_or_path)) {
    throw PluginError(fmt::format("plugin file '{}' does not exist", name_or_path));
  }
  const auto files = file_names(name_or_path);
  throw PluginError(
      fmt::format("plugin '{}' not found: looked for {} and {} in {}; build it, pass its path, or "
                  "add its folder to SLUICE_PLUGIN_PATH",
                  name_or_path, files[0], files[1], searched_folders()));
}

std::string PluginLoader::searched_folders() const {
  std::vector<std::string> folders;
  for (const auto& folder : search_path_) {
    folders.push_back(folder.string());
  }
  return folders.empty() ? std::string("no folders") : fmt::format("{}", fmt::join(folders, ", "));
}

fs::path PluginLoader::load(const std::string& name_or_path) {
  const fs::path path = fs::weakly_canonical(resolve(name_or_path));
  if (auto found = loaded_.find(path); found != loaded_.end() && !found->second.owner.expired()) {
    return path;
  }
  check_elf_file(path);
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
  const std::size_t hooks_before = registry_.hooks.names().size();
  try {
    library->get<void(Registrar&)>(kRegisterSymbol)(registrar);
  } catch (const std::exception& failure) {
    throw PluginError(fmt::format("plugin '{}' failed to register: {}", plugin, failure.what()));
  }
  loaded_[path] = Loaded{owner, registry_.hooks.names().size() - hooks_before};
  logger().debug("Loaded plugin '{}' from {}", plugin, path.string());
  return path;
}

}  // namespace sluice
