#pragma once

#include <cstdint>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <sluice/core/catalog.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/pipeline.hpp>

namespace sluice::testing {

/// A seeded random DAG of pure int64 nodes: node i reads 0-3 datasets among the free inputs
/// and earlier outputs, and writes 1-2 datasets. Each output is a hash of the node's index,
/// the output's position and the inputs, so any schedule gives the same values.
struct RandomDag {
  Pipeline pipeline;
  std::vector<std::string> free_inputs;

  /// A catalog holding the free inputs (fresh each time: runs release them).
  Catalog catalog() const {
    Catalog catalog;
    for (std::size_t i = 0; i < free_inputs.size(); ++i) {
      catalog.add(free_inputs[i],
                  std::make_shared<MemoryDataset>(Value::of(static_cast<std::int64_t>(i + 7))));
    }
    return catalog;
  }
};

/// Hashes `a + b` (wrapping: no signed overflow) to a non-negative int64.
inline std::int64_t mix(std::int64_t a, std::int64_t b = 0) {
  auto x = static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b);
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return static_cast<std::int64_t>(x & 0x7fffffffffffffffULL);
}

/// `failing` names nodes whose function throws.
inline RandomDag random_dag(std::uint64_t seed, std::size_t max_nodes = 24,
                            std::set<std::string> failing = {}) {
  std::mt19937_64 random(seed);
  auto below = [&random](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  RandomDag dag;
  const std::size_t inputs = 1 + below(3);
  std::vector<std::string> available;
  for (std::size_t i = 0; i < inputs; ++i) {
    dag.free_inputs.push_back("in" + std::to_string(i));
    available.push_back(dag.free_inputs.back());
  }
  const std::size_t nodes = 2 + below(max_nodes - 1);
  std::vector<Node> built;
  for (std::size_t n = 0; n < nodes; ++n) {
    const std::string name = "node" + std::to_string(n);
    std::set<std::string> reads;
    const std::size_t read_count = below(4);
    for (std::size_t r = 0; r < read_count; ++r) {
      reads.insert(available[below(available.size())]);
    }
    std::vector<std::string> outputs;
    const std::size_t write_count = 1 + below(2);
    for (std::size_t w = 0; w < write_count; ++w) {
      outputs.push_back(name + "_out" + std::to_string(w));
    }
    const bool fails = failing.contains(name);
    built.emplace_back(name, std::vector<std::string>(reads.begin(), reads.end()), outputs,
                       [n, write_count, fails, name](const std::vector<Value>& values,
                                                     const std::vector<std::string>&) {
                         if (fails) {
                           throw std::runtime_error("injected failure in " + name);
                         }
                         std::int64_t sum = static_cast<std::int64_t>(n) * 1000003;
                         for (const Value& value : values) {
                           sum = mix(sum, value.get<std::int64_t>());
                         }
                         std::vector<Value> results;
                         for (std::size_t w = 0; w < write_count; ++w) {
                           results.push_back(Value::of(mix(sum, static_cast<std::int64_t>(w))));
                         }
                         return results;
                       });
    available.insert(available.end(), outputs.begin(), outputs.end());
  }
  dag.pipeline = Pipeline(std::move(built));
  return dag;
}

}  // namespace sluice::testing
