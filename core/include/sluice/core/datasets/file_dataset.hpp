#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <sluice/core/dataset.hpp>
#include <sluice/core/storage.hpp>
#include <sluice/core/util/files.hpp>  // read_file, write_file_atomically: once declared here

namespace sluice {

/// Kedro-style versioning: data lives at `<filepath>/<version>/<file name>`.
struct Versioning {
  bool enabled = false;
  /// Version to load; empty means the latest.
  std::string load_version;
  /// Version to save under; empty means a new run id from the system clock at construction.
  /// Also names the run in the lock an unversioned save takes.
  std::string save_version;
};

/// Common ground of datasets stored in one file of a Storage (local, `memory://`, a plugin's
/// `s3://`...): versioned paths, atomic writes (Storage::write) and errors naming the URL.
///
/// Concurrent runs: a versioned save never replaces a version (Storage::write_new), and once
/// this dataset saved, its loads read that version rather than the latest, so another run's
/// newer version never leaks in. Without a load version, the latest version is looked up
/// (Storage::list, one ListObjectsV2 on S3) by the first load only and kept, as Kedro's
/// AbstractVersionedDataset does: later loads read the same version, and a save replaces it
/// with the version just saved. An unversioned save claims the file for the dataset's lifetime
/// (Storage::claim; for local files `.<name>.lock` next to it); a second process saving it
/// meanwhile is refused with an error naming the run that holds it.
class SLUICE_API FileDataset : public Dataset {
 public:
  Value load() override;
  void save(const Value& value) override;
  bool exists() const override;
  std::string describe() const override;
  /// An unversioned dataset claims its file (the lock a first save would take).
  void prepare_save() override;

  /// The filepath as messages name it: a local path, or the URL (`memory://store/key`).
  const std::filesystem::path& filepath() const { return filepath_; }
  /// The file a load reads (resolving the latest version), as a URL; DatasetError when there
  /// is none.
  std::filesystem::path load_path() const;
  /// The file a save writes, as a URL.
  std::filesystem::path save_path() const;

 protected:
  FileDataset(FileLocation location, Versioning versioning);

  virtual std::string encode(const Value& value) const = 0;
  virtual Value decode(std::string bytes, const std::filesystem::path& path) const = 0;
  /// Extra "key=value" text for describe().
  virtual std::string describe_options() const { return {}; }

 private:
  /// The storage paths of load_path() and save_path().
  std::string load_key() const;
  std::string save_key() const;
  std::string version_key(const std::string& version) const;
  /// Claims the file under `key` unless this dataset already asked (Storage::claim).
  void claim(const std::string& key);

  FileLocation location_;
  std::filesystem::path filepath_;
  Versioning versioning_;
  /// The storage path loads read once resolved: the latest version found, or the one this
  /// dataset saved. Under load_mutex_, which a first load holds while it lists, so that
  /// loads from several threads list once.
  mutable std::mutex load_mutex_;
  mutable std::optional<std::string> resolved_load_key_;
  std::mutex claim_mutex_;
  bool claimed_ = false;  // asked once: a storage without claims returns null
  std::shared_ptr<const void> claim_;
};

}  // namespace sluice
