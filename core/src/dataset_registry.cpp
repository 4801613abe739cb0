#include <fmt/format.h>

#include <sluice/core/dataset_registry.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/suggest.hpp>

namespace sluice {

DatasetOptions::DatasetOptions(const DatasetContext& context, const std::string& type)
    : OptionReader(context.options, fmt::format("dataset '{}' ({})", context.name, type)),
      context_(context) {}

std::filesystem::path DatasetOptions::filepath() {
  std::filesystem::path path = required_string("filepath");
  return path.is_absolute() ? path : context_.root / path;
}

void DatasetTypeRegistry::add(std::string type, DatasetFactory factory) {
  if (factories_.contains(type)) {
    throw ConfigError(fmt::format("dataset type '{}' is already registered", type));
  }
  factories_.emplace(std::move(type), std::move(factory));
}

bool DatasetTypeRegistry::contains(std::string_view type) const {
  return factories_.find(type) != factories_.end();
}

std::shared_ptr<Dataset> DatasetTypeRegistry::create(std::string_view type,
                                                     const DatasetContext& context) const {
  auto found = factories_.find(type);
  if (found == factories_.end()) {
    const std::string mark = context.mark.str();
    throw ConfigError(fmt::format("{}{}dataset '{}': unknown type '{}'{}; known types: {}", mark,
                                  mark.empty() ? "" : ": ", context.name, type,
                                  did_you_mean(type, names()), fmt::join(names(), ", ")));
  }
  return found->second(context);
}

std::vector<std::string> DatasetTypeRegistry::names() const {
  std::vector<std::string> names;
  for (const auto& [name, factory] : factories_) {
    names.push_back(name);
  }
  return names;
}

}  // namespace sluice
