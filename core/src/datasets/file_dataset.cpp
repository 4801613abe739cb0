#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/clock.hpp>
#include <sluice/core/datasets/file_dataset.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/log.hpp>

namespace sluice {
namespace fs = std::filesystem;

namespace {

// The last component of a storage path ("b.csv" of "data/b.csv").
std::string file_name(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

}  // namespace

FileDataset::FileDataset(FileLocation location, Versioning versioning)
    : location_(std::move(location)), versioning_(std::move(versioning)) {
  if (location_.path.empty() || !location_.storage) {
    throw ConfigError("a file dataset needs a non-empty filepath");
  }
  filepath_ = location_.url();
  if (versioning_.enabled && versioning_.save_version.empty()) {
    versioning_.save_version = make_run_id(system_clock());
  }
}

std::string FileDataset::version_key(const std::string& version) const {
  return location_.path + "/" + version + "/" + file_name(location_.path);
}

std::string FileDataset::load_key() const {
  if (!versioning_.enabled) {
    return location_.path;
  }
  if (!versioning_.load_version.empty()) {
    return version_key(versioning_.load_version);
  }
  const std::lock_guard guard(load_mutex_);
  if (resolved_load_key_) {
    return *resolved_load_key_;  // the version found before, or this run's once it saved
  }
  // Version stamps sort by time as text, so the greatest name with the file in it is the latest.
  const std::vector<std::string> versions = location_.storage->list(location_.path);
  for (auto version = versions.rbegin(); version != versions.rend(); ++version) {
    if (location_.storage->exists(version_key(*version))) {
      resolved_load_key_ = version_key(*version);
      return *resolved_load_key_;
    }
  }
  throw DatasetError(fmt::format(
      "no saved versions of '{}' under '{}'; run the node that produces it first, or check the "
      "filepath",
      file_name(location_.path), filepath_.string()));
}

std::string FileDataset::save_key() const {
  return versioning_.enabled ? version_key(versioning_.save_version) : location_.path;
}

fs::path FileDataset::load_path() const {
  return location_.storage->url(load_key());
}

fs::path FileDataset::save_path() const {
  return location_.storage->url(save_key());
}

Value FileDataset::load() {
  const std::string key = load_key();
  return decode(location_.storage->read(key), location_.storage->url(key));
}

void FileDataset::claim(const std::string& key) {
  const std::lock_guard guard(claim_mutex_);  // a save waits for a claim under way
  if (!claimed_) {
    claim_ = location_.storage->claim(key, versioning_.save_version);
    claimed_ = true;
  }
}

void FileDataset::prepare_save() {
  if (versioning_.enabled) {
    return;  // every run writes a version of its own: nothing to claim
  }
  try {
    claim(save_key());
  } catch (const std::exception& error) {
    // Another run holds it, or the folder cannot be written: the save claims again and fails
    // with this message, where the run reports dataset errors.
    logger().debug("claiming '{}' before the run's first save failed: {}", filepath_.string(),
                   error.what());
  }
}

void FileDataset::save(const Value& value) {
  const std::string key = save_key();
  if (!versioning_.enabled) {
    claim(key);
    location_.storage->write(key, encode(value));
    return;
  }
  if (!location_.storage->write_new(key, encode(value))) {
    throw DatasetError(fmt::format(
        "version '{}' of '{}' already exists; versions are never overwritten (save under a new "
        "version)",
        versioning_.save_version, filepath_.string()));
  }
  // Loads read this version from now on, not a newer one another run saves.
  const std::lock_guard guard(load_mutex_);
  resolved_load_key_ = key;
}

bool FileDataset::exists() const {
  try {
    return location_.storage->exists(load_key());
  } catch (const DatasetError&) {
    return false;
  }
}

std::string FileDataset::describe() const {
  std::string options = fmt::format("filepath={}", filepath_.string());
  if (versioning_.enabled) {
    options +=
        fmt::format(", version={}", versioning_.load_version.empty() ? std::string("latest")
                                                                     : versioning_.load_version);
  }
  if (std::string extra = describe_options(); !extra.empty()) {
    options += ", " + extra;
  }
  return fmt::format("{}({})", dataset_type(), options);
}

}  // namespace sluice
