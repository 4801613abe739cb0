#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <sluice/core/dataset.hpp>
#include <sluice/core/export.hpp>
#include <sluice/core/param.hpp>

namespace sluice {

class Clock;
class HookManager;
class Node;
class Pipeline;
struct Registry;

/// Name → dataset. Every load, save and release of a run goes through the catalog.
///
/// Thread-safe: lookups, loads, saves and releases may run concurrently from worker threads;
/// the catalog holds its lock only to find a dataset, never during I/O.
class SLUICE_API Catalog {
 public:
  Catalog() = default;
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;
  Catalog(Catalog&&) noexcept;
  Catalog& operator=(Catalog&&) noexcept;
  ~Catalog();

  /// Registers a dataset. A name already taken is an error unless `replace`.
  void add(std::string name, std::shared_ptr<Dataset> dataset, bool replace = false);
  bool contains(std::string_view name) const;
  /// The dataset, or nullptr.
  std::shared_ptr<Dataset> find(std::string_view name) const;
  /// The dataset; DatasetError with close matches when absent.
  std::shared_ptr<Dataset> get(std::string_view name) const;
  /// The dataset, registering a MemoryDataset first when the name is unknown.
  std::shared_ptr<Dataset> get_or_add_default(std::string_view name);
  /// Registered names, sorted.
  std::vector<std::string> list() const;

  /// A pipeline's datasets, indexed by its dataset ids (Pipeline::dataset_name).
  using Datasets = std::vector<std::shared_ptr<Dataset>>;
  /// The datasets of `pipeline`, registering a MemoryDataset for each one the catalog does
  /// not know, except its free inputs: when any of those is missing, nothing is registered,
  /// `missing` gets their ids and the result is null. The names are looked up on the first
  /// call for a pipeline (or a copy of it) only: later calls hash nothing, returning the same
  /// datasets while none was replaced (after a replacement the next call looks the names up
  /// again). Keeps the last few pipelines' bindings. The memory datasets one call registers
  /// share one allocation, freed when the last of them is dropped.
  std::shared_ptr<const Datasets> bind(const Pipeline& pipeline,
                                       std::vector<std::uint32_t>& missing);

  /// These wrap dataset failures in a DatasetError naming the dataset and its description.
  /// Loading, saving and releasing change what the catalog holds (and emit the dataset events),
  /// so they need a mutable catalog: hooks, which see a CatalogView, cannot call them.
  Value load(std::string_view name);
  void save(std::string_view name, const Value& value);
  void release(std::string_view name);
  bool exists(std::string_view name) const;

  /// The same for runners that looked `dataset` (registered as `name`) up once per run, so a
  /// node costs no name lookups. `node` is passed to the dataset events.
  Value load(std::string_view name, Dataset& dataset, const Node* node = nullptr);
  void save(std::string_view name, Dataset& dataset, const Value& value,
            const Node* node = nullptr);
  void release(std::string_view name, Dataset& dataset);

  /// Makes `hooks` the hooks of the run, then emits `after_catalog_created(*this)` to them, so
  /// hooks that wrap datasets (tee, cache) see every dataset added so far. Loads, saves and
  /// releases emit the dataset events through them, and runners emit the pipeline and node
  /// events. Attaching again (after adding datasets) emits the event again; null detaches.
  void attach(std::shared_ptr<const HookManager> hooks);
  const HookManager* hooks() const { return hooks_.get(); }

  /// Registers `parameters` (the whole tree) and `params:<dotted.key>` for every key of every
  /// nested map, as read-only ParameterDatasets.
  void add_parameters(const Param& parameters);
  static bool is_parameter(std::string_view name);

  /// Calls `visit(name, dataset)` for every dataset, in no particular order, under the
  /// catalog's read lock (do not add datasets from `visit`).
  void for_each(const std::function<void(const std::string&, const Dataset&)>& visit) const;

 private:
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const noexcept {
      return std::hash<std::string_view>{}(name);
    }
  };

  struct Binding;

  std::shared_ptr<const HookManager> hooks_;
  mutable std::shared_mutex mutex_;
  // The keys view blocks of names_ (whose characters never move), so each name is stored once,
  // and the names of the datasets one bind registers in a single block.
  std::unordered_map<std::string_view, std::shared_ptr<Dataset>, NameHash, std::equal_to<>>
      datasets_;
  std::vector<std::unique_ptr<char[]>> names_;
  // The pipelines bound last, most recent first.
  std::mutex bindings_mutex_;  // taken before mutex_, never after
  std::vector<std::shared_ptr<Binding>> bindings_;
};

/// Bytes (by sluice::byte_size) the catalog's datasets keep in memory right now: values of
/// memory datasets, caches and write-behind buffers, each distinct value counted once.
/// Parameters are not counted.
SLUICE_API std::uint64_t held_bytes(const Catalog& catalog);
/// Bytes of `values`, each distinct value (by its data) counted once.
SLUICE_API std::uint64_t distinct_bytes(std::vector<Value> values);

/// How to build a catalog from configuration.
struct CatalogOptions {
  /// Relative file paths in the catalog resolve against this folder (the project folder).
  std::filesystem::path root = ".";
  /// Shared by every versioned dataset of the run; empty: a new run id (make_run_id) from `clock`.
  std::string save_version;
  /// Stamps the save version and is handed to datasets that wait (simulated storage);
  /// nullptr means the system clock.
  const Clock* clock = nullptr;
  /// dataset → version to load.
  std::map<std::string, std::string> load_versions;
  /// Overrides merged into parameters.yml by dotted key (`model.alpha` → {model: {alpha}}).
  Param runtime_params;
  /// Whether local file writes fsync the file and its folder, unless an entry's
  /// `fs_args: {fsync: ...}` says otherwise (the project's settings.yml `fsync:`).
  bool fsync = true;
};

/// Builds a catalog from parsed catalog, credentials and parameters configuration. Errors name
/// the file, line and column of the offending entry; credentials never appear in messages.
SLUICE_API Catalog make_catalog(const Param& catalog_config, const Param& credentials,
                                const Param& parameters, const Registry& registry,
                                const CatalogOptions& options = {});

/// Sets `dotted.key` in a map tree, creating the maps on the way.
SLUICE_API void set_dotted(Param& tree, std::string_view dotted_key, Param value);

}  // namespace sluice
