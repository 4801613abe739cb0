#pragma once

#include <string>
#include <typeindex>
#include <typeinfo>

#include <sluice/core/export.hpp>

namespace sluice {

/// The readable (demangled) name of a type, e.g. "std::vector<double>".
SLUICE_API std::string type_name(const std::type_info& type);
SLUICE_API std::string type_name(std::type_index type);

template <class T>
std::string type_name() {
  return type_name(typeid(T));
}

}  // namespace sluice
