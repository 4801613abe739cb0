#include <algorithm>

#include <fmt/format.h>

#include <sluice/core/dataset_registry.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/storage.hpp>
#include <sluice/core/util/suggest.hpp>

namespace sluice {

DatasetOptions::DatasetOptions(const DatasetContext& context, const std::string& type)
    : OptionReader(context.options, fmt::format("dataset '{}' ({})", context.name, type)),
      context_(context) {}

FileLocation DatasetOptions::filepath() {
  const std::string filepath = required_string("filepath");
  const Param* fs_args = optional_map("fs_args");
  const Param options = fs_args != nullptr ? *fs_args : Param();
  if (context_.storages != nullptr) {
    return context_.storages->open(filepath, context_.root, context_.credentials, options,
                                   where("filepath"), context_.credentials_name, context_.fsync);
  }
  static const StorageRegistry kLocalOnly;  // no factories; its memory store is never used
  if (filepath.find("://") != std::string::npos && !filepath.starts_with("file://")) {
    throw ConfigError(fmt::format(
        "{}: '{}' is not a local file, and this dataset was built without a storage registry "
        "(DatasetContext::storages); build the catalog with make_catalog, or use a local path",
        where("filepath"), filepath));
  }
  return kLocalOnly.open(filepath, context_.root, context_.credentials, options, where("filepath"),
                         context_.credentials_name, context_.fsync);
}

std::shared_ptr<Dataset> DatasetTypeRegistry::create(std::string_view type,
                                                     const DatasetContext& context) const {
  const std::string mark = context.mark.str();
  const std::string where =
      fmt::format("{}{}dataset '{}'", mark, mark.empty() ? "" : ": ", context.name);
  if (!contains(type)) {
    try {
      get(type, where);
    } catch (const ConfigError& error) {
      throw ConfigError(fmt::format(
          "{}; a type from a plugin (e.g. RedisDataset, from the plugin 'redis') is known once "
          "the plugin is listed under 'plugins:' in hooks.yml",
          error.what()));
    }
  }
  return get(type, where)(context);
}

std::shared_ptr<Dataset> create_nested_dataset(const DatasetContext& context, const Param& nested,
                                               const std::string& where) {
  const Param* type = nested.find("type");
  if (type == nullptr) {
    throw ConfigError(where + ": needs a 'type'");
  }
  DatasetContext inner = context;
  inner.options = nested;
  inner.mark = nested.mark();
  auto& entries = inner.options.as_map();
  entries.erase(std::find_if(entries.begin(), entries.end(),
                             [](const auto& entry) { return entry.first == "type"; }));
  return context.types->create(type->as<std::string>("the 'type' of a nested dataset"), inner);
}

}  // namespace sluice
