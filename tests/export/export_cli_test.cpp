// `sluice export slurm|argo` run as a user runs it: on a scratch copy of iris and of the random
// DAG project (tests/export/random_project), checking what it writes and how it refuses.

#include <cstdlib>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/util/files.hpp>

#include "support/sluice_cli.hpp"
#include "support/source_dir.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class ExportCli : public ::testing::Test {
 protected:
  ExportCli() {
    testing::copy_iris_project(iris.path());
    fs::copy(testing::source_dir() / "tests/export/random_project", random.path(),
             fs::copy_options::recursive);
    ::setenv("SLUICE_PLUGIN_PATH", SLUICE_TEST_PLUGIN_DIR, 1);
  }

  testing::CliResult sluice(const fs::path& folder, const std::string& arguments) const {
    return testing::run_cli(SLUICE_BINARY, folder, arguments);
  }

  testing::TempDir iris;
  testing::TempDir random;
  testing::TempDir out;
};

TEST_F(ExportCli, SlurmScriptSubmitsOneJobPerNodeLinkedByAfterok) {
  const auto result = sluice(iris.path(), "export slurm --out " + out.path().string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string script = read_file(out / "submit.sh");
  EXPECT_THAT(
      script,
      AllOf(HasSubstr("--parsable --job-name=\"$name\""), HasSubstr("job0=$(submit split --wrap="),
            HasSubstr("job1=$(submit make_predictions --dependency=afterok:$job0 "),
            HasSubstr("job2=$(submit report_accuracy --dependency=afterok:$job0:$job1 "),
            HasSubstr("run --project " + fs::weakly_canonical(iris.path()).string()),
            HasSubstr("--nodes report_accuracy"), Not(HasSubstr("--catalog-overlay"))));
  EXPECT_TRUE((fs::status(out / "submit.sh").permissions() & fs::perms::owner_exec) !=
              fs::perms::none);
  EXPECT_FALSE(fs::exists(out / "catalog_intermediates.yml"));  // iris persists everything
}

TEST_F(ExportCli, SlurmResourcesComeFromOptionsAndNodeTagsOverrideThem) {
  const auto result =
      sluice(iris.path(),
             "export slurm --cpus-per-task 2 --mem 1G --time 10 --out " + out.path().string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(read_file(out / "submit.sh"),
              HasSubstr("submit split --cpus-per-task=2 --mem=1G --time=10 --wrap="));
  const auto tagged =
      sluice(random.path(), "export slurm --mem 1G --intermediates " + (out / "shared").string() +
                                " --out " + out.path().string());
  ASSERT_EQ(tagged.exit_code, 0) << tagged.output;
  EXPECT_THAT(read_file(out / "submit.sh"), AllOf(HasSubstr("submit source_in0 --mem=100M --wrap="),
                                                  HasSubstr("submit node0 --mem=1G")));
  const auto bad = sluice(iris.path(), "export slurm --time soon --out " + out.path().string());
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, HasSubstr("--time: Slurm time 'soon' is not minutes, MM:SS, HH:MM:SS"));
}

TEST_F(ExportCli, RefusesMemoryOnlyDatasetsThatCrossJobsAndNamesThem) {
  const auto result = sluice(random.path(), "export slurm --out " + out.path().string());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_THAT(result.output, AllOf(HasSubstr("cross jobs but are kept in memory only"),
                                   HasSubstr("'in0' (written by node 'source_in0', read by"),
                                   HasSubstr("--intermediates URL")));
  EXPECT_FALSE(fs::exists(out / "submit.sh"));
  const auto argo = sluice(random.path(), "export argo --image sluice:test");
  EXPECT_EQ(argo.exit_code, 1);
  EXPECT_THAT(argo.output, HasSubstr("cross jobs but are kept in memory only"));
}

TEST_F(ExportCli, IntermediatesGoToAnOverlayEveryJobRunsWith) {
  const fs::path shared = out / "shared";
  const auto result = sluice(random.path(), "export slurm --intermediates " + shared.string() +
                                                " --out " + out.path().string());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string overlay = read_file(out / "catalog_intermediates.yml");
  EXPECT_THAT(overlay, AllOf(HasSubstr("\"in0\":\n  type: BinaryDataset\n  filepath: \"" +
                                       (shared / "in0.bin").string() + "\"")));
  EXPECT_THAT(read_file(out / "submit.sh"),
              HasSubstr("--catalog-overlay " + (out / "catalog_intermediates.yml").string()));
  // The overlay works for a plain run too: every crossing dataset lands in the folder.
  const auto run = sluice(random.path(),
                          "run --catalog-overlay " + (out / "catalog_intermediates.yml").string());
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(fs::exists(shared / "in0.bin"));
}

TEST_F(ExportCli, ArgoWorkflowNeedsAnImageAndRunsEachNodeInIt) {
  const auto missing = sluice(iris.path(), "export argo");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output, HasSubstr("--image is required"));
  const auto result = sluice(iris.path(),
                             "export argo --image reg/iris:1 --namespace ml --workdir /project "
                             "--params random_state=4 --to-nodes make_predictions");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(
      result.output,
      AllOf(HasSubstr("kind: Workflow"), HasSubstr("namespace: \"ml\""),
            HasSubstr("- name: \"make-predictions\"\n        template: "
                      "\"make-predictions\"\n        dependencies:\n        - \"split\""),
            HasSubstr("image: \"reg/iris:1\""), HasSubstr("workingDir: \"/project\""),
            HasSubstr("- \"--params\"\n      - \"random_state=4\""), Not(HasSubstr("report"))));
}

TEST_F(ExportCli, ACatalogOverlayThatIsNotAMapIsAnErrorNamingTheFile) {
  std::ofstream(out / "overlay.yml") << "- a list\n";
  const auto run = sluice(iris.path(), "run --catalog-overlay " + (out / "overlay.yml").string());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_THAT(run.output, AllOf(HasSubstr((out / "overlay.yml").string()),
                                HasSubstr("a catalog overlay is a map of dataset entries")));
}

}  // namespace
}  // namespace sluice
