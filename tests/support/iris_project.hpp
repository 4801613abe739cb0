#pragma once

#include <cstdlib>
#include <filesystem>

#include <sluice/bench/slow_storage.hpp>
#include <sluice/core/catalog.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/core/registry.hpp>

#include "support/source_dir.hpp"
#include "support/temp_dir.hpp"

namespace sluice::testing {

// A scratch copy of examples/iris (configuration and raw data), and catalogs built from it in
// one of its environments ("local", or "slow" for simulated slow storage on `clock`).
class IrisProject {
 public:
  IrisProject() {
    const auto source = testing::source_dir() / "examples/iris";
    std::filesystem::copy(source / "conf", dir / "conf", std::filesystem::copy_options::recursive);
    std::filesystem::create_directories(dir / "data/01_raw");
    std::filesystem::copy(source / "data/01_raw/iris.csv", dir / "data/01_raw/iris.csv");
    register_builtins(registry);
    Registrar registrar(registry);
    bench::register_dataset_types(registrar);
  }

  Catalog catalog(const std::string& env = "local", const Clock* clock = nullptr) const {
    const ConfigLoader conf(dir / "conf", env);
    CatalogOptions options;
    options.root = dir.path();
    options.clock = clock;
    return make_catalog(conf.get("catalog"), conf.get("credentials"), conf.get("parameters"),
                        registry, options);
  }

  const std::filesystem::path& path() const { return dir.path(); }

 private:
  TempDir dir;
  Registry registry;
};

}  // namespace sluice::testing
