#pragma once

// The random DAGs of the pipeline and runner benchmarks: one builder, seeded, so every run of a
// benchmark builds the same DAG.

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <sluice/core/node.hpp>

namespace sluice::micro {

/// `count` nodes; node i writes d{i} and reads 1 to `max_reads` distinct datasets drawn
/// uniformly among the earlier outputs (d0 .. d{i-1}) and, when `free_input_anywhere`, the
/// free input `free_input` too (else only node 0 reads it). Each node passes its first input on.
inline std::vector<Node> random_dag_nodes(std::size_t count, std::size_t max_reads,
                                          const std::string& free_input, bool free_input_anywhere) {
  std::mt19937_64 random(14);
  std::vector<Node> nodes;
  nodes.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::vector<std::string> inputs;
    const std::size_t reads = 1 + random() % max_reads;
    for (std::size_t r = 0; r < reads; ++r) {
      // 0: the free input, k: d{k-1}.
      std::size_t from = 0;
      if (i != 0) {
        from = free_input_anywhere ? random() % (i + 1) : 1 + random() % i;
      }
      std::string name = from == 0 ? free_input : fmt::format("d{}", from - 1);
      if (std::find(inputs.begin(), inputs.end(), name) == inputs.end()) {
        inputs.push_back(std::move(name));
      }
    }
    nodes.emplace_back(fmt::format("n{}", i), std::move(inputs),
                       std::vector<std::string>{fmt::format("d{}", i)},
                       [](const std::vector<Value>& values, const std::vector<std::string>&) {
                         return std::vector<Value>{values.front()};
                       });
  }
  return nodes;
}

}  // namespace sluice::micro
