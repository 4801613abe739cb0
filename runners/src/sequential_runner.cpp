#include <spdlog/spdlog.h>

#include <sluice/core/log.hpp>
#include <sluice/runners/sequential_runner.hpp>

namespace sluice {

void SequentialRunner::run_plan(const RunState& state, std::vector<std::uint8_t>& finished) {
  ReleaseTracker releases(state, /*concurrent=*/false);  // one thread
  const std::size_t total = state.plan.node_count();
  for (std::size_t node = 0; node < total; ++node) {
    run_node(state, node);
    finished[node] = 1;
    releases.node_finished(node);
    logger().info("Completed {} out of {} tasks", node + 1, total);
  }
}

}  // namespace sluice
