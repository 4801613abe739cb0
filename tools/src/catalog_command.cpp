#include "catalog_command.hpp"

#include <iostream>

#include <sluice/tools/describe.hpp>

namespace sluice::cli {

CLI::App* add_catalog_command(CLI::App& app, CatalogFlags& flags) {
  CLI::App* catalog = app.add_subcommand("catalog", "Inspect the data catalog");
  catalog->require_subcommand(1);
  CLI::App* list =
      catalog->add_subcommand("list", "Datasets per pipeline: in the catalog, defaulted, missing");
  flags.project.add_to(*list);
  list->add_option("--pipeline", flags.pipeline, "Only this pipeline (default: all)");
  return catalog;
}

int run_catalog_list(const CatalogFlags& flags, std::optional<Session>& session) {
  session.emplace(flags.project.session());
  const Catalog catalog = session->make_catalog();
  const auto names =
      flags.pipeline.empty() ? session->pipeline_names() : std::vector<std::string>{flags.pipeline};
  for (const auto& name : names) {
    std::cout << describe_catalog(name, session->pipeline(name), catalog);
  }
  return 0;
}

}  // namespace sluice::cli
