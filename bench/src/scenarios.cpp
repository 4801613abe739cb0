#include <charconv>
#include <random>
#include <set>

#include <fmt/format.h>
#include <unistd.h>

#include <sluice/bench/scenarios.hpp>
#include <sluice/bench/slow_storage.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/util/units.hpp>

namespace sluice::bench {
namespace {

using Payload = std::vector<double>;

struct Builder {
  ScenarioOptions options;
  const Clock& clock;
  std::vector<Node> nodes;

  void compute() const { spend_compute(clock, options.compute, options.mode); }

  // A node reading `inputs` and writing `outputs`: waits its compute time, then emits payloads
  // derived from its inputs, so that the data depends on the whole upstream graph.
  void add(const std::string& name, std::vector<std::string> inputs,
           std::vector<std::string> outputs) {
    const std::size_t count = outputs.size();
    const std::size_t payload = options.payload;
    nodes.emplace_back(
        name, std::move(inputs), std::move(outputs),
        [this, count, payload](const std::vector<Value>& values, const std::vector<std::string>&) {
          compute();
          double seed = 1;
          for (const Value& value : values) {
            const auto& data = value.get<Payload>();
            seed += data.empty() ? 0 : data.front();
          }
          std::vector<Value> results;
          for (std::size_t i = 0; i < count; ++i) {
            results.push_back(Value::of(Payload(payload, seed + static_cast<double>(i))));
          }
          return results;
        });
  }
};

std::size_t parse_count(std::string_view text, std::string_view spec) {
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0) {
    throw ConfigError(fmt::format("scenario '{}': '{}' is not a positive count", spec, text));
  }
  return value;
}

// A node count, capped before anything is built for it.
std::size_t parse_node_count(std::string_view text, std::string_view spec) {
  const std::size_t count = parse_count(text, spec);
  if (count > kMaxScenarioNodes) {
    throw ConfigError(fmt::format(
        "scenario '{}' is too large: {} nodes, but generated scenarios have at most {} (every "
        "node, its dataset and its payload are built and run for each strategy); use a smaller "
        "N",
        spec, count, kMaxScenarioNodes));
  }
  return count;
}

}  // namespace

void spend_compute(const Clock& clock, Clock::duration compute, ComputeMode mode) {
  if (compute <= Clock::duration::zero()) {
    return;
  }
  if (mode == ComputeMode::sleep) {
    clock.sleep_for(compute);
    return;
  }
  const auto until = clock.now() + compute;
  volatile double sink = 0;
  while (clock.now() < until) {
    for (int i = 0; i < 1000; ++i) {
      sink = sink + 1.0;
    }
  }
}

void check_payload(std::uint64_t bytes, std::string_view what) {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) {
    return;  // memory size unknown: let the allocation decide
  }
  const auto memory = static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
  // The input and at least one node's output are in memory at once.
  const std::uint64_t limit = memory / 4;
  if (bytes > limit) {
    throw ConfigError(fmt::format(
        "{} {} is too large: every generated dataset holds that much in memory, and this "
        "machine has {} (the limit is a quarter of it, {}); use a smaller {}",
        what, format_size(bytes), format_size(memory), format_size(limit), what));
  }
}

void Scenario::add_inputs(Catalog& catalog, const ScenarioOptions& options) const {
  for (const auto& input : free_inputs) {
    catalog.add(input, std::make_shared<StoredDataset>(Value::of(Payload(options.payload, 1.0))),
                true);
  }
}

Scenario make_scenario(std::string_view spec, const ScenarioOptions& options, const Clock& clock) {
  const auto colon = spec.find(':');
  const std::string_view kind = spec.substr(0, colon);
  const std::string_view rest = colon == std::string_view::npos ? "" : spec.substr(colon + 1);
  auto builder = std::make_shared<Builder>(Builder{options, clock, {}});
  Scenario scenario;
  scenario.name = std::string(spec);
  scenario.free_inputs = {"raw"};
  if (kind == "chain" && !rest.empty()) {
    const std::size_t length = parse_node_count(rest, spec);
    std::string previous = "raw";
    for (std::size_t i = 1; i <= length; ++i) {
      const std::string output = fmt::format("step_{}_out", i);
      builder->add(fmt::format("step_{}", i), {previous}, {output});
      previous = output;
    }
  } else if (kind == "fanout" && !rest.empty()) {
    const std::size_t width = parse_node_count(rest, spec);
    builder->add("source", {"raw"}, {"shared"});
    std::vector<std::string> branches;
    for (std::size_t i = 1; i <= width; ++i) {
      branches.push_back(fmt::format("branch_{}_out", i));
      builder->add(fmt::format("branch_{}", i), {"shared"}, {branches.back()});
    }
    builder->add("join", branches, {"result"});
  } else if (kind == "diamond" && rest.empty()) {
    builder->add("top", {"raw"}, {"top_out"});
    builder->add("left", {"top_out"}, {"left_out"});
    builder->add("right", {"top_out"}, {"right_out"});
    builder->add("bottom", {"left_out", "right_out"}, {"result"});
  } else if (kind == "random" && !rest.empty()) {
    const auto second = rest.find(':');
    const std::size_t count = parse_node_count(rest.substr(0, second), spec);
    const std::uint64_t seed =
        second == std::string_view::npos ? 1 : parse_count(rest.substr(second + 1), spec);
    std::mt19937_64 random(seed);
    std::vector<std::string> available = {"raw"};
    for (std::size_t i = 1; i <= count; ++i) {
      std::set<std::string> reads;
      const std::size_t read_count = 1 + random() % 3;
      for (std::size_t r = 0; r < read_count; ++r) {
        reads.insert(available[random() % available.size()]);
      }
      const std::string output = fmt::format("node_{}_out", i);
      builder->add(fmt::format("node_{}", i), {reads.begin(), reads.end()}, {output});
      available.push_back(output);
    }
  } else {
    throw ConfigError(fmt::format(
        "unknown scenario '{}'; write chain:N, fanout:N, diamond or random:N[:seed] (or iris, "
        "project)",
        spec));
  }
  // The nodes' functions use the builder (options, clock): each holds a share of it.
  std::vector<Node> nodes;
  for (const Node& node : builder->nodes) {
    nodes.push_back(node.with_function(Node::Body(
        [builder, node](const std::vector<Value>& inputs, const std::vector<std::string>&,
                        std::vector<Value>& outputs) { node.run(inputs, outputs); })));
  }
  scenario.pipeline = Pipeline(std::move(nodes));
  return scenario;
}

}  // namespace sluice::bench
