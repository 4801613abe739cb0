#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/export.hpp>
#include <sluice/core/param.hpp>
#include <sluice/core/value.hpp>

namespace sluice {

class Catalog;

/// What a hook may see of the catalog during a pipeline or node event: the datasets' names,
/// descriptions and states, and the values they hold, but no load, save or release (those go
/// through the runner, which emits the dataset events). A cheap value type over a
/// `const Catalog&`, like Taskflow's TaskView; valid while that catalog lives, which the runner
/// guarantees for the run the event belongs to. Copy what you need to keep after the run.
///
/// Thread-safe as the catalog is. Questions about a name the catalog does not hold answer "no"
/// (contains, exists, write_pending, is_ephemeral), "nothing" (held_values) or throw a
/// DatasetError with close matches (describe).
class SLUICE_API CatalogView {
 public:
  explicit CatalogView(const Catalog& catalog) : catalog_(&catalog) {}

  /// Registered names, sorted.
  std::vector<std::string> names() const;
  bool contains(std::string_view name) const;
  /// The dataset's one-line description (never with credentials).
  std::string describe(std::string_view name) const;
  /// Its data is in memory only: gone at the end of the process, not a resume point.
  bool is_ephemeral(std::string_view name) const;
  /// Whether there is data to load. Waits for a pending write of the dataset to settle first
  /// (Dataset::exists of a tee's wrapper does); DatasetError when the check fails.
  bool exists(std::string_view name) const;
  /// Whether a save of the dataset was accepted but is not persisted yet (a tee's background
  /// write), without waiting.
  bool write_pending(std::string_view name) const;
  /// Returns once the dataset has no pending write (Dataset::wait_for_writes): its write
  /// succeeded or failed (the hook that wrote it reports failures, not this call).
  void wait_for_writes(std::string_view name) const;
  /// The values the dataset keeps in memory right now (Dataset::held_values).
  std::vector<Value> held_values(std::string_view name) const;
  /// Bytes every dataset but the parameters keeps in memory right now, each distinct value
  /// counted once (sluice::held_bytes).
  std::uint64_t held_bytes() const;
  /// The `parameters` tree, or nothing when the catalog has none (or it is not a tree).
  std::optional<Param> parameters() const;

 private:
  const Catalog* catalog_;
};

}  // namespace sluice
