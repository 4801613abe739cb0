#pragma once

#include <string>
#include <vector>

#include <sluice/core/names.hpp>
#include <sluice/core/node.hpp>

namespace sluice::testing {

/// A node whose function ignores its inputs and returns an int per output: for tests about
/// graph shape, where what flows does not matter.
inline Node pass(std::string name, Names inputs, Names outputs,
                 std::vector<std::string> tags = {}) {
  const std::size_t count = outputs.items.size();
  return Node(
      std::move(name), std::move(inputs.items), std::move(outputs.items),
      [count](const std::vector<Value>&, const std::vector<std::string>&) {
        return std::vector<Value>(count, Value::of(0));
      },
      NodeOptions{.tags = std::move(tags)});
}

}  // namespace sluice::testing
