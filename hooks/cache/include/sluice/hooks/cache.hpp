#pragma once

#include <string>
#include <vector>

#include <sluice/core/hook.hpp>
#include <sluice/core/param.hpp>

namespace sluice {

/// Wraps chosen persisted datasets in CachedDataset when the catalog is created: saves still
/// write through synchronously, loads after a save (or a first load) come from memory, and the
/// cached value is dropped by the release rule after its last consumer.
class CacheHook final : public Hook {
 public:
  /// `patterns`: shell globs (`*`, `?`, `[...]`) over dataset names.
  explicit CacheHook(std::vector<std::string> patterns = {"*"});
  /// Option `datasets`: a list of globs (default: every persisted dataset). ConfigError with
  /// file and line for unknown options.
  static std::shared_ptr<CacheHook> from_options(const Param& options, const std::string& name);

  Events events() const override { return {Event::after_catalog_created}; }
  void after_catalog_created(Catalog& catalog) override;

  /// The datasets wrapped so far.
  const std::vector<std::string>& cached() const { return cached_; }

 private:
  std::vector<std::string> patterns_;
  std::vector<std::string> cached_;
};

}  // namespace sluice
