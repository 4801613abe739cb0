// Runs the real `sluice` binary in a scratch copy of the iris project and checks exit codes,
// output and files.

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <sluice/core/codec.hpp>
#include <sluice/core/datasets/binary_dataset.hpp>
#include <sluice/core/datasets/file_dataset.hpp>
#include <sluice/core/table.hpp>

#include "support/bad_yaml.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

struct Result {
  int exit_code = -1;
  std::string output;
};

class SluiceCli : public ::testing::Test {
 protected:
  SluiceCli() {
    const fs::path iris = fs::path(std::getenv("SLUICE_SOURCE_DIR")) / "examples/iris";
    fs::copy(iris / "sluice.yml", project / "sluice.yml");
    fs::copy(iris / "conf", project / "conf", fs::copy_options::recursive);
    fs::create_directories(project / "data/01_raw");
    fs::copy(iris / "data/01_raw/iris.csv", project / "data/01_raw/iris.csv");
  }

  // Runs `sluice <arguments>` in `folder` (default: the project), stdout and stderr together.
  Result sluice(const std::string& arguments, const fs::path& folder = {}) const {
    const std::string command = "cd '" + (folder.empty() ? project.path() : folder).string() +
                                "' && '" SLUICE_BINARY "' " + arguments + " 2>&1";
    Result result;
    FILE* pipe = ::popen(command.c_str(), "r");
    std::array<char, 4096> buffer{};
    while (std::size_t read = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
      result.output.append(buffer.data(), read);
    }
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
  }

  std::size_t rows_of(const std::string& file) const {
    CodecRegistry codecs;
    add_builtin_codecs(codecs);
    const Value table = BinaryDataset(project / file, codecs).load();
    return table.get<Table>().num_rows();
  }

  testing::TempDir project;
};

TEST_F(SluiceCli, RunLogsLikeKedroRunsConfiguredHooksAndPersistsIntermediates) {
  const Result result = sluice("run");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output,
              AllOf(HasSubstr("Loading data from 'example_iris_data' (CSVDataset)..."),
                    HasSubstr("Running node: split([example_iris_data,parameters])"),
                    HasSubstr("Saving data to 'X_train' (BinaryDataset)..."),
                    HasSubstr("Completed 3 out of 3 tasks"),
                    HasSubstr("Model has an accuracy of 0.933 on test data."),
                    HasSubstr("Node 'make_predictions' ran in"),  // node_timing, from hooks.yml
                    HasSubstr("Pipeline execution completed successfully.")));
  EXPECT_TRUE(fs::exists(project / "data/07_model_output/y_pred.bin"));
}

TEST_F(SluiceCli, FiltersSelectTheNodesToRun) {
  ASSERT_EQ(sluice("run").exit_code, 0);
  auto tasks = [this](const std::string& arguments) {
    const Result result = sluice("run " + arguments);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return result.output;
  };
  EXPECT_THAT(tasks("--nodes split"), AllOf(HasSubstr("Completed 1 out of 1 tasks"),
                                            Not(HasSubstr("Running node: make_predictions"))));
  EXPECT_THAT(tasks("--from-nodes make_predictions"), HasSubstr("Completed 2 out of 2 tasks"));
  EXPECT_THAT(tasks("--to-nodes make_predictions"), HasSubstr("Completed 2 out of 2 tasks"));
  EXPECT_THAT(tasks("--tags model,reporting"), HasSubstr("Completed 2 out of 2 tasks"));
  EXPECT_THAT(tasks("--from-inputs y_pred"), AllOf(HasSubstr("Completed 1 out of 1 tasks"),
                                                   HasSubstr("Running node: report_accuracy")));
  EXPECT_THAT(tasks("--to-outputs X_train"), HasSubstr("Running node: split"));
}

TEST_F(SluiceCli, UnknownNodeExitsNonZeroWithCloseMatches) {
  const Result result = sluice("run --nodes splt");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("no node named 'splt' (did you mean 'split'?)"));
}

TEST_F(SluiceCli, ParamsOverrideParametersTypedLikeYaml) {
  const Result result = sluice("run --params train_fraction=0.5,random_state=7");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(rows_of("data/05_model_input/y_test.bin"), 75U);
  EXPECT_THAT(sluice("run --params oops").output, HasSubstr("'oops' is not key=value"));
}

TEST_F(SluiceCli, ParamsKeepTheWholeValueAndNameTheWholeKey) {
  // YAML would cut these to 0.5: a comment, and a second line read as another key.
  for (const char* params : {"train_fraction=0.5 # half", "train_fraction=0.5\nrandom_state: 3"}) {
    const Result result = sluice(std::string("run --params '") + params + "'");
    EXPECT_EQ(result.exit_code, 1) << params;
    EXPECT_THAT(result.output, HasSubstr("is a string")) << params;
  }
  const Result empty_part = sluice("run --params a..b=1");
  EXPECT_EQ(empty_part.exit_code, 1);
  EXPECT_THAT(empty_part.output, HasSubstr("parameter key 'a..b' has an empty part between dots"));
  EXPECT_EQ(sluice("run --params \"train_fraction='0.5',random_state=[7]\"").exit_code, 1);
}

TEST_F(SluiceCli, BadYamlIsAnErrorNamingFileLineAndColumn) {
  project.write("conf/local/catalog.yml", testing::kAliasInsideItsAnchor);
  const Result cyclic = sluice("run");
  EXPECT_EQ(cyclic.exit_code, 1);
  EXPECT_THAT(cyclic.output, HasSubstr("conf/local/catalog.yml:6:9: alias '*slow' refers to the "
                                       "anchor it is inside"));
  project.write("conf/local/catalog.yml", "X_train: {type: MemoryDataset}\n~: 1\n");
  const Result null_key = sluice("run");
  EXPECT_EQ(null_key.exit_code, 1);
  EXPECT_THAT(null_key.output, HasSubstr("conf/local/catalog.yml:2:1: a key is null"));
  project.write("conf/local/catalog.yml",
                "X_train:\n  type: SimulatedStorage\n  read_latency: 99999999999999999999s\n");
  EXPECT_THAT(sluice("run").output,
              HasSubstr("conf/local/catalog.yml:3:17: dataset 'X_train' (SimulatedStorage): "
                        "option 'read_latency' '99999999999999999999s' is too long"));
  project.write("conf/local/catalog.yml",
                "X_train:\n  type: SimulatedStorage\n  failure_rate: .nan\n");
  EXPECT_THAT(sluice("run").output,
              HasSubstr("conf/local/catalog.yml:3:17: dataset 'X_train' (SimulatedStorage): "
                        "option 'failure_rate': must be a finite number"));
  project.write("conf/local/hooks.yml",
                "plugins: [node_timing]\nhooks:\n  - name: node_timing\n"
                "    priority: 1099511627776\n");
  const Result priority = sluice("run");
  EXPECT_EQ(priority.exit_code, 1);
  EXPECT_THAT(priority.output,
              HasSubstr("conf/local/hooks.yml:4:15: hook entry: option 'priority': 1099511627776 "
                        "is out of range; write a whole number from -2147483648 to 2147483647"));
}

TEST_F(SluiceCli, NodeFailureExitsNonZeroAndSuggestsWhereToResume) {
  const Result result = sluice("run --params train_fraction=1.5");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output,
              AllOf(HasSubstr("Error: node 'split' failed while running: train_fraction must be "
                              "between 0 and 1"),
                    HasSubstr("--from-nodes \"split\"")));
}

TEST_F(SluiceCli, HooksFromTheCommandLineAndTheirErrors) {
  project.write("conf/local/hooks.yml", "plugins: []\nhooks: []\n");
  EXPECT_THAT(sluice("run").output, Not(HasSubstr("ran in")));
  EXPECT_THAT(sluice("run --hooks node_timing").output, HasSubstr("Node 'split' ran in"));
  const Result unknown = sluice("run --hooks node_timming");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.output,
              HasSubstr("unknown hook 'node_timming' (did you mean 'node_timing'?)"));
}

TEST_F(SluiceCli, TeeAndCacheLoadAsPluginsFromTheCommandLine) {
  const Result tee = sluice("run --hooks tee --runner parallel --async");
  EXPECT_EQ(tee.exit_code, 0) << tee.output;
  EXPECT_THAT(tee.output, AllOf(HasSubstr("Loading data from 'X_train' (TeeDataset)"),
                                HasSubstr("Persisted 'y_pred' (BinaryDataset) in the background"),
                                HasSubstr("Tee: 5 background writes finished")));
  EXPECT_EQ(rows_of("data/05_model_input/y_test.bin"), 30U);
  const Result cache = sluice("run --hooks cache");
  EXPECT_EQ(cache.exit_code, 0) << cache.output;
  EXPECT_THAT(cache.output, HasSubstr("Loading data from 'X_train' (CachedDataset)"));
  project.write("conf/local/hooks.yml",
                "plugins: [tee]\nhooks:\n  - name: tee\n    options: {writers: 0}\n");
  EXPECT_THAT(sluice("run").output,
              AllOf(HasSubstr("conf/local/hooks.yml:4:24"), HasSubstr("must be at least 1")));
}

TEST_F(SluiceCli, BadHookOptionsAreReportedWithFileAndLine) {
  project.write("conf/local/hooks.yml",
                "plugins: [node_timing]\nhooks:\n  - name: node_timing\n    options:\n"
                "      min_sm: 3\n");
  const Result result = sluice("run");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, AllOf(HasSubstr("conf/local/hooks.yml:5:15"),
                                   HasSubstr("unknown option 'min_sm' (did you mean 'min_ms'?)")));
  project.write("conf/local/hooks.yml", "plugins: [no_such_plugin]\n");
  EXPECT_THAT(sluice("run").output, AllOf(HasSubstr("conf/local/hooks.yml:1:11"),
                                          HasSubstr("plugin 'no_such_plugin' not found")));
}

TEST_F(SluiceCli, DatasetsCanLiveOnSimulatedSlowStorage) {
  project.write("conf/local/catalog.yml",
                "X_train:\n  type: SimulatedStorage\n  read_latency: 5ms\n  write_latency: 5ms\n");
  const Result run = sluice("run");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("Saving data to 'X_train' (SimulatedStorage)"));
  project.write("conf/local/catalog.yml",
                "X_train:\n  type: SimulatedStorage\n  read_latency: 5 parsecs\n");
  EXPECT_THAT(sluice("run").output,
              AllOf(HasSubstr("conf/local/catalog.yml:3:17"), HasSubstr("is not a duration")));
}

TEST_F(SluiceCli, TheSlowEnvironmentPutsIrisOnSlowStorageBehindTheTee) {
  const Result result = sluice("run --env slow");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output,
              AllOf(HasSubstr("Loading data from 'X_train' (TeeDataset)"),
                    HasSubstr("Persisted 'y_pred' (BinaryDataset) in the background"),
                    HasSubstr("Model has an accuracy of 0.933 on test data.")));
  EXPECT_TRUE(fs::exists(project / "data/07_model_output/y_pred.bin"));
}

TEST_F(SluiceCli, CatalogListAndViz) {
  project.write("conf/local/catalog.yml", "y_pred:\n  type: MemoryDataset\n");
  const Result list = sluice("catalog list");
  EXPECT_EQ(list.exit_code, 0) << list.output;
  EXPECT_THAT(list.output,
              AllOf(HasSubstr("Datasets of pipeline '__default__'"),
                    HasSubstr("X_train: BinaryDataset"), HasSubstr("y_pred: MemoryDataset")));
  const Result dot = sluice("viz --format dot");
  EXPECT_THAT(dot.output, AllOf(HasSubstr("digraph pipeline"), HasSubstr("label=\"split\"")));
  EXPECT_THAT(sluice("viz --format mermaid").output, HasSubstr("flowchart LR"));
  EXPECT_NE(sluice("viz --format svg").exit_code, 0);
}

TEST_F(SluiceCli, ProjectAndConfigurationErrors) {
  testing::TempDir elsewhere;
  const Result no_project = sluice("run", elsewhere.path());
  EXPECT_EQ(no_project.exit_code, 1);
  EXPECT_THAT(no_project.output, HasSubstr("no sluice.yml"));
  const Result missing_env = sluice("run --env slwo");
  EXPECT_EQ(missing_env.exit_code, 1);
  EXPECT_THAT(missing_env.output,
              AllOf(HasSubstr("environment 'slwo' not found: there is no folder"),
                    HasSubstr("the environments in"),
                    HasSubstr("are: base, local, slow (did you mean 'slow'?)")));
  fs::remove_all(project / "conf/local");
  EXPECT_EQ(sluice("run").exit_code, 0);  // the default `local` may be missing
  EXPECT_THAT(sluice("run --conf-source /nonexistent").output, HasSubstr("--conf-source"));
  EXPECT_THAT(sluice("run --load-versions X_train:2026").output, HasSubstr("not versioned"));
  EXPECT_THAT(sluice("run --pipeline training").output,
              HasSubstr("unknown pipeline 'training'; known pipelines: __default__"));
  project.write("conf/base/catalog.yml", "X_train:\n  type: BinaryDatset\n");
  EXPECT_THAT(sluice("run").output, HasSubstr("did you mean 'BinaryDataset'"));
}

// A CSV file as rows of fields (no quoting: the bench writes none).
std::vector<std::vector<std::string>> read_csv(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> fields;
    std::stringstream fields_of(line);
    for (std::string field; std::getline(fields_of, field, ',');) {
      fields.push_back(field);
    }
    if (!line.empty() && line.back() == ',') {
      fields.emplace_back();
    }
    rows.push_back(std::move(fields));
  }
  return rows;
}

TEST_F(SluiceCli, BenchSweepWritesTheCsvColumnsAndTeeReadsNothingBack) {
  const Result result = sluice(
      "bench --scenario chain:3 --strategies sequential,tee --read-latency 1s "
      "--sweep write-latency=0,1s --repeat 1 --time-scale 0.002 --out results.csv");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, AllOf(HasSubstr("[1/2] write-latency=0"),  // progress, on stderr
                                   HasSubstr("[2/2] write-latency=1s"),
                                   HasSubstr("time scale 0.002 (set by --time-scale")));
  const auto rows = read_csv(project / "results.csv");
  ASSERT_EQ(rows.size(), 5U);  // the header, then 2 strategies x 2 points
  EXPECT_EQ(rows[0], (std::vector<std::string>{"scenario", "strategy", "wall_s", "bound_s", "ratio",
                                               "speedup", "peak_bytes", "reads", "writes",
                                               "write-latency", "time_scale"}));
  for (std::size_t row = 1; row < rows.size(); ++row) {
    const auto& fields = rows[row];
    ASSERT_EQ(fields.size(), rows[0].size());
    EXPECT_EQ(fields[0], "chain:3");
    // sequential reads each step's input back from storage; the tee reads only the raw input.
    EXPECT_EQ(fields[7], fields[1] == "tee" ? "1" : "3") << fields[1];
    EXPECT_EQ(fields[8], "3") << fields[1];  // both persist every intermediate
    EXPECT_EQ(fields[6] == "0", fields[1] == "sequential") << "peak bytes of " << fields[1];
  }
  EXPECT_EQ(rows[1][9], "0");
  EXPECT_EQ(rows[3][9], "1");
}

TEST_F(SluiceCli, BenchWithOnlyAReadLatencyRunsIrisWithEveryStrategy) {
  testing::TempDir elsewhere;  // no project needed: iris is the default scenario
  const Result result = sluice("bench --read-latency 10s --repeat 1", elsewhere.path());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output,
              AllOf(HasSubstr("scenario iris"), HasSubstr("write latency = read latency"),
                    HasSubstr("automatic (1 simulated second runs in"), HasSubstr("parallel+tee"),
                    HasSubstr("memory"), HasSubstr("x bound")));
}

TEST_F(SluiceCli, BenchOfTheProjectLeavesItsDataAlone) {
  const Result result = sluice(
      "bench --scenario project --strategies sequential,tee,memory --read-latency 1s "
      "--repeat 1 --out results.json");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("pipeline '__default__' of project 'iris'"));
  EXPECT_FALSE(fs::exists(project / "data/05_model_input"));  // written in a scratch folder
  const std::string text = read_file(project / "results.json");
  EXPECT_THAT(text, AllOf(HasSubstr("\"scenario\": \"project\", \"strategy\": \"tee\""),
                          HasSubstr("\"reads\": 1, \"writes\": 5")));
}

TEST_F(SluiceCli, BenchStorageProfilesComeFromSluiceAndTheProject) {
  const Result shipped = sluice("bench --storage s3 --strategies tee --repeat 1");
  ASSERT_EQ(shipped.exit_code, 0) << shipped.output;
  EXPECT_THAT(shipped.output, HasSubstr("profile 's3', read latency 50ms, write latency 100ms, "
                                        "bandwidth 100MB/s"));
  project.write("conf/base/bench.yml",
                "storage:\n  s3: {read_latency: 2s}\n  tape: {read_latency: 1m, bandwith: 1}\n");
  const Result replaced = sluice(
      "bench --scenario project --storage s3 --write-latency 1s --strategies tee --repeat 1");
  ASSERT_EQ(replaced.exit_code, 0) << replaced.output;
  EXPECT_THAT(replaced.output, HasSubstr("profile 's3', read latency 2s, write latency 1s"));
  const Result typo = sluice("bench --scenario project --storage tape");
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_THAT(typo.output, AllOf(HasSubstr("conf/base/bench.yml:3:"),
                                 HasSubstr("unknown option 'bandwith' (did you mean "
                                           "'bandwidth'?)")));
  EXPECT_THAT(sluice("bench --storage s4").output,
              HasSubstr("unknown storage profile 's4' (did you mean 's3'?)"));
}

TEST_F(SluiceCli, AFailedRunLeavesABundleToInspectAndReplay) {
  const Result run = sluice("run --params train_fraction=1.5 --hooks debug_catalog");
  EXPECT_EQ(run.exit_code, 1);
  ASSERT_TRUE(fs::is_directory(project / "postmortem")) << run.output;
  const fs::path bundle = fs::directory_iterator(project / "postmortem")->path();
  EXPECT_THAT(run.output, HasSubstr("Post-mortem bundle written to"));

  const Result inspect = sluice("inspect " + bundle.string());
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_THAT(inspect.output,
              AllOf(HasSubstr("failed in node 'split' while running"),
                    HasSubstr("train_fraction must be between 0 and 1, got 1.5"),
                    HasSubstr("example_iris_data: inputs/0.bin (codec table)"),
                    HasSubstr("sluice replay"), HasSubstr("--from-nodes \"split\"")));

  // Replay runs split alone on the saved inputs, from anywhere, and fails the same way.
  testing::TempDir elsewhere;
  const Result replay = sluice("replay " + bundle.string(), elsewhere.path());
  EXPECT_EQ(replay.exit_code, 1);
  EXPECT_THAT(replay.output, AllOf(HasSubstr("Replaying node 'split'"),
                                   HasSubstr("node 'split' failed again while running: "
                                             "train_fraction must be between 0 and 1, got 1.5")));
  EXPECT_THAT(sluice("inspect " + project.path().string()).output,
              HasSubstr("is not a post-mortem bundle"));
}

TEST_F(SluiceCli, TimelineAndMemoryProfilerFromTheCommandLine) {
  const Result result = sluice("run --env slow --hooks memory_profiler,timeline");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output,
              AllOf(HasSubstr("Memory profile"), HasSubstr("Peak:"), HasSubstr("Timeline of")));
  const std::string text = read_file(project / "timeline.json");
  EXPECT_THAT(text, AllOf(HasSubstr("\"traceEvents\""), HasSubstr("write X_train")));

  const Result summary = sluice("timeline timeline.json");
  EXPECT_EQ(summary.exit_code, 0) << summary.output;
  EXPECT_THAT(summary.output,
              AllOf(HasSubstr("spans on"), HasSubstr("runner"), HasSubstr("tee writer")));
  if (std::system("command -v gnuplot > /dev/null") == 0) {
    EXPECT_EQ(sluice("timeline timeline.json --plot timeline.svg").exit_code, 0);
    const std::string drawn = read_file(project / "timeline.svg");
    EXPECT_THAT(drawn, AllOf(HasSubstr("<svg"), HasSubstr("write X_train")));
  }
  EXPECT_THAT(sluice("timeline missing.json").output, HasSubstr("run with --hooks timeline"));
}

TEST_F(SluiceCli, BenchPlotsASweep) {
  const std::string command =
      "bench --scenario diamond --strategies sequential,tee --sweep read-latency=0,1s "
      "--repeat 1 --time-scale 0.002 --plot sweep.svg";
  const Result result = sluice(command);
  if (std::system("command -v gnuplot > /dev/null") != 0) {
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_THAT(result.output, HasSubstr("--plot needs gnuplot"));
    return;
  }
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string text = read_file(project / "sweep.svg");
  EXPECT_THAT(text, AllOf(HasSubstr("<svg"), HasSubstr("tee"), HasSubstr("lower bound")));
  EXPECT_FALSE(fs::exists(project / "sweep.svg.gp"));  // scratch files are cleaned up
}

TEST_F(SluiceCli, BenchErrorsNameTheOptionAndTheAcceptedForms) {
  auto error_of = [&](const std::string& arguments) {
    const Result result = sluice("bench " + arguments);
    EXPECT_EQ(result.exit_code, 1) << arguments;
    return result.output;
  };
  EXPECT_THAT(error_of("--sweep read-latncy=1s"), HasSubstr("did you mean 'read-latency'"));
  EXPECT_THAT(error_of("--sweep compute=1s,quick"), HasSubstr("'quick' is not a duration"));
  EXPECT_THAT(error_of("--read-latency 10"), HasSubstr("10s"));
  EXPECT_THAT(error_of("--strategies sequential,tea"), HasSubstr("did you mean 'tee'"));
  EXPECT_THAT(error_of("--scenario chain:x"), HasSubstr("'x' is not a positive count"));
  EXPECT_THAT(error_of("--scenario line:3"), HasSubstr("chain:N, fanout:N, diamond"));
  EXPECT_THAT(error_of("--out results.txt"), HasSubstr("must be .csv or .json"));
  EXPECT_THAT(error_of("--plot sweep.svg"), HasSubstr("add --sweep"));
  EXPECT_THAT(error_of("--repeat 0"), HasSubstr("--repeat must be at least 1"));
  EXPECT_THAT(error_of("--scenario project --pipeline training"),
              HasSubstr("unknown pipeline 'training'"));
}

TEST_F(SluiceCli, BenchRefusesNanInfinityAndOverflowingNumbers) {
  for (const auto& [arguments, message] : std::vector<std::pair<std::string, std::string>>{
           {"--time-scale nan", "--time-scale must be in (0, 1]"},
           {"--read-latency 99999999999999999999s",
            "--read-latency '99999999999999999999s' is too long"},
           {"--jitter infs", "--jitter 'infs' is not a duration"},
           {"--payload 1e30GiB", "--payload '1e30GiB' is too large"},
           {"--sweep bandwidth=nan/s", "'nan/s' is not a rate"}}) {
    const Result result = sluice("bench " + arguments);
    EXPECT_EQ(result.exit_code, 1) << arguments;
    EXPECT_THAT(result.output, HasSubstr(message)) << arguments;
  }
}

}  // namespace
}  // namespace sluice
