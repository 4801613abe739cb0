#pragma once

#include <filesystem>
#include <string>

#include <sluice/core/dataset.hpp>

namespace sluice {

/// Kedro-style versioning: data lives at `<filepath>/<version>/<file name>`.
struct Versioning {
  bool enabled = false;
  /// Version to load; empty means the latest.
  std::string load_version;
  /// Version to save under; empty means a new stamp from the system clock at construction.
  std::string save_version;
};

/// Common ground of datasets stored in one local file: versioned paths, atomic writes (temp
/// file, fsync, rename; parent folders created) and errors naming the path.
class SLUICE_API FileDataset : public Dataset {
 public:
  Value load() override;
  void save(const Value& value) override;
  bool exists() const override;
  std::string describe() const override;

  const std::filesystem::path& filepath() const { return filepath_; }
  /// The file a load reads (resolving the latest version); DatasetError when there is none.
  std::filesystem::path load_path() const;
  /// The file a save writes.
  std::filesystem::path save_path() const;

 protected:
  FileDataset(std::filesystem::path filepath, Versioning versioning);

  virtual std::string encode(const Value& value) const = 0;
  virtual Value decode(std::string bytes, const std::filesystem::path& path) const = 0;
  /// Extra "key=value" text for describe().
  virtual std::string describe_options() const { return {}; }

 private:
  std::filesystem::path filepath_;
  Versioning versioning_;
};

/// Reads a whole file; DatasetError naming the path when it is missing or unreadable.
SLUICE_API std::string read_file(const std::filesystem::path& path);
/// Writes via a temp file in the same folder, fsync and rename, creating parent folders; a
/// reader never sees a partial file.
SLUICE_API void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace sluice
