#include "registry_command.hpp"

#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sluice/core/catalog.hpp>

namespace sluice::cli {

CLI::App* add_registry_command(CLI::App& app, RegistryFlags& flags) {
  CLI::App* registry = app.add_subcommand("registry", "The project's pipelines");
  registry->require_subcommand(1);
  flags.list = registry->add_subcommand("list", "The registered pipelines");
  flags.describe =
      registry->add_subcommand("describe", "One pipeline's nodes, in the order they run");
  flags.describe->add_option("pipeline", flags.pipeline, "The pipeline")->capture_default_str();
  for (CLI::App* command : {flags.list, flags.describe}) {
    flags.project.add_to(*command);
  }
  return registry;
}

namespace {

std::string listed(const std::set<std::string>& names) {
  return names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace

int run_registry(const RegistryFlags& flags, std::optional<Session>& session) {
  session.emplace(flags.project.session());
  if (flags.list->parsed()) {
    for (const auto& name : session->pipeline_names()) {
      const Pipeline pipeline = session->pipeline(name);
      std::cout << fmt::format("- {} ({} node{}){}\n  inputs: {}\n  outputs: {}\n", name,
                               pipeline.size(), pipeline.size() == 1 ? "" : "s",
                               session->registry().pipelines.contains(name)
                                   ? ""
                                   : " (not registered: the sum of the others)",
                               listed(pipeline.inputs()), listed(pipeline.outputs()));
    }
    return 0;
  }
  const Pipeline pipeline = session->pipeline(flags.pipeline);
  std::cout << fmt::format("Pipeline '{}': {} node{}\n", flags.pipeline, pipeline.size(),
                           pipeline.size() == 1 ? "" : "s");
  for (const Node& node : pipeline.nodes()) {
    std::cout << fmt::format("- {}: [{}] -> [{}]", node.name(), fmt::join(node.inputs(), ", "),
                             fmt::join(node.outputs(), ", "));
    if (!node.namespace_name().empty()) {
      std::cout << fmt::format(" namespace {}", node.namespace_name());
    }
    if (!node.tags().empty()) {
      std::cout << fmt::format(" tags {}", fmt::join(node.tags(), ", "));
    }
    std::cout << "\n";
  }
  return 0;
}

}  // namespace sluice::cli
