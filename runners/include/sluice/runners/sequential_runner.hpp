#pragma once

#include <sluice/runners/runner.hpp>

namespace sluice {

/// Runs nodes one at a time, in the pipeline's topological order.
class SLUICE_API SequentialRunner final : public Runner {
 public:
  using Runner::Runner;
  std::string name() const override { return "sequential"; }

 protected:
  void run_plan(const RunState& state, std::vector<std::uint8_t>& finished) override;
};

}  // namespace sluice
