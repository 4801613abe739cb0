#include <cstdlib>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <iris/nodes.hpp>
#include <iris/pipeline.hpp>

#include <sluice/core/catalog.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/datasets/binary_dataset.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/runners/sequential_runner.hpp>

#include "support/source_dir.hpp"
#include "support/temp_dir.hpp"
#include "support/value_as.hpp"

namespace {

namespace fs = std::filesystem;
using sluice::testing::TempDir;

fs::path iris_project() {
  return sluice::testing::source_dir() / "examples/iris";
}

// A copy of the example project, so the test never writes into the source tree.
struct IrisProject {
  IrisProject() {
    fs::copy(iris_project() / "conf", dir / "conf", fs::copy_options::recursive);
    fs::create_directories(dir / "data/01_raw");
    fs::copy(iris_project() / "data/01_raw/iris.csv", dir / "data/01_raw/iris.csv");
    sluice::register_builtins(registry);
  }

  sluice::Catalog catalog() {
    const sluice::ConfigLoader conf(dir / "conf");
    sluice::CatalogOptions options;
    options.root = dir.path();
    return sluice::make_catalog(conf.get("catalog"), conf.get("credentials"),
                                conf.get("parameters"), registry, options);
  }

  TempDir dir;
  sluice::Registry registry;
};

TEST(Iris, RunsAndLeavesEveryIntermediateOnDisk) {
  IrisProject project;
  sluice::Catalog catalog = project.catalog();
  sluice::SequentialRunner().run(iris::create_pipeline(), catalog);
  for (const char* file : {"data/05_model_input/X_train.bin", "data/05_model_input/X_test.bin",
                           "data/05_model_input/y_train.bin", "data/05_model_input/y_test.bin",
                           "data/07_model_output/y_pred.bin"}) {
    EXPECT_TRUE(fs::exists(project.dir / file)) << file;
  }
  sluice::BinaryDataset y_pred(project.dir / "data/07_model_output/y_pred.bin",
                               project.registry.codecs);
  sluice::BinaryDataset y_test(project.dir / "data/05_model_input/y_test.bin",
                               project.registry.codecs);
  const sluice::Value predicted_value = y_pred.load();
  const sluice::Value truth_value = y_test.load();
  const auto& predicted = predicted_value.get<sluice::Table>();
  const auto& truth = truth_value.get<sluice::Table>();
  EXPECT_EQ(truth.num_rows(), 30U);  // 20% of 150
  EXPECT_GT(iris::accuracy(predicted, truth), 0.9);
}

TEST(Iris, SplitIsDeterministicForASeedAndDiffersAcrossSeeds) {
  IrisProject project;
  sluice::Catalog catalog = project.catalog();
  const sluice::Value data_value = catalog.load("example_iris_data");
  const sluice::Value parameters_value = catalog.load("parameters");
  const auto& data = data_value.get<sluice::Table>();
  const auto& parameters = parameters_value.get<sluice::Param>();
  const auto first = iris::split_data(data, parameters);
  const auto again = iris::split_data(data, parameters);
  EXPECT_EQ(std::get<0>(first), std::get<0>(again));
  EXPECT_EQ(std::get<0>(first).num_rows(), 120U);
  EXPECT_EQ(
      std::get<0>(first).column_names(),
      (std::vector<std::string>{"sepal_length", "sepal_width", "petal_length", "petal_width"}));
  sluice::Param other = parameters;
  other.set("random_state", 4);
  EXPECT_NE(std::get<0>(iris::split_data(data, other)), std::get<0>(first));
}

TEST(Iris, NearestNeighbourPredictsTheClosestTrainingLabel) {
  sluice::Table X_train, y_train, X_test;
  X_train.add_column("f", std::vector<double>{0, 10});
  y_train.add_column("species", std::vector<std::string>{"low", "high"});
  X_test.add_column("f", std::vector<double>{9, 1, 4});
  const auto y_pred = iris::make_predictions(X_train, X_test, y_train);
  EXPECT_EQ(y_pred.column_as<std::string>("species"),
            (std::vector<std::string>{"high", "low", "low"}));
}

TEST(Iris, BadParametersAreReported) {
  IrisProject project;
  sluice::Catalog catalog = project.catalog();
  const sluice::Value data_value = catalog.load("example_iris_data");
  const auto& data = data_value.get<sluice::Table>();
  sluice::Param parameters = sluice::testing::value_as<sluice::Param>(catalog.load("parameters"));
  parameters.set("train_fraction", 1.5);
  EXPECT_THROW(iris::split_data(data, parameters), sluice::Error);
  parameters.set("train_fraction", 0.8);
  parameters.set("target_column", "colour");
  EXPECT_THROW(iris::split_data(data, parameters), sluice::Error);
}

}  // namespace
