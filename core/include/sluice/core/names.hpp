#pragma once

#include <initializer_list>
#include <string>
#include <vector>

namespace sluice {

/// A list of dataset or node names, written as "a", {"a", "b"} or {} at call sites.
struct Names {
  std::vector<std::string> items;

  Names() = default;
  Names(const char* name) : items{name} {}
  Names(std::string name) : items{std::move(name)} {}
  Names(std::initializer_list<std::string> names) : items(names) {}
  Names(std::vector<std::string> names) : items(std::move(names)) {}
};

}  // namespace sluice
