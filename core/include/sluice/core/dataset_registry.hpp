#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <sluice/core/dataset.hpp>
#include <sluice/core/export.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/param.hpp>
#include <sluice/core/util/factory_registry.hpp>

namespace sluice {

class Clock;
class CodecRegistry;
class DatasetTypeRegistry;
class StorageRegistry;
struct FileLocation;

/// What a dataset factory is given to build one catalog entry.
struct DatasetContext {
  /// The dataset's name in the catalog.
  std::string name;
  /// The entry's options: everything but `type` and `credentials`.
  Param options;
  /// The credentials the entry refers to, resolved from credentials.yml (null if none).
  Param credentials;
  /// Their name in credentials.yml (the entry's `credentials:`; empty if none).
  std::string credentials_name;
  /// Where the entry was written.
  SourceMark mark;
  const CodecRegistry* codecs = nullptr;
  const DatasetTypeRegistry* types = nullptr;
  /// Relative file paths are resolved against this folder.
  std::filesystem::path root;
  /// The run's save version, shared by every versioned dataset.
  std::string save_version;
  /// The version to load (from --load-versions); empty for the latest.
  std::string load_version;
  /// The run's clock, for datasets that wait or time-stamp (null: the system clock).
  const Clock* clock = nullptr;
  /// The storage schemes of `filepath` (null: local files only).
  const StorageRegistry* storages = nullptr;
  /// Whether a local `filepath` fsyncs its writes when its fs_args do not say
  /// (CatalogOptions::fsync).
  bool fsync = true;
};

/// Reads a dataset factory's options (OptionReader) and resolves `filepath` to its storage.
class SLUICE_API DatasetOptions : public OptionReader {
 public:
  DatasetOptions(const DatasetContext& context, const std::string& type);

  /// Where `filepath` points: its scheme picks the storage (StorageRegistry::open), handed the
  /// entry's credentials and its `fs_args` map (also read here); a local path is resolved
  /// against the context's root.
  FileLocation filepath();

 private:
  const DatasetContext& context_;
};

using DatasetFactory = std::function<std::shared_ptr<Dataset>(const DatasetContext&)>;

/// Dataset types by the name YAML uses (`type: BinaryDataset`). Filled at start-up (built-ins,
/// then plugins); read concurrently afterwards.
class SLUICE_API DatasetTypeRegistry : public FactoryRegistry<DatasetFactory> {
 public:
  DatasetTypeRegistry() : FactoryRegistry("type") {}
  /// ConfigError naming the entry and listing known types when `type` is unknown.
  std::shared_ptr<Dataset> create(std::string_view type, const DatasetContext& context) const;
};

/// Builds the dataset a wrapper's nested option describes (the `dataset:` of CachedDataset or
/// SimulatedStorage): its `type` picks the factory, the rest are its options, and errors about it
/// name the nested map's own file:line. `where` names the option (OptionReader::where(key)) for
/// the error when the map has no `type`.
SLUICE_API std::shared_ptr<Dataset> create_nested_dataset(const DatasetContext& context,
                                                          const Param& nested,
                                                          const std::string& where);

}  // namespace sluice
