#pragma once

#include <sluice/core/value.hpp>

namespace sluice::testing {

/// A copy of the data held by a (possibly temporary) Value, for assertions.
template <class T>
T value_as(const Value& value) {
  return value.get<T>();
}

}  // namespace sluice::testing
