#include "catalog_command.hpp"

#include <iostream>
#include <set>

#include <sluice/core/config_loader.hpp>
#include <sluice/tools/describe.hpp>

namespace sluice::cli {

CLI::App* add_catalog_command(CLI::App& app, CatalogFlags& flags) {
  CLI::App* catalog = app.add_subcommand("catalog", "Inspect the data catalog");
  catalog->require_subcommand(1);
  flags.list = catalog->add_subcommand(
      "list",
      "Datasets per pipeline: in the catalog (and the pattern they came from), "
      "defaulted, missing");
  flags.resolve = catalog->add_subcommand(
      "resolve",
      "The catalog entries of the pipelines' datasets, dataset patterns expanded, as "
      "YAML");
  for (CLI::App* command : {flags.list, flags.resolve}) {
    flags.project.add_to(*command);
    command->add_option("--pipeline", flags.pipeline, "Only this pipeline (default: all)");
  }
  return catalog;
}

int run_catalog(const CatalogFlags& flags, std::optional<Session>& session) {
  session.emplace(flags.project.session());
  const auto names =
      flags.pipeline.empty() ? session->pipeline_names() : std::vector<std::string>{flags.pipeline};
  if (flags.resolve != nullptr && flags.resolve->parsed()) {
    // Every dataset of the pipelines that the catalog defines or a pattern makes, in name
    // order; parameters and names left to the default MemoryDataset are not entries.
    std::set<std::string> datasets;
    for (const auto& name : names) {
      const auto of_pipeline = session->pipeline(name).datasets();
      datasets.insert(of_pipeline.begin(), of_pipeline.end());
    }
    const Pipeline* only = nullptr;
    std::optional<Pipeline> chosen;
    if (!flags.pipeline.empty()) {
      chosen.emplace(session->pipeline(flags.pipeline));
      only = &*chosen;
    }
    const Param config = session->catalog_config(only);
    Param resolved = Param(Param::Map{});
    for (const auto& dataset : datasets) {
      if (const Param* entry = config.find(dataset)) {
        resolved.as_map().emplace_back(dataset, *entry);
      }
    }
    std::cout << dump_yaml(resolved);
    return 0;
  }
  std::map<std::string, std::string> origin;
  (void)session->catalog_config(nullptr, &origin);
  const Catalog catalog = session->make_catalog();
  for (const auto& name : names) {
    std::cout << describe_catalog(name, session->pipeline(name), catalog, &origin);
  }
  return 0;
}

}  // namespace sluice::cli
