#include <fmt/format.h>

#include <sluice/core/dataset_registry.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/suggest.hpp>

namespace sluice {

DatasetOptions::DatasetOptions(const DatasetContext& context, std::string type)
    : context_(context), type_(std::move(type)) {
  if (!context_.options.is_map() && !context_.options.is_null()) {
    throw ConfigError(fmt::format("{}: the entry must be a map of options", where()));
  }
  known_.insert("metadata");  // free-form, for people and tools; ignored by sluice
}

std::string DatasetOptions::where() const {
  const std::string mark = context_.mark.str();
  return fmt::format("{}{}dataset '{}' ({})", mark, mark.empty() ? "" : ": ", context_.name, type_);
}

const Param* DatasetOptions::take(const std::string& key) {
  known_.insert(key);
  const Param* value = context_.options.find(key);
  return value == nullptr || value->is_null() ? nullptr : value;
}

std::string DatasetOptions::required_string(const std::string& key) {
  const Param* value = take(key);
  if (value == nullptr) {
    throw ConfigError(fmt::format("{}: option '{}' is required", where(), key));
  }
  return value->as<std::string>(fmt::format("option '{}' of dataset '{}'", key, context_.name));
}

std::optional<std::string> DatasetOptions::optional_string(const std::string& key) {
  const Param* value = take(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  return value->as<std::string>(fmt::format("option '{}' of dataset '{}'", key, context_.name));
}

bool DatasetOptions::flag(const std::string& key, bool fallback) {
  const Param* value = take(key);
  if (value == nullptr) {
    return fallback;
  }
  return value->as<bool>(fmt::format("option '{}' of dataset '{}'", key, context_.name));
}

const Param& DatasetOptions::required_map(const std::string& key) {
  const Param* value = take(key);
  if (value == nullptr || !value->is_map()) {
    throw ConfigError(
        fmt::format("{}: option '{}' must be a map (a dataset entry with a type)", where(), key));
  }
  return *value;
}

std::filesystem::path DatasetOptions::filepath() {
  std::filesystem::path path = required_string("filepath");
  return path.is_absolute() ? path : context_.root / path;
}

void DatasetOptions::finish() const {
  if (!context_.options.is_map()) {
    return;
  }
  std::vector<std::string> unknown;
  const std::vector<std::string> known(known_.begin(), known_.end());
  for (const auto& [key, value] : context_.options.as_map()) {
    if (!known_.contains(key)) {
      const std::string mark = value.mark().str();
      unknown.push_back(fmt::format("'{}'{}{}", key, did_you_mean(key, known),
                                    mark.empty() ? "" : " at " + mark));
    }
  }
  if (!unknown.empty()) {
    throw ConfigError(fmt::format("{}: unknown option {}; {} takes: {}", where(),
                                  fmt::join(unknown, ", "), type_, fmt::join(known, ", ")));
  }
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
