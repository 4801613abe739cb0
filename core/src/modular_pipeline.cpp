#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/modular_pipeline.hpp>
#include <sluice/core/util/suggest.hpp>

namespace sluice {
namespace {

std::string as_parameter(const std::string& name) {
  return name.starts_with("params:") ? name : "params:" + name;
}

std::string listed(const std::set<std::string>& names) {
  return names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

Pipeline pipeline(const Pipeline& pipe, const ModularPipelineOptions& options) {
  const std::string& space = options.namespace_name;
  std::set<std::string> free_inputs, parameters;
  for (const auto& name : pipe.inputs()) {
    (Catalog::is_parameter(name) ? parameters : free_inputs).insert(name);
  }
  std::map<std::string, std::string> mapping;
  for (const auto& [from, to] : options.inputs) {
    if (Catalog::is_parameter(from)) {
      throw PipelineError(fmt::format(
          "pipeline(): input '{}' is a parameter; map parameters with .parameters", from));
    }
    if (!free_inputs.contains(from)) {
      const auto producer = pipe.producer_of(from);
      throw PipelineError(
          producer ? fmt::format("pipeline(): input '{}' is produced by node '{}', so it is not "
                                 "a free input; map it with .outputs",
                                 from, pipe.nodes()[*producer].name())
                   : fmt::format("pipeline(): input '{}' is not a free input of the pipeline{}; "
                                 "its free inputs: {}",
                                 from, did_you_mean(from, {free_inputs.begin(), free_inputs.end()}),
                                 listed(free_inputs)));
    }
    mapping[from] = to;
  }
  for (const auto& [from, to] : options.outputs) {
    if (!pipe.all_outputs().contains(from)) {
      const auto& outputs = pipe.all_outputs();
      throw PipelineError(fmt::format(
          "pipeline(): output '{}' is not an output of the pipeline's nodes{}; its outputs: {}",
          from, did_you_mean(from, {outputs.begin(), outputs.end()}), listed(outputs)));
    }
    mapping[from] = to;
  }
  for (const auto& [from, to] : options.parameters) {
    const std::string key = as_parameter(from);
    if (!parameters.contains(key)) {
      throw PipelineError(fmt::format(
          "pipeline(): parameter '{}' is not used by the pipeline{}; its parameters: {}", key,
          did_you_mean(key, {parameters.begin(), parameters.end()}), listed(parameters)));
    }
    mapping[key] = as_parameter(to);
  }
  auto rename = [&](const std::string& name) -> std::string {
    if (const auto mapped = mapping.find(name); mapped != mapping.end()) {
      return mapped->second;
    }
    if (space.empty() || name == "parameters") {
      return name;
    }
    if (name.starts_with("params:")) {
      return fmt::format("params:{}.{}", space, name.substr(7));
    }
    return fmt::format("{}.{}", space, name);
  };
  std::vector<Node> nodes;
  nodes.reserve(pipe.size());
  for (const Node& node : pipe.nodes()) {
    std::vector<std::string> inputs, outputs;
    for (const auto& input : node.inputs()) {
      inputs.push_back(rename(input));
    }
    for (const auto& output : node.outputs()) {
      outputs.push_back(rename(output));
    }
    NodeOptions node_options;
    node_options.tags = node.tags();
    for (const auto& tag : options.tags) {
      if (std::find(node_options.tags.begin(), node_options.tags.end(), tag) ==
          node_options.tags.end()) {
        node_options.tags.push_back(tag);
      }
    }
    std::string name = node.name();
    node_options.namespace_name = node.namespace_name();
    if (!space.empty()) {
      name = fmt::format("{}.{}", space, name);
      node_options.namespace_name = node_options.namespace_name.empty()
                                        ? space
                                        : fmt::format("{}.{}", space, node_options.namespace_name);
    }
    nodes.push_back(node.renamed(std::move(name), std::move(inputs), std::move(outputs),
                                 std::move(node_options)));
  }
  return Pipeline(std::move(nodes));
}

}  // namespace sluice
