#include "viz_command.hpp"

#include <iostream>

#include <sluice/tools/describe.hpp>

namespace sluice::cli {

CLI::App* add_viz_command(CLI::App& app, VizFlags& flags) {
  CLI::App* viz = app.add_subcommand("viz", "Print the pipeline graph, with its datasets");
  flags.project.add_to(*viz);
  viz->add_option("--pipeline", flags.pipeline, "Pipeline to draw")->capture_default_str();
  viz->add_option("--format", flags.format, "Output format")
      ->check(CLI::IsMember({"dot", "mermaid"}))
      ->capture_default_str();
  return viz;
}

int run_viz(const VizFlags& flags, std::optional<Session>& session) {
  session.emplace(flags.project.session());
  std::cout << render_graph(session->pipeline(flags.pipeline),
                            flags.format == "dot" ? GraphFormat::dot : GraphFormat::mermaid);
  return 0;
}

}  // namespace sluice::cli
