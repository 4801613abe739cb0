#include <spdlog/spdlog.h>

#include <sluice/core/log.hpp>
#include <sluice/runners/sequential_runner.hpp>

namespace sluice {

void SequentialRunner::run_plan(const Plan& plan, Catalog& catalog, std::vector<bool>& finished) {
  ReleaseTracker releases(plan);
  const std::size_t total = plan.node_count();
  for (std::size_t node = 0; node < total; ++node) {
    run_node(plan, node, catalog);
    finished[node] = true;
    releases.node_finished(node, catalog);
    logger().info("Completed {} out of {} tasks", node + 1, total);
  }
}

}  // namespace sluice
