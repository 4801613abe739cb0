#pragma once

#include <memory>
#include <mutex>

#include <sluice/core/dataset.hpp>

namespace sluice {

/// Keeps the last saved or loaded value in memory in front of another dataset. Saves write
/// through synchronously; loads after a save (or a first load) come from memory; release drops
/// the memory copy.
class SLUICE_API CachedDataset : public Dataset {
 public:
  explicit CachedDataset(std::shared_ptr<Dataset> inner);

  Value load() override;
  void save(const Value& value) override;
  bool exists() const override;
  void release() override;
  /// The wrapped dataset's type with "(cached)", e.g. "BinaryDataset (cached)": logs show
  /// where the data goes. (The type registered for catalog.yml is still `CachedDataset`.)
  std::string dataset_type() const override { return inner_->dataset_type() + " (cached)"; }
  std::string describe() const override;
  bool is_ephemeral() const override { return inner_->is_ephemeral(); }
  void prepare_save() override { inner_->prepare_save(); }
  /// The memory copy, and whatever the wrapped dataset holds.
  void held_values(std::vector<Value>& out) const override;

  bool is_cached() const;
  const std::shared_ptr<Dataset>& inner() const { return inner_; }

 private:
  std::shared_ptr<Dataset> inner_;
  mutable std::mutex mutex_;
  Value cached_;
};

}  // namespace sluice
