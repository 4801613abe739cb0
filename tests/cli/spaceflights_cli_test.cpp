// Example project 2, examples/spaceflights: Kedro's spaceflights tutorial ported with its catalog
// shape (globals, interpolation, dataset factories, two namespaced model instances, SQL and JSON
// datasets), run through the real `sluice` binary in a scratch copy, on SQLite and on a
// PostgreSQL server the test starts.

#include <cstdlib>
#include <fstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/util/files.hpp>
#include <sluice/core/util/json.hpp>

#include "support/postgres_server.hpp"
#include "support/sluice_cli.hpp"
#include "support/source_dir.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using Result = testing::CliResult;

class Spaceflights : public ::testing::Test {
 protected:
  Spaceflights() {
    const fs::path source = testing::source_dir() / "examples/spaceflights";
    fs::copy(source / "sluice.yml", project / "sluice.yml");
    fs::copy(source / "conf", project / "conf", fs::copy_options::recursive);
    fs::create_directories(project / "data");
    fs::copy(source / "data/01_raw", project / "data/01_raw", fs::copy_options::recursive);
  }

  Result sluice(const std::string& arguments) const {
    return testing::run_cli(SLUICE_BINARY, project.path(), arguments);
  }

  Json metrics(const std::string& space) const {
    return read_json_file(project / ("data/08_reporting/" + space + "/metrics.json"), "");
  }

  testing::TempDir project;
};

TEST_F(Spaceflights, TheWholeProjectRunsFromElevenCatalogEntries) {
  const Result run = sluice("run");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  // No __default__ is registered: the run is the sum of the three pipelines.
  EXPECT_THAT(run.output, AllOf(HasSubstr("Completed 11 out of 11 tasks"),
                                HasSubstr("Model has a coefficient R^2 of")));
  for (const char* file :
       {"data/02_intermediate/preprocessed_companies.csv",
        "data/02_intermediate/preprocessed_shuttles.csv", "data/02_intermediate/review_scores.bin",
        "data/03_primary/spaceflights.sqlite", "data/05_model_input/active_modelling/X_train.bin",
        "data/05_model_input/candidate_modelling/y_test.bin",
        "data/08_reporting/capacity_report.json"}) {
    EXPECT_TRUE(fs::exists(project / file)) << file;
  }
  // The two instances read their own options: all 8 features against 4, the same test size
  // (candidate's refers to active's) of the 105 complete rows.
  const Json active = metrics("active_modelling");
  const Json candidate = metrics("candidate_modelling");
  EXPECT_EQ(active.at("test_rows").get<int>(), 21);
  EXPECT_EQ(candidate.at("test_rows").get<int>(), 21);
  EXPECT_GT(active.at("r2_score").get<double>(), 0.9);
  EXPECT_GT(active.at("r2_score").get<double>(), candidate.at("r2_score").get<double>());
  const Json report = read_json_file(project / "data/08_reporting/capacity_report.json", "");
  EXPECT_EQ(report.at("shuttles").get<int>(), 105);
  EXPECT_EQ(report.at("by_engines").size(), 4U);

  // --params reaches ${runtime_params:test_size} in parameters.yml, for both instances.
  const Result smaller = sluice("run --pipeline data_science --params test_size=0.4");
  ASSERT_EQ(smaller.exit_code, 0) << smaller.output;
  EXPECT_EQ(metrics("active_modelling").at("test_rows").get<int>(), 42);
  EXPECT_EQ(metrics("candidate_modelling").at("test_rows").get<int>(), 42);
}

TEST_F(Spaceflights, NamespacesFilterTheRunAndShowInTheCatalogAndTheGraph) {
  ASSERT_EQ(sluice("run --pipeline data_processing").exit_code, 0);
  const Result one = sluice("run --namespaces candidate_modelling");
  ASSERT_EQ(one.exit_code, 0) << one.output;
  EXPECT_THAT(one.output, AllOf(HasSubstr("Completed 3 out of 3 tasks"),
                                Not(HasSubstr("Running node: active_modelling."))));
  const Result resolve = sluice("catalog resolve --pipeline data_science");
  ASSERT_EQ(resolve.exit_code, 0) << resolve.output;
  EXPECT_THAT(resolve.output,
              AllOf(HasSubstr("active_modelling.regressor:\n  type: NpyDataset\n  filepath: "
                              "data/06_models/active_modelling/regressor.npy\n  versioned: true\n"),
                    HasSubstr("candidate_modelling.X_train:\n  type: BinaryDataset\n  filepath: "
                              "data/05_model_input/candidate_modelling/X_train.bin\n"),
                    HasSubstr("model_input_table:\n  type: pandas.SQLTableDataset\n")));
  const Result list = sluice("catalog list --pipeline data_science");
  EXPECT_THAT(list.output, HasSubstr("(from pattern '{namespace}.{name}')"));
  const Result viz = sluice("viz --pipeline data_science --format dot");
  EXPECT_THAT(viz.output, AllOf(HasSubstr("label=\"active_modelling\";"),
                                HasSubstr("label=\"candidate_modelling\";")));
  const Result registry = sluice("registry list");
  EXPECT_THAT(registry.output,
              HasSubstr("- __default__ (11 nodes) (not registered: the sum of the others)"));
}

TEST_F(Spaceflights, TheModelInputTableLivesOnPostgreSQLInThePostgresEnvironment) {
  SLUICE_REQUIRE_SERVER(testing::postgres_missing());
  testing::TempDir scratch;
  testing::PostgresServer server(scratch.path());
  // Without the variable, oc.env says what is missing.
  ::unsetenv("SPACEFLIGHTS_PG_URL");
  const Result unset = sluice("run --env postgres");
  EXPECT_EQ(unset.exit_code, 1);
  EXPECT_THAT(unset.output, HasSubstr("the environment variable 'SPACEFLIGHTS_PG_URL' is not set"));
  ::setenv("SPACEFLIGHTS_PG_URL", server.url("s3cret").c_str(), 1);
  const Result run = sluice("run --env postgres");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_FALSE(fs::exists(project / "data/03_primary/spaceflights.sqlite"));
  EXPECT_EQ(read_json_file(project / "data/08_reporting/capacity_report.json", "")
                .at("shuttles")
                .get<int>(),
            105);
  // Twice: if_exists replace.
  ASSERT_EQ(sluice("run --env postgres --pipeline data_processing").exit_code, 0);
  server.stop();
  const Result down = sluice("run --env postgres --pipeline reporting");
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_THAT(down.output, AllOf(HasSubstr("cannot connect to the PostgreSQL server at "
                                           "postgresql://sluice@127.0.0.1:"),
                                 Not(HasSubstr("s3cret"))));
  ::unsetenv("SPACEFLIGHTS_PG_URL");
}

}  // namespace
}  // namespace sluice
