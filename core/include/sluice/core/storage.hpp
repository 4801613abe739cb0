#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/export.hpp>
#include <sluice/core/param.hpp>
#include <sluice/core/util/factory_registry.hpp>
#include <sluice/core/util/files.hpp>

namespace sluice {

/// Where a file dataset keeps its bytes, chosen by the filepath's scheme (what fsspec is to
/// Kedro). A path is what follows `<scheme>://` (`bucket/key`, `store/key`), or an absolute
/// file name for local files; folders are separated by `/`.
///
/// A Storage is a handle: its members are const and may be called from several threads at once.
/// Errors are DatasetErrors naming url(path) and what to do.
class SLUICE_API Storage {
 public:
  virtual ~Storage();

  /// The whole object; DatasetError when it is missing or unreadable.
  virtual std::string read(const std::string& path) const = 0;
  /// Replaces the object atomically: readers see the old bytes or the new ones, never a part.
  virtual void write(const std::string& path, std::string_view bytes) const = 0;
  /// Like write, but never replaces an existing object: false when `path` exists. Versioned
  /// saves use it. A backend without a conditional write documents its race here.
  virtual bool write_new(const std::string& path, std::string_view bytes) const = 0;
  virtual bool exists(const std::string& path) const = 0;
  /// The names of the direct children of `folder` (objects and folders), sorted; empty when
  /// there is no such folder. Versioning finds the versions of a dataset with it.
  virtual std::vector<std::string> list(const std::string& folder) const = 0;
  /// Removes the object if there is one (no error when there is none). True when it is gone
  /// now; false when the backend knows there was none. A backend whose delete does not say
  /// (S3: DELETE answers 204 either way) returns true rather than ask first.
  virtual bool remove(const std::string& path) const = 0;
  /// How messages name `path`: `/abs/file`, `s3://bucket/key`, `memory://store/key`.
  virtual std::string url(const std::string& path) const = 0;
  /// Claims `path` for unversioned saves by the run `run_id` until the returned object is
  /// released; a DatasetError when another process holds it. The default claims nothing: two
  /// processes saving one unversioned object then race, the last complete write wins.
  virtual std::shared_ptr<const void> claim(const std::string& path, std::string_view run_id) const;
};

/// Local files: a plain path or `file://`. Writes go to a temp file in the same folder,
/// fsync, rename and fsync of the folder (write_file_atomically, by the durability), creating
/// parent folders; write_new publishes with renameat2(RENAME_NOREPLACE); claim takes the flock
/// of writer_lock (`.<name>.lock`).
class SLUICE_API LocalStorage : public Storage {
 public:
  explicit LocalStorage(Durability durability = Durability::file_and_folder)
      : durability_(durability) {}

  std::string read(const std::string& path) const override;
  void write(const std::string& path, std::string_view bytes) const override;
  bool write_new(const std::string& path, std::string_view bytes) const override;
  bool exists(const std::string& path) const override;
  std::vector<std::string> list(const std::string& folder) const override;
  bool remove(const std::string& path) const override;
  std::string url(const std::string& path) const override { return path; }
  std::shared_ptr<const void> claim(const std::string& path,
                                    std::string_view run_id) const override;

  Durability durability() const { return durability_; }

  /// The shared instance of a durability (the default: file_and_folder).
  static const std::shared_ptr<const LocalStorage>& instance(
      Durability durability = Durability::file_and_folder);

 private:
  Durability durability_;
};

/// `memory://<store>/<key>`, for tests: objects held in this object, under one lock (so every
/// write is atomic and write_new is a true conditional write). Not process-wide: a Registry
/// owns one (StorageRegistry), shared by every catalog built from it.
class SLUICE_API MemoryStorage : public Storage {
 public:
  std::string read(const std::string& path) const override;
  void write(const std::string& path, std::string_view bytes) const override;
  bool write_new(const std::string& path, std::string_view bytes) const override;
  bool exists(const std::string& path) const override;
  std::vector<std::string> list(const std::string& folder) const override;
  bool remove(const std::string& path) const override;
  std::string url(const std::string& path) const override { return "memory://" + path; }

 private:
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::shared_ptr<const std::string>, std::less<>> objects_;
};

/// A storage and a path in it: where a file dataset lives. Converts from a local path.
struct SLUICE_API FileLocation {
  FileLocation(std::shared_ptr<const Storage> in, std::string path_in);
  /// A local file (LocalStorage).
  FileLocation(const std::filesystem::path& local_path);  // NOLINT(google-explicit-constructor)

  std::string url() const { return storage->url(path); }

  std::shared_ptr<const Storage> storage;
  std::string path;
};

/// What a storage factory is given for one catalog entry.
struct StorageContext {
  /// The filepath as written, `<scheme>://<path>`.
  std::string url;
  /// What follows `<scheme>://`.
  std::string path;
  /// The entry's credentials, resolved from credentials.yml (null if none). Never put them in
  /// a message or a log.
  Param credentials;
  /// The name the entry gives them (`credentials: dev_s3`; empty if none). Unlike the
  /// credentials it may appear in messages: name it in errors about them.
  std::string credentials_name;
  /// The entry's `fs_args` map (null if none); its marks give file and line for errors.
  Param options;
  /// Names the entry for errors: "conf/base/catalog.yml:3:13: dataset 'x'".
  std::string where;
};

/// Builds the storage of a scheme; the location's path is StorageContext::path.
using StorageFactory = std::function<std::shared_ptr<const Storage>(const StorageContext&)>;

/// Storage schemes: `file` (and plain paths) and `memory` are built in; others (`s3`) are
/// registered by their plugins (Registrar::add_storage). Holds the registry's MemoryStorage.
class SLUICE_API StorageRegistry : public FactoryRegistry<StorageFactory> {
 public:
  StorageRegistry();

  /// The location of `filepath`: a plain path or `file://` is local, relative to `root`; any
  /// other `<scheme>://` goes to its factory. ConfigError naming `where`, the scheme and the
  /// known schemes when the scheme is unknown. `credentials_name` names `credentials` (see
  /// StorageContext). A local file takes one option, `fsync` (true or false; `fsync` when
  /// absent, the project's setting); ConfigError naming the option's file:line otherwise.
  FileLocation open(const std::string& filepath, const std::filesystem::path& root,
                    const Param& credentials, const Param& options, const std::string& where,
                    const std::string& credentials_name = {}, bool fsync = true) const;

  /// Every scheme open() accepts, sorted.
  std::vector<std::string> schemes() const;

  /// The store behind `memory://`.
  const std::shared_ptr<const MemoryStorage>& memory() const { return memory_; }

 private:
  std::shared_ptr<const MemoryStorage> memory_;
};

}  // namespace sluice
