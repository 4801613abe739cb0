#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/catalog.hpp>
#include <sluice/core/clock.hpp>
#include <sluice/core/pipeline.hpp>

namespace sluice::bench {

/// How a scenario's node spends its compute time: waiting on the clock (latency-like, scales
/// with the time scale) or burning CPU until the clock has moved that far.
enum class ComputeMode { sleep, spin };

/// Spends `compute` of simulated time as `mode` says (nothing for zero).
void spend_compute(const Clock& clock, Clock::duration compute, ComputeMode mode);

struct ScenarioOptions {
  /// Compute per node, in simulated time.
  Clock::duration compute{};
  ComputeMode mode = ComputeMode::sleep;
  /// Elements of the vector<double> each node produces (the data that storage moves).
  std::size_t payload = 1024;
};

/// A generated pipeline and the free inputs it needs, with their values.
struct Scenario {
  std::string name;
  Pipeline pipeline;
  std::vector<std::string> free_inputs;

  /// Registers the free inputs (as persisted datasets, so simulated storage can wrap them)
  /// in `catalog`; intermediates are left to the strategy.
  void add_inputs(Catalog& catalog, const ScenarioOptions& options) const;
};

/// The most nodes a generated scenario may have.
inline constexpr std::size_t kMaxScenarioNodes = 1'000'000;

/// ConfigError ("too large", naming `what`, the limit and this machine's memory) unless a
/// payload of `bytes` per dataset fits in memory: at most a quarter of the physical memory.
void check_payload(std::uint64_t bytes, std::string_view what = "payload");

/// Builds "chain:N", "fanout:N", "diamond" or "random:N[:seed]" (N at most kMaxScenarioNodes).
/// Nodes use `clock` for their compute; it must outlive the pipeline. ConfigError listing the
/// accepted forms otherwise.
Scenario make_scenario(std::string_view spec, const ScenarioOptions& options, const Clock& clock);

}  // namespace sluice::bench
