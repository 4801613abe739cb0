#pragma once

#include <sluice/runners/runner.hpp>

namespace sluice {

/// Runs nodes one at a time, in the pipeline's topological order.
class SLUICE_API SequentialRunner final : public Runner {
 public:
  std::string name() const override { return "sequential"; }

 protected:
  void run_plan(const RunState& state, std::vector<bool>& finished) override;
};

}  // namespace sluice
