#pragma once

#include <string>
#include <vector>

#include <sluice/core/export.hpp>
#include <sluice/core/value.hpp>

namespace sluice {

/// Where a dataset's data lives, and how to load and save it.
///
/// Thread-safety contract: implementations must allow load, save, exists and release from
/// several threads at once. Memory datasets guard their state with a mutex; file datasets
/// write through a unique temp file and an atomic rename, so readers see whole files only.
class SLUICE_API Dataset {
 public:
  virtual ~Dataset() = default;

  /// Throws DatasetError when there is nothing to load or the data is unreadable.
  virtual Value load() = 0;
  virtual void save(const Value& value) = 0;
  virtual bool exists() const = 0;
  /// Drops whatever the dataset holds in memory. Persisted data stays.
  virtual void release() {}
  /// The registered type name, e.g. "BinaryDataset".
  virtual std::string dataset_type() const = 0;
  /// A one-line description for logs, e.g. "BinaryDataset(filepath=data/x.bin)". Never
  /// includes credentials.
  virtual std::string describe() const { return dataset_type(); }
  /// Memory-only: its data is gone at the end of the process, so it is not a resume point.
  virtual bool is_ephemeral() const { return false; }
  /// Appends the values this dataset keeps in memory right now, for memory accounting
  /// (sluice::held_bytes). Persisted data does not count, nor does simulated storage.
  virtual void held_values(std::vector<Value>& /*out*/) const {}
  /// A save was accepted but is not persisted yet (a tee's background write). Does not wait.
  virtual bool write_pending() const { return false; }
  /// Returns once no write is pending (write_pending() is false): the write succeeded or
  /// failed, and whoever made it reports the failure. A dataset that writes in the background
  /// overrides both; the others never have a pending write.
  virtual void wait_for_writes() const {}
  /// Called once at the start of a run that saves this dataset (Runner::run, for every output
  /// that is not ephemeral), from a thread of its own, at the same time as the run's first
  /// nodes and the other datasets' calls: whatever a first save would otherwise do before it
  /// writes, done off the save's path. A file dataset takes its writer lock here, which costs a
  /// round trip on a remote filesystem. Never throws: what fails here the save tries again and
  /// reports. A decorator forwards it to what it wraps.
  virtual void prepare_save() {}
};

}  // namespace sluice
