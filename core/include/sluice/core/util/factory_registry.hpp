#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <sluice/core/error.hpp>
#include <sluice/core/util/suggest.hpp>

namespace sluice {

/// Named factories of one kind ("hook", "runner", "type"...). Refuses duplicates; an unknown
/// name is a ConfigError listing the known ones. Filled at start-up, read concurrently after.
template <class Factory>
class FactoryRegistry {
 public:
  explicit FactoryRegistry(std::string kind) : kind_(std::move(kind)) {}

  void add(std::string name, Factory factory) {
    if (name.empty()) {
      throw ConfigError(fmt::format("a {} needs a non-empty name", kind_));
    }
    if (factories_.contains(name)) {
      throw ConfigError(fmt::format("a {} named '{}' is already registered", kind_, name));
    }
    factories_.emplace(std::move(name), std::move(factory));
  }

  bool contains(std::string_view name) const { return factories_.find(name) != factories_.end(); }

  /// The factory; `where` (e.g. "conf/base/hooks.yml:3:5") prefixes the error when unknown.
  const Factory& get(std::string_view name, std::string_view where = {}) const {
    if (auto found = factories_.find(name); found != factories_.end()) {
      return found->second;
    }
    const auto known = names();
    throw ConfigError(fmt::format(
        "{}{}unknown {} '{}'{}; known {}s: {}", where, where.empty() ? "" : ": ", kind_, name,
        did_you_mean(name, known), kind_,
        known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", "))));
  }

  std::vector<std::string> names() const {
    std::vector<std::string> names;
    for (const auto& [name, factory] : factories_) {
      names.push_back(name);
    }
    return names;
  }

 private:
  std::string kind_;
  std::map<std::string, Factory, std::less<>> factories_;
};

}  // namespace sluice
