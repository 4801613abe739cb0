#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/log.hpp>
#include <sluice/runners/node_error.hpp>
#include <sluice/runners/resume.hpp>
#include <sluice/runners/runner.hpp>

namespace sluice {
namespace {

std::string current_exception_message() {
  try {
    throw;
  } catch (const std::exception& error) {
    return error.what();
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

void check_free_inputs(const Pipeline& pipeline, const Catalog& catalog) {
  std::vector<std::string> missing;
  for (const auto& input : pipeline.inputs()) {
    if (!catalog.contains(input)) {
      const auto& first_reader = pipeline.nodes()[pipeline.consumers_of(input).front()];
      missing.push_back(fmt::format("'{}' (read by node '{}')", input, first_reader.name()));
    }
  }
  if (!missing.empty()) {
    throw RunError(fmt::format(
        "pipeline input{} {} {} not in the catalog; add {} to conf/base/catalog.yml (or "
        "parameters.yml for params:), or run the nodes that produce {} too",
        missing.size() == 1 ? "" : "s", fmt::join(missing, ", "),
        missing.size() == 1 ? "is" : "are", missing.size() == 1 ? "it" : "them",
        missing.size() == 1 ? "it" : "them"));
  }
}

}  // namespace

std::map<std::string, Value> Runner::run(const Pipeline& pipeline, Catalog& catalog) {
  check_free_inputs(pipeline, catalog);
  for (const auto& dataset : pipeline.all_outputs()) {
    catalog.get_or_add_default(dataset);
  }
  const Plan plan(pipeline);
  std::vector<bool> finished(plan.node_count(), false);
  try {
    run_plan(plan, catalog, finished);
  } catch (const NodeError& error) {
    throw NodeError(error.node(), error.phase(), error.cause_message(),
                    find_resume_nodes(pipeline, catalog, finished), error.cause());
  }
  logger().info("Pipeline execution completed successfully.");

  std::map<std::string, Value> outputs;
  for (const auto& output : pipeline.outputs()) {
    if (const auto dataset = catalog.find(output); dataset && dataset->is_ephemeral()) {
      outputs.emplace(output, catalog.load(output));
    }
  }
  return outputs;
}

void Runner::run_node(const Plan& plan, std::size_t index, Catalog& catalog) {
  const Node& node = plan.pipeline().nodes()[index];
  auto fail = [&node](NodePhase phase) {
    throw NodeError(node.name(), phase, current_exception_message(), {}, std::current_exception());
  };
  std::vector<Value> inputs;
  inputs.reserve(node.inputs().size());
  try {
    for (const auto& input : node.inputs()) {
      inputs.push_back(catalog.load(input));
    }
  } catch (...) {
    fail(NodePhase::load);
  }
  logger().info("Running node: {}([{}]) -> [{}]", node.name(), fmt::join(node.inputs(), ","),
                fmt::join(node.outputs(), ","));
  std::vector<Value> outputs;
  try {
    outputs = node.run(inputs);
  } catch (...) {
    fail(NodePhase::run);
  }
  inputs.clear();
  try {
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      catalog.save(node.outputs()[i], outputs[i]);
    }
  } catch (...) {
    fail(NodePhase::save);
  }
}

ReleaseTracker::ReleaseTracker(const Plan& plan) : plan_(plan) {
  remaining_.resize(plan.dataset_count());
  for (Plan::DatasetId id = 0; id < plan.dataset_count(); ++id) {
    remaining_[id] = plan.consumer_count(id);
  }
}

void ReleaseTracker::node_finished(std::size_t node, const Catalog& catalog) {
  for (Plan::DatasetId id : plan_.inputs_of(node)) {
    if (--remaining_[id] == 0 && !plan_.is_free_output(id)) {
      catalog.release(plan_.dataset_name(id));
    }
  }
}

}  // namespace sluice
