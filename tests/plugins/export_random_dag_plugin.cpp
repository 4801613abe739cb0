// The project library of tests/export/random_project: pipeline "__default__" is the random DAG
// of seed 1515 (at most 12 nodes) of tests/support/random_dag.hpp, with one source node per
// free input so the pipeline runs from nothing (tagged slurm:mem=100M: Slurm resources from
// tags).

#include <cstdint>
#include <string>
#include <vector>

#include <sluice/core/plugin.hpp>

#include "support/random_dag.hpp"

namespace {

sluice::Pipeline random_project_pipeline() {
  const sluice::testing::RandomDag dag = sluice::testing::random_dag(1515, 12);
  std::vector<sluice::Node> nodes = dag.pipeline.nodes();
  for (std::size_t i = 0; i < dag.free_inputs.size(); ++i) {
    const auto value = static_cast<std::int64_t>(i + 7);
    nodes.emplace_back(
        "source_" + dag.free_inputs[i], std::vector<std::string>{},
        std::vector<std::string>{dag.free_inputs[i]},
        [value](const std::vector<sluice::Value>&, const std::vector<std::string>&) {
          return std::vector<sluice::Value>{sluice::Value::of(value)};
        },
        sluice::NodeOptions{.tags = {"slurm:mem=100M"}});
  }
  return sluice::Pipeline(std::move(nodes));
}

}  // namespace

SLUICE_PLUGIN(registrar) {
  registrar.add_pipeline("__default__", random_project_pipeline);
}
