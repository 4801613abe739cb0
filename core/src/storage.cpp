#include <algorithm>

#include <fmt/format.h>

#include <sluice/core/error.hpp>
#include <sluice/core/storage.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/core/util/suggest.hpp>

#include "datasets/writer_lock.hpp"

namespace sluice {
namespace fs = std::filesystem;

Storage::~Storage() = default;

std::shared_ptr<const void> Storage::claim(const std::string&, std::string_view) const {
  return nullptr;
}

// --- LocalStorage ---

std::string LocalStorage::read(const std::string& path) const {
  return read_file(path);
}

void LocalStorage::write(const std::string& path, std::string_view bytes) const {
  write_file_atomically(path, bytes, FileAccess::shared, durability_);
}

bool LocalStorage::write_new(const std::string& path, std::string_view bytes) const {
  return write_new_file_atomically(path, bytes, FileAccess::shared, durability_);
}

bool LocalStorage::exists(const std::string& path) const {
  std::error_code ignored;
  return fs::is_regular_file(path, ignored);
}

std::vector<std::string> LocalStorage::list(const std::string& folder) const {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool LocalStorage::remove(const std::string& path) const {
  std::error_code error;
  const bool removed = fs::remove(path, error);
  if (error) {
    throw DatasetError(fmt::format("cannot remove '{}': {}", path, error.message()));
  }
  return removed;
}

std::shared_ptr<const void> LocalStorage::claim(const std::string& path,
                                                std::string_view run_id) const {
  return detail::claim_for_writing(path, run_id, durability_);
}

const std::shared_ptr<const LocalStorage>& LocalStorage::instance(Durability durability) {
  static const std::shared_ptr<const LocalStorage> kInstances[] = {
      std::make_shared<const LocalStorage>(Durability::none),
      std::make_shared<const LocalStorage>(Durability::file),
      std::make_shared<const LocalStorage>(Durability::file_and_folder)};
  return kInstances[static_cast<int>(durability)];
}

// --- MemoryStorage ---

namespace {

// True when some key lies below `folder` (`folder/...`).
template <class Map>
bool has_children(const Map& objects, const std::string& folder) {
  const std::string prefix = folder + "/";
  auto it = objects.lower_bound(prefix);
  return it != objects.end() && it->first.starts_with(prefix);
}

}  // namespace

std::string MemoryStorage::read(const std::string& path) const {
  std::shared_ptr<const std::string> bytes;
  {
    const std::lock_guard guard(mutex_);
    if (auto found = objects_.find(path); found != objects_.end()) {
      bytes = found->second;
    } else if (has_children(objects_, path)) {
      throw DatasetError(fmt::format(
          "'{}' is a folder, not an object; point filepath at an object (or, if the folder holds "
          "versions saved with 'versioned: true', add 'versioned: true' to the entry)",
          url(path)));
    }
  }
  if (!bytes) {
    throw DatasetError(fmt::format(
        "cannot open '{}': no such object; run the node that produces it first, or check the "
        "filepath (memory:// objects live as long as the registry that holds them)",
        url(path)));
  }
  return *bytes;
}

void MemoryStorage::write(const std::string& path, std::string_view bytes) const {
  auto object = std::make_shared<const std::string>(bytes);  // copied outside the lock
  const std::lock_guard guard(mutex_);
  objects_.insert_or_assign(path, std::move(object));
}

bool MemoryStorage::write_new(const std::string& path, std::string_view bytes) const {
  auto object = std::make_shared<const std::string>(bytes);
  const std::lock_guard guard(mutex_);
  return objects_.try_emplace(path, std::move(object)).second;
}

bool MemoryStorage::exists(const std::string& path) const {
  const std::lock_guard guard(mutex_);
  return objects_.contains(path);
}

std::vector<std::string> MemoryStorage::list(const std::string& folder) const {
  const std::string prefix = folder + "/";
  std::vector<std::string> names;
  const std::lock_guard guard(mutex_);
  for (auto it = objects_.lower_bound(prefix);
       it != objects_.end() && it->first.starts_with(prefix); ++it) {
    const std::string_view rest = std::string_view(it->first).substr(prefix.size());
    std::string child(rest.substr(0, rest.find('/')));
    if (names.empty() || names.back() != child) {  // keys are sorted, so children are grouped
      names.push_back(std::move(child));
    }
  }
  return names;
}

bool MemoryStorage::remove(const std::string& path) const {
  const std::lock_guard guard(mutex_);
  return objects_.erase(path) > 0;
}

// --- FileLocation ---

FileLocation::FileLocation(std::shared_ptr<const Storage> in, std::string path_in)
    : storage(std::move(in)), path(std::move(path_in)) {}

FileLocation::FileLocation(const fs::path& local_path)
    : storage(LocalStorage::instance()), path(local_path.string()) {}

// --- StorageRegistry ---

namespace {

constexpr std::string_view kSchemeSeparator = "://";

// The scheme of `filepath` ("s3" in "s3://b/k"); empty for a plain path. A scheme is a letter,
// then letters, digits, '+', '-' or '.' (RFC 3986).
std::string scheme_of(std::string_view filepath) {
  const auto end = filepath.find(kSchemeSeparator);
  if (end == std::string_view::npos || end == 0) {
    return {};
  }
  const std::string_view scheme = filepath.substr(0, end);
  auto is_scheme_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '-' || c == '.';
  };
  const bool valid =
      ((scheme[0] >= 'a' && scheme[0] <= 'z') || (scheme[0] >= 'A' && scheme[0] <= 'Z')) &&
      std::all_of(scheme.begin(), scheme.end(), is_scheme_char);
  return valid ? std::string(scheme) : std::string();
}

// The `fsync` of a local file's fs_args (`fallback` when absent): the only option it takes.
// `where` names the entry when the option's own file:line is unknown.
bool local_fsync_option(const Param& options, const std::string& filepath, const std::string& where,
                        bool fallback) {
  for (const auto& [key, value] : options.as_map()) {
    const std::string mark = (value.mark().known() ? value.mark().str() : where) + ": ";
    if (key != "fsync") {
      throw ConfigError(fmt::format(
          "{}fs_args of '{}': unknown option '{}'{}; a local file takes only 'fsync' (true or "
          "false), other fs_args are options of a storage plugin",
          mark, filepath, key, did_you_mean(key, {"fsync"})));
    }
    if (value.kind() != Param::Kind::boolean) {
      throw ConfigError(fmt::format(
          "{}fs_args of '{}': 'fsync' must be true or false (got {}); true waits until the file "
          "and its folder are on disk, false skips that for scratch data a crash may lose",
          mark, filepath, value.to_string()));
    }
    fallback = value.as_bool();
  }
  return fallback;
}

}  // namespace

StorageRegistry::StorageRegistry()
    : FactoryRegistry("storage scheme"), memory_(std::make_shared<const MemoryStorage>()) {}

std::vector<std::string> StorageRegistry::schemes() const {
  std::vector<std::string> schemes = names();
  schemes.push_back("file");
  schemes.push_back("memory");
  std::sort(schemes.begin(), schemes.end());
  return schemes;
}

FileLocation StorageRegistry::open(const std::string& filepath, const fs::path& root,
                                   const Param& credentials, const Param& options,
                                   const std::string& where, const std::string& credentials_name,
                                   bool fsync) const {
  const std::string scheme = scheme_of(filepath);
  const std::string path =
      scheme.empty() ? filepath : filepath.substr(scheme.size() + kSchemeSeparator.size());
  const bool has_options = options.is_map() && !options.as_map().empty();
  if (scheme == "memory" && has_options) {
    throw ConfigError(fmt::format(
        "{}: 'fs_args' are options of a storage plugin, but '{}' is in memory, which takes "
        "none; remove 'fs_args'",
        where, filepath));
  }
  if (scheme.empty() || scheme == "file") {
    if (path.empty()) {
      throw ConfigError(fmt::format("{}: 'filepath' is empty; give a file name", where));
    }
    if (has_options) {
      fsync = local_fsync_option(options, filepath, where, fsync);
    }
    const fs::path local(path);
    return FileLocation(
        LocalStorage::instance(fsync ? Durability::file_and_folder : Durability::none),
        (local.is_absolute() ? local : root / local).string());
  }
  if (scheme == "memory") {
    const auto slash = path.find('/');
    if (slash == 0 || slash == std::string::npos || slash + 1 == path.size()) {
      throw ConfigError(
          fmt::format("{}: '{}' needs a store and a key: memory://<store>/<key>, for instance "
                      "memory://tests/data/companies.csv",
                      where, filepath));
    }
    return FileLocation(memory_, path);
  }
  if (!contains(scheme)) {
    const auto known = schemes();
    throw ConfigError(fmt::format(
        "{}: '{}' uses the storage scheme '{}'{}, which nothing registered; known "
        "schemes: {}{}",
        where, filepath, scheme, did_you_mean(scheme, known), fmt::join(known, ", "),
        scheme == "s3" ? "; s3:// comes with the s3 storage plugin: add `s3` to the `plugins:` "
                         "list of conf/base/hooks.yml"
                       : ""));
  }
  StorageContext context{filepath, path, credentials, credentials_name, options, where};
  auto storage = get(scheme)(context);
  if (!storage) {
    throw ConfigError(
        fmt::format("{}: the factory of storage scheme '{}' returned no storage for '{}'", where,
                    scheme, filepath));
  }
  return FileLocation(std::move(storage), path);
}

}  // namespace sluice
