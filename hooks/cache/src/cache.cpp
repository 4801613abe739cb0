#include <algorithm>

#include <fmt/format.h>
#include <fnmatch.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/datasets/cached_dataset.hpp>
#include <sluice/core/options.hpp>
#include <sluice/hooks/cache.hpp>

namespace sluice {

CacheHook::CacheHook(std::vector<std::string> patterns) : patterns_(std::move(patterns)) {}

std::shared_ptr<CacheHook> CacheHook::from_options(const Param& options, const std::string& name) {
  OptionReader reader(options, fmt::format("hook '{}'", name));
  auto patterns = reader.strings("datasets", {"*"});
  reader.finish();
  return std::make_shared<CacheHook>(std::move(patterns));
}

void CacheHook::after_catalog_created(Catalog& catalog) {
  for (const auto& name : catalog.list()) {
    auto dataset = catalog.get(name);
    const bool wanted = std::any_of(patterns_.begin(), patterns_.end(), [&](const auto& pattern) {
      return ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
    });
    // Memory datasets need no cache, parameters never change, and a cached one is cached.
    if (!wanted || dataset->is_ephemeral() || Catalog::is_parameter(name) ||
        std::dynamic_pointer_cast<CachedDataset>(dataset) != nullptr) {
      continue;
    }
    catalog.add(name, std::make_shared<CachedDataset>(std::move(dataset)), true);
    cached_.push_back(name);
  }
}

}  // namespace sluice
