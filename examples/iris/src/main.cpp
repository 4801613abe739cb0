// Runs the iris pipeline: configuration from conf/ (base overlaid by the environment), data
// paths relative to the project folder, the sequential runner.

#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <iris/pipeline.hpp>

#include <sluice/core/catalog.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/runners/sequential_runner.hpp>

int main(int argc, char** argv) {
  CLI::App app("Runs the iris example pipeline (split -> make_predictions -> report_accuracy)");
  std::filesystem::path project = ".";
  std::string env = "local";
  app.add_option("--project", project, "The project folder (holds conf/ and data/)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--env", env, "Configuration environment overlaid on conf/base");
  CLI11_PARSE(app, argc, argv);

  try {
    sluice::Registry registry;
    sluice::register_builtins(registry);
    const sluice::ConfigLoader conf(project / "conf", env);
    sluice::CatalogOptions options;
    options.root = project;
    sluice::Catalog catalog = sluice::make_catalog(conf.get("catalog"), conf.get("credentials"),
                                                   conf.get("parameters"), registry, options);
    sluice::SequentialRunner().run(iris::create_pipeline(), catalog);
  } catch (const std::exception& error) {
    std::cerr << fmt::format("error: {}\n", error.what());
    return 1;
  }
  return 0;
}
