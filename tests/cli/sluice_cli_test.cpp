// Runs the real `sluice` binary in a scratch copy of the iris project and checks exit codes,
// output and files.

#include "support/sluice_cli.hpp"

#include <array>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fcntl.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sluice/core/codec.hpp>
#include <sluice/core/datasets/binary_dataset.hpp>
#include <sluice/core/table.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/core/util/json.hpp>
#include <sluice/storage/s3_client.hpp>

#include "support/bad_yaml.hpp"
#include "support/iris_on_servers.hpp"
#include "support/redis_server.hpp"
#include "support/s3rver.hpp"
#include "support/source_dir.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

using Result = testing::CliResult;

class SluiceCli : public ::testing::Test {
 protected:
  SluiceCli() { testing::copy_iris_project(project.path()); }

  // Runs `sluice <arguments>` in `folder` (default: the project), stdout and stderr together.
  Result sluice(const std::string& arguments, const fs::path& folder = {}) const {
    return testing::run_cli(SLUICE_BINARY, folder.empty() ? project.path() : folder, arguments);
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

TEST_F(SluiceCli, CombinedFiltersAreIntersectedAsInKedro) {
  ASSERT_EQ(sluice("run").exit_code, 0);
  // Each filter selects from the whole pipeline: the preprocessing node report_accuracy needs.
  const Result combined = sluice("run --tags preprocessing --to-nodes report_accuracy");
  EXPECT_EQ(combined.exit_code, 0) << combined.output;
  EXPECT_THAT(combined.output,
              AllOf(HasSubstr("Running node: split"), HasSubstr("Completed 1 out of 1 tasks")));
  // A free input may end a selection; it selects no producer, and is not an error.
  const Result free_input = sluice("run --to-outputs example_iris_data,y_pred");
  EXPECT_EQ(free_input.exit_code, 0) << free_input.output;
  EXPECT_THAT(free_input.output, HasSubstr("Completed 2 out of 2 tasks"));
  const Result disjoint = sluice("run --tags model --to-outputs X_train");
  EXPECT_EQ(disjoint.exit_code, 1);
  EXPECT_THAT(disjoint.output, AllOf(HasSubstr("Error: no node is left to run"),
                                     HasSubstr("tags [model] selects make_predictions"),
                                     HasSubstr("to_outputs [X_train] selects split")));
  EXPECT_THAT(sluice("run --from-inputs y_prd").output,
              HasSubstr("no dataset named 'y_prd' (did you mean 'y_pred'?)"));
}

TEST_F(SluiceCli, TooManyMaxWorkersIsRefusedByTheParallelRunnersOwnCheck) {
  // One bound, checked where every runner option is: --max-workers sets 'max_workers'.
  const Result result = sluice("run --runner parallel --max-workers 2000");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_THAT(result.output, HasSubstr("runner 'parallel': option 'max_workers': must be at most "
                                       "1024 (got 2000)"));
}

TEST_F(SluiceCli, ATagListWithSomeUnknownTagsRunsAndWarns) {
  const Result result = sluice("run --tags preprocessing,nosuch");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, AllOf(HasSubstr("warning"), HasSubstr("no node has the tag 'nosuch'"),
                                   HasSubstr("Completed 1 out of 1 tasks")));
  EXPECT_EQ(sluice("run --tags nosuch").exit_code, 1);
}

TEST_F(SluiceCli, CommandLineMistakesExitOneWithAnErrorAndWhereToLook) {
  auto error_of = [&](const std::string& arguments) {
    const Result result = sluice(arguments);
    EXPECT_EQ(result.exit_code, 1) << arguments << ": " << result.output;
    EXPECT_THAT(result.output, ::testing::StartsWith("Error: ")) << arguments;
    return result.output;
  };
  EXPECT_THAT(error_of("rnu"), AllOf(HasSubstr("unknown command 'rnu' (did you mean 'run'?)"),
                                     HasSubstr("see 'sluice --help'")));
  EXPECT_THAT(error_of(""), HasSubstr("needs a command: one of run, catalog"));
  EXPECT_THAT(
      error_of("run --nodse split"),
      AllOf(HasSubstr("unknown option '--nodse' for 'sluice run' (did you mean '--nodes'?)"),
            HasSubstr("see 'sluice run --help'")));
  EXPECT_THAT(error_of("catalog lsit"), HasSubstr("unknown command 'lsit' (did you mean 'list'?)"));
  EXPECT_THAT(error_of("viz --format png"), HasSubstr("see 'sluice viz --help'"));
  EXPECT_THAT(error_of("inspect"), AllOf(HasSubstr("missing the argument bundle"),
                                         HasSubstr("see 'sluice inspect --help'")));
  EXPECT_THAT(error_of("run --pipeline"), HasSubstr("--pipeline needs a value"));
  EXPECT_THAT(error_of("bench --repeat x"), HasSubstr("--repeat x: not a valid value"));
  EXPECT_THAT(error_of("run --max-workers -1"),
              HasSubstr("--max-workers -1: must be between 1 and"));
  EXPECT_THAT(error_of("run --runner parallel --max-workers 99999999999999999999"),
              HasSubstr("--max-workers 99999999999999999999: must be between 1 and"));

  const Result version = sluice("--version");
  EXPECT_EQ(version.exit_code, 0) << version.output;
  EXPECT_EQ(version.output, "sluice " SLUICE_VERSION "\n");
  const Result help = sluice("run --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_THAT(help.output, HasSubstr("--max-workers"));
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
  // A comma that starts no other key=value item is part of the value: a list stays whole.
  const Result list = sluice("run --params \"train_fraction=[0.5, 0.25],random_state=7\"");
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_THAT(list.output, HasSubstr("is a list"));
}

TEST_F(SluiceCli, CatalogInterpolatesGlobalsAndRuntimeParams) {
  project.write("conf/base/globals.yml", "model_input: data/05_model_input\n");
  project.write("conf/local/catalog.yml",
                "X_train:\n  type: BinaryDataset\n"
                "  filepath: ${globals:model_input}/${runtime_params:tag, plain}_X_train.bin\n");
  const Result tagged = sluice("run --params tag=t1");
  ASSERT_EQ(tagged.exit_code, 0) << tagged.output;
  EXPECT_TRUE(fs::exists(project / "data/05_model_input/t1_X_train.bin"));
  const Result plain = sluice("run");
  ASSERT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_TRUE(fs::exists(project / "data/05_model_input/plain_X_train.bin"));

  project.write("conf/local/catalog.yml",
                "X_train:\n  type: BinaryDataset\n  filepath: ${globals:model_inptu}/X.bin\n");
  const Result unknown = sluice("run");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.output,
              AllOf(HasSubstr("conf/local/catalog.yml:3:13: ${globals:model_inptu}: globals.yml"),
                    HasSubstr("has no key 'model_inptu' (did you mean 'model_input'?)")));
}

TEST_F(SluiceCli, DatasetFactoriesMakeTheEntriesCatalogResolvePrintsThem) {
  // The iris catalog in three entries: the raw data, a pattern, a catch-all.
  project.write("conf/base/catalog.yml",
                "example_iris_data: {type: CSVDataset, filepath: data/01_raw/iris.csv}\n"
                "\"{split}_train\":\n  type: BinaryDataset\n"
                "  filepath: data/05_model_input/{split}_train.bin\n"
                "\"{default}\":\n  type: BinaryDataset\n  filepath: data/other/{default}.bin\n");
  const Result list = sluice("catalog list");
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_THAT(list.output, AllOf(HasSubstr("X_train: BinaryDataset(filepath=" +
                                           (project / "data/05_model_input/X_train.bin").string() +
                                           ") (from pattern '{split}_train')"),
                                 HasSubstr("y_pred: BinaryDataset(filepath=" +
                                           (project / "data/other/y_pred.bin").string() +
                                           ") (from pattern '{default}')"),
                                 HasSubstr("defaulted to MemoryDataset:\n    (none)")));
  const Result resolve = sluice("catalog resolve");
  ASSERT_EQ(resolve.exit_code, 0) << resolve.output;
  EXPECT_THAT(
      resolve.output,
      AllOf(HasSubstr("X_train:\n  type: BinaryDataset\n  filepath: "
                      "data/05_model_input/X_train.bin\n"),
            HasSubstr("y_test:\n  type: BinaryDataset\n  filepath: data/other/y_test.bin\n"),
            Not(HasSubstr("{default}")), Not(HasSubstr("parameters"))));
  const Result run = sluice("run");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(fs::exists(project / "data/05_model_input/y_train.bin"));
  EXPECT_TRUE(fs::exists(project / "data/other/y_pred.bin"));

  project.write("conf/local/catalog.yml",
                "\"{a}_test\": {type: BinaryDataset, filepath: \"{b}.bin\"}\n");
  const Result bad = sluice("run");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, HasSubstr("conf/local/catalog.yml:1:13: dataset pattern '{a}_test': "
                                    "its entry uses '{b}'"));
}

TEST_F(SluiceCli, AMergeStrategyOtherThanSoftOrDestructiveIsAnErrorNamingSluiceYml) {
  std::ofstream(project / "sluice.yml", std::ios::app)
      << "config_loader:\n  merge_strategy: {parameters: sfot}\n";
  const Result result = sluice("run");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output,
              AllOf(HasSubstr("sluice.yml:"), HasSubstr("the merge strategy 'sfot' is unknown")));
  fs::create_directories(project / "again");
  testing::copy_iris_project(project / "again");
  std::ofstream(project / "again/sluice.yml", std::ios::app)
      << "config_loader:\n  merge_strategy: {parameters: soft}\n";
  project.write("again/conf/local/parameters.yml", "train_fraction: 0.5\n");
  const Result soft = sluice("run", project / "again");
  ASSERT_EQ(soft.exit_code, 0) << soft.output;
}

TEST_F(SluiceCli, KedrosShortFlagsRunnerNamesAndPipelines) {
  const Result result = sluice("run -p __default__ -r SequentialRunner -n split -e local");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, AllOf(HasSubstr("Completed 1 out of 1 tasks"),
                                   Not(HasSubstr("Running node: make_predictions"))));
  const Result tagged = sluice("run --pipelines __default__ -t preprocessing -r ThreadRunner");
  ASSERT_EQ(tagged.exit_code, 0) << tagged.output;
  EXPECT_THAT(tagged.output, HasSubstr("Running node: split("));
  const Result both = sluice("run --pipeline x --pipelines __default__");
  EXPECT_EQ(both.exit_code, 1);
  EXPECT_THAT(both.output, HasSubstr("--pipeline and --pipelines: give one of them"));
  const Result params = sluice("run --runner-params max_workers=2 -r parallel");
  ASSERT_EQ(params.exit_code, 0) << params.output;
  const Result typo = sluice("run --runner-params max_wrkers=2 -r parallel");
  EXPECT_EQ(typo.exit_code, 1);
  EXPECT_THAT(typo.output, HasSubstr("unknown option 'max_wrkers' (did you mean 'max_workers'?)"));
  const Result space = sluice("run --namespaces model");
  EXPECT_EQ(space.exit_code, 1);
  EXPECT_THAT(space.output,
              HasSubstr("no node is in the namespace 'model'; namespaces in use: none"));
}

TEST_F(SluiceCli, OnlyMissingOutputsSkipsNodesWhoseOutputsExist) {
  ASSERT_EQ(sluice("run -n split").exit_code, 0);
  // split's four outputs exist: the model and the report run.
  const Result second = sluice("run --only-missing-outputs");
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output,
              AllOf(HasSubstr("running 2 of 3 nodes"), Not(HasSubstr("Running node: split(")),
                    HasSubstr("Running node: make_predictions(")));
  // Everything exists: only the report, which has no outputs, runs (as in Kedro).
  const Result third = sluice("run --only-missing-outputs");
  EXPECT_THAT(third.output, AllOf(HasSubstr("running 1 of 3 nodes"),
                                  HasSubstr("Running node: report_accuracy(")));
  // A lost output of split runs split again, and not what reads it: its outputs exist (only
  // what is missing is made, as in Kedro).
  fs::remove(project / "data/05_model_input/X_test.bin");
  const Result lost = sluice("run --only-missing-outputs");
  EXPECT_THAT(lost.output,
              AllOf(HasSubstr("running 2 of 3 nodes"), HasSubstr("Running node: split("),
                    Not(HasSubstr("Running node: make_predictions("))));
}

TEST_F(SluiceCli, ARunConfigFileGivesFlagsTheCommandLineOverrides) {
  project.write("run.yml",
                "run:\n  node_names: [split]\n  runner: ThreadRunner\n"
                "  params: {train_fraction: 0.5}\n  async: true\n");
  const Result result = sluice("run --config run.yml");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("Completed 1 out of 1 tasks"));
  EXPECT_EQ(rows_of("data/05_model_input/y_test.bin"), 75U);  // train_fraction 0.5 of 150
  const Result wins = sluice("run -c run.yml --nodes split,make_predictions");
  ASSERT_EQ(wins.exit_code, 0) << wins.output;
  EXPECT_THAT(wins.output, HasSubstr("Completed 2 out of 2 tasks"));

  project.write("bad.yml", "run:\n  pipeline: __default__\n  nodse: [split]\n");
  const Result unknown = sluice("run --config bad.yml");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.output, AllOf(HasSubstr("bad.yml:3:10: --config: 'nodse' is not a flag of "
                                              "sluice run (did you mean 'nodes'?)"),
                                    HasSubstr("the flags: project, conf-source, env, pipeline")));
  project.write("bad.yml", "run:\n  async: 3\n");
  EXPECT_THAT(sluice("run --config=bad.yml").output,
              HasSubstr("bad.yml:2:10: --config: 'async' is a flag: write true or false (got 3)"));
  project.write("bad.yml", "- a\n");
  EXPECT_THAT(sluice("run --config bad.yml").output,
              HasSubstr("a run configuration is a map of run's flags"));
  EXPECT_THAT(sluice("run --config missing.yml").output, HasSubstr("missing.yml"));
}

TEST_F(SluiceCli, RegistryListsAndDescribesThePipelines) {
  const Result list = sluice("registry list");
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_THAT(list.output, HasSubstr("- __default__ (3 nodes)\n  inputs: example_iris_data, "
                                     "parameters\n  outputs: none\n"));
  const Result describe = sluice("registry describe __default__");
  ASSERT_EQ(describe.exit_code, 0) << describe.output;
  EXPECT_THAT(describe.output,
              AllOf(HasSubstr("Pipeline '__default__': 3 nodes\n"),
                    HasSubstr("- split: [example_iris_data, parameters] -> [X_train, X_test, "
                              "y_train, y_test] tags preprocessing\n"),
                    HasSubstr("- report_accuracy: [y_pred, y_test] -> [] tags reporting\n")));
  const Result unknown = sluice("registry describe __defualt__");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.output, HasSubstr("unknown pipeline '__defualt__' (did you mean "
                                        "'__default__'?)"));
}

TEST_F(SluiceCli, LogLevelsFromTheCommandLineTheEnvironmentAndLoggingYml) {
  for (const char* quiet : {"run -q", "run --log-level warning", "-q run"}) {
    const Result result = sluice(quiet);
    ASSERT_EQ(result.exit_code, 0) << quiet << "\n" << result.output;
    EXPECT_THAT(result.output, Not(HasSubstr("Loading data from"))) << quiet;
  }
  EXPECT_THAT(sluice("run").output, HasSubstr("Loading data from"));
  ::setenv("SPDLOG_LEVEL", "warn", 1);
  const Result warn = sluice("run");
  EXPECT_EQ(warn.exit_code, 0) << warn.output;
  EXPECT_THAT(warn.output, Not(HasSubstr("Loading data from")));
  // The command line wins over the environment.
  const Result both = sluice("run --log-level info");
  EXPECT_THAT(both.output, HasSubstr("Loading data from"));
  ::unsetenv("SPDLOG_LEVEL");
  EXPECT_THAT(sluice("run --log-level loud").output,
              HasSubstr("the log level 'loud' is unknown; write trace, debug, info, warning"));

  // conf/logging.yml: no console, a rotating file of JSON lines.
  project.write("conf/logging.yml",
                "level: info\nconsole: false\nfile:\n  path: logs/sluice.jsonl\n"
                "  format: json\n  max_size: 1MiB\n  max_files: 2\n");
  const Result quiet = sluice("run");
  ASSERT_EQ(quiet.exit_code, 0) << quiet.output;
  EXPECT_THAT(quiet.output, Not(HasSubstr("Loading data from")));
  std::ifstream lines(project / "logs/sluice.jsonl");
  std::string line;
  std::size_t count = 0;
  bool saw_loading = false;
  while (std::getline(lines, line)) {
    const Json entry = parse_json(line, "logs/sluice.jsonl", "");  // every line is one JSON object
    EXPECT_EQ(entry.at("logger").get<std::string>(), "sluice");
    saw_loading = saw_loading || entry.at("message").get<std::string>().starts_with(
                                     "Loading data from 'example_iris_data'");
    ++count;
  }
  EXPECT_GT(count, 5U);
  EXPECT_TRUE(saw_loading);
  project.write("conf/logging.yml", "level: loud\n");
  const Result bad = sluice("run");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, AllOf(HasSubstr("conf/logging.yml:1:8"),
                                HasSubstr("the log level 'loud' is unknown")));
  project.write("conf/logging.yml", "levle: info\n");
  EXPECT_THAT(sluice("run").output, HasSubstr("unknown option 'levle' (did you mean 'level'?)"));
}

TEST_F(SluiceCli, BashCompletionKnowsTheCommandsAndOptions) {
  const Result script = sluice("completion bash > completion.bash");
  ASSERT_EQ(script.exit_code, 0) << script.output;
  auto completed = [&](const std::string& words, int current) {
    const std::string command = fmt::format(
        "cd '{}' && bash -c 'source completion.bash; COMP_WORDS=({}); COMP_CWORD={}; _sluice; "
        "echo \"${{COMPREPLY[*]}}\"' 2>&1",
        project.path().string(), words, current);
    std::string output;
    FILE* pipe = ::popen(command.c_str(), "r");
    std::array<char, 4096> buffer{};
    while (std::size_t read = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
      output.append(buffer.data(), read);
    }
    ::pclose(pipe);
    return output;
  };
  EXPECT_EQ(completed("sluice ca", 1), "catalog\n");
  EXPECT_EQ(completed("sluice catalog re", 2), "resolve\n");
  EXPECT_EQ(completed("sluice run --only", 2), "--only-missing-outputs\n");
  // Options and their values are skipped: still the options of run.
  EXPECT_EQ(completed("sluice run --env local --pipel", 4), "--pipeline --pipelines\n");
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
  EXPECT_THAT(tee.output, AllOf(HasSubstr("Loading data from 'X_train' (BinaryDataset (via tee))"),
                                HasSubstr("Persisted 'y_pred' (BinaryDataset) in the background"),
                                HasSubstr("Tee: 5 background writes finished")));
  EXPECT_EQ(rows_of("data/05_model_input/y_test.bin"), 30U);
  const Result cache = sluice("run --hooks cache");
  EXPECT_EQ(cache.exit_code, 0) << cache.output;
  EXPECT_THAT(cache.output, HasSubstr("Loading data from 'X_train' (BinaryDataset (cached))"));
  project.write("conf/local/hooks.yml",
                "plugins: [tee]\nhooks:\n  - name: tee\n    options: {writers: 0}\n");
  EXPECT_THAT(sluice("run").output,
              AllOf(HasSubstr("conf/local/hooks.yml:4:24"), HasSubstr("must be at least 1")));
  project.write("conf/local/hooks.yml",
                "plugins: [tee]\nhooks:\n  - name: tee\n    options: {writers: 1000000}\n");
  const Result absurd = sluice("run");
  EXPECT_EQ(absurd.exit_code, 1);  // an error, not std::terminate
  EXPECT_THAT(absurd.output, AllOf(HasSubstr("conf/local/hooks.yml:4:24"),
                                   HasSubstr("must be at most 1024 (got 1000000)")));
}

TEST_F(SluiceCli, AfterACorruptInputFileTheResumeStartsAtItsProducer) {
  ASSERT_EQ(sluice("run").exit_code, 0);
  project.write("data/05_model_input/X_train.bin", "not what split wrote");
  const Result resumed = sluice("run --from-nodes make_predictions");
  EXPECT_EQ(resumed.exit_code, 1);
  EXPECT_THAT(resumed.output, AllOf(HasSubstr("'X_train'"), HasSubstr("--from-nodes \"split\""),
                                    Not(HasSubstr("--from-nodes \"make_predictions\""))));
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

TEST_F(SluiceCli, AHookWhosePluginTheListLeavesOutSaysToAddThePlugin) {
  project.write("conf/local/hooks.yml", "plugins:\n  - tee\nhooks:\n  - name: node_timing\n");
  const Result run = sluice("run");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_THAT(run.output,
              AllOf(HasSubstr("conf/local/hooks.yml:4:5: hook 'node_timing' comes from the "
                              "plugin 'node_timing', which is not loaded"),
                    HasSubstr("add `node_timing` to the `plugins:` list ("),
                    HasSubstr("conf/local/hooks.yml:2:3)"), Not(HasSubstr("did you mean"))));
}

TEST_F(SluiceCli, SettingsYmlTurnsFsyncOffForTheProjectAndABadValueNamesItsLine) {
  project.write("conf/local/settings.yml", "fsync: false\n");
  const Result run = sluice("run");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(fs::exists(project / "data/05_model_input/X_train.bin")) << run.output;
  project.write("conf/local/settings.yml", "fsync: sometimes\n");
  const Result bad = sluice("run");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.output, AllOf(HasSubstr("conf/local/settings.yml:1:8"), HasSubstr("fsync")));
  project.write("conf/local/settings.yml", "fsnyc: false\n");
  EXPECT_THAT(sluice("run").output,
              AllOf(HasSubstr("conf/local/settings.yml:1:8"),
                    HasSubstr("unknown option 'fsnyc' (did you mean 'fsync'?)")));
  project.write("conf/local/settings.yml", "");
  project.write("conf/local/catalog.yml",
                "X_train:\n  type: BinaryDataset\n  filepath: data/x_train.bin\n"
                "  fs_args: {fsync: 0}\n");
  EXPECT_THAT(sluice("run").output, AllOf(HasSubstr("conf/local/catalog.yml:4:20"),
                                          HasSubstr("'fsync' must be true or false (got 0)")));
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

TEST_F(SluiceCli, IntermediatesLiveInRedisWhenHooksYmlListsTheRedisPlugin) {
  SLUICE_REQUIRE_SERVER(testing::redis_missing());
  const auto redis_binary = testing::find_redis_server();
  testing::TempDir redis_folder;
  testing::RedisServer server(*redis_binary, redis_folder.path(),
                              {"--requirepass", "cli-redis-secret"});
  const testing::IrisOnServers servers(&server, "cli-redis-secret");
  project.write("conf/local/credentials.yml", servers.credentials_yml());
  project.write("conf/local/catalog.yml",
                servers.redis_entry("X_train") + servers.redis_entry("y_pred", "  ttl: 1h\n"));
  // Without the plugin the type is unknown.
  const Result unknown = sluice("run");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_THAT(unknown.output, AllOf(HasSubstr("unknown type 'RedisDataset'"),
                                    HasSubstr("listed under 'plugins:' in hooks.yml")));
  project.write("conf/local/hooks.yml", "plugins:\n  - node_timing\n  - redis\n");
  const Result run = sluice("run");
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, AllOf(HasSubstr("Saving data to 'X_train' (RedisDataset)"),
                                HasSubstr("Model has an accuracy of 0.933 on test data."),
                                Not(HasSubstr("cli-redis-secret"))));
  EXPECT_FALSE(fs::exists(project / "data/05_model_input/X_train.bin"));

  // The server gone: the run fails naming the dataset and what to do, without the password.
  server.stop();
  const Result down = sluice("run");
  EXPECT_NE(down.exit_code, 0);
  EXPECT_THAT(down.output, AllOf(HasSubstr("dataset 'X_train'"), HasSubstr("start redis-server"),
                                 Not(HasSubstr("cli-redis-secret"))));
  server.restart();
  EXPECT_EQ(sluice("run").exit_code, 0);

  project.write("conf/local/credentials.yml", "iris_redis:\n  password: not-the-cli-secret\n");
  const Result refused = sluice("run");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_THAT(refused.output,
              AllOf(HasSubstr("refused the credentials"), Not(HasSubstr("not-the-cli-secret"))));
}

TEST_F(SluiceCli, IntermediatesLiveOnS3WhenHooksYmlListsTheS3Plugin) {
  SLUICE_REQUIRE_S3RVER();
  testing::S3rver server("iris-s3");
  testing::IrisOnServers servers(&server, nullptr);
  project.write("conf/local/credentials.yml", servers.credentials_yml());
  const std::string catalog = servers.catalog();
  project.write("conf/local/catalog.yml", catalog);
  // Without the plugin the scheme is unknown, and the message says what to list.
  const Result unknown = sluice("run");
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_THAT(unknown.output, AllOf(HasSubstr("storage scheme 's3'"),
                                    HasSubstr("add `s3` to the `plugins:` list")));

  project.write("conf/local/hooks.yml", "plugins:\n  - node_timing\n  - s3\n");
  const Result run = sluice("run");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, AllOf(HasSubstr("Saving data to 'X_train' (BinaryDataset)"),
                                HasSubstr("Model has an accuracy of 0.933 on test data.")));
  EXPECT_FALSE(fs::exists(project / "data/05_model_input/X_train.bin"));
  // Without the tee every downstream node loads its inputs back from the bucket.
  for (const auto& [name, gets] : servers.reads()) {
    EXPECT_GE(gets, 1u) << name;
  }
  const auto sequential = servers.stored();
  for (const auto& [name, bytes] : sequential) {
    ASSERT_TRUE(bytes.has_value()) << name;
  }

  // The tee wraps the S3 datasets unchanged: same accuracy, the same bytes in the bucket, and
  // not one object GET (the next nodes read the values from memory).
  servers.remove_all();
  const Result tee = sluice("run --hooks tee");
  ASSERT_EQ(tee.exit_code, 0) << tee.output;
  EXPECT_THAT(tee.output, AllOf(HasSubstr("Loading data from 'X_train' (BinaryDataset (via tee))"),
                                HasSubstr("Model has an accuracy of 0.933 on test data.")));
  EXPECT_EQ(servers.reads(), testing::IrisOnServers::no_reads());
  EXPECT_EQ(servers.stored(), sequential);

  const Result parallel = sluice("run --runner parallel --hooks tee");
  ASSERT_EQ(parallel.exit_code, 0) << parallel.output;
  EXPECT_THAT(parallel.output, HasSubstr("Model has an accuracy of 0.933 on test data."));
  EXPECT_EQ(servers.reads(), testing::IrisOnServers::no_reads());
  EXPECT_EQ(servers.stored(), sequential);

  // A missing bucket: the run fails naming the dataset, S3's code and what to do.
  std::string missing = catalog;
  for (std::size_t at = missing.find("s3://iris-s3/"); at != std::string::npos;
       at = missing.find("s3://iris-s3/", at)) {
    missing.replace(at, 13, "s3://no-bucket/");
  }
  project.write("conf/local/catalog.yml", missing);
  const Result no_bucket = sluice("run");
  EXPECT_NE(no_bucket.exit_code, 0);
  EXPECT_THAT(no_bucket.output, AllOf(HasSubstr("dataset 'X_train'"), HasSubstr("NoSuchBucket"),
                                      HasSubstr("Create the bucket 'no-bucket'")));

  // On local files the same objects come out.
  fs::remove(project / "conf/local/catalog.yml");
  ASSERT_EQ(sluice("run").exit_code, 0);
  for (const auto& [name, path] : testing::iris_intermediates()) {
    EXPECT_EQ(read_file(project / "data" / path), sequential.at(name)) << name;
  }
}

TEST_F(SluiceCli, IntermediatesOnS3AndRedisInOneRunAreTheSameBytesUnderEveryRunnerAndTheTee) {
  SLUICE_REQUIRE_S3RVER();
  SLUICE_REQUIRE_SERVER(testing::redis_missing());
  testing::S3AndRedis both("iris-mixed");
  testing::IrisOnServers& servers = both.iris;
  // The reference: the BinaryDataset files of a run on local files.
  ASSERT_EQ(sluice("run").exit_code, 0);
  std::map<std::string, std::optional<std::string>> local;
  for (const auto& [name, path] : testing::iris_intermediates()) {
    local[name] = read_file(project / "data" / path);
  }
  fs::remove_all(project / "data/05_model_input");
  fs::remove_all(project / "data/07_model_output");

  // X_train, X_test and y_train on S3, y_test and y_pred in Redis.
  project.write("conf/local/credentials.yml", servers.credentials_yml());
  project.write("conf/local/catalog.yml", servers.catalog({"y_test", "y_pred"}));
  project.write("conf/local/hooks.yml", "plugins:\n  - node_timing\n  - redis\n  - s3\n");
  for (const std::string mode : {"", " --hooks tee", " --runner parallel --hooks tee"}) {
    servers.remove_all();
    const Result run = sluice("run" + mode);
    ASSERT_EQ(run.exit_code, 0) << mode << "\n" << run.output;
    EXPECT_THAT(run.output, AllOf(HasSubstr("Saving data to 'X_train' (BinaryDataset"),
                                  HasSubstr("Saving data to 'y_pred' (RedisDataset"),
                                  HasSubstr("Model has an accuracy of 0.933 on test data.")))
        << mode;
    const auto reads = servers.reads();
    if (mode.empty()) {
      for (const auto& [name, gets] : reads) {
        EXPECT_GE(gets, 1u) << name;
      }
    } else {
      EXPECT_THAT(run.output,
                  AllOf(HasSubstr("Loading data from 'X_train' (BinaryDataset (via tee))"),
                        HasSubstr("Loading data from 'y_test' (RedisDataset (via tee))")))
          << mode;
      EXPECT_EQ(reads, testing::IrisOnServers::no_reads()) << mode;
    }
    EXPECT_EQ(servers.stored(), local) << mode;
    EXPECT_FALSE(fs::exists(project / "data/05_model_input")) << mode;
  }
}

TEST_F(SluiceCli, TheS3EnvironmentPutsIrisIntermediatesOnS3BehindTheTee) {
  SLUICE_REQUIRE_S3RVER();
  SLUICE_REQUIRE_SERVER(testing::redis_missing());
  testing::S3AndRedis both("iris");
  testing::IrisOnServers& servers = both.iris;
  // conf/s3 names redis-server's usual port; this one has a free port of its own.
  std::string catalog = read_file(project / "conf/s3/catalog.yml");
  const std::string usual = "redis://127.0.0.1:6379/0";
  ASSERT_NE(catalog.find(usual), std::string::npos);
  for (std::size_t at = catalog.find(usual); at != std::string::npos; at = catalog.find(usual))
    catalog.replace(at, usual.size(), both.redis.url());
  project.write("conf/s3/catalog.yml", catalog);
  // The endpoint and keys as every AWS tool takes them (the `sluice` child inherits them).
  struct Environment {
    explicit Environment(const std::string& endpoint) {
      ::setenv("AWS_ENDPOINT_URL", endpoint.c_str(), 1);
      ::setenv("AWS_ACCESS_KEY_ID", testing::S3rver::access_key, 1);
      ::setenv("AWS_SECRET_ACCESS_KEY", testing::S3rver::secret_key, 1);
    }
    ~Environment() {
      ::unsetenv("AWS_ENDPOINT_URL");
      ::unsetenv("AWS_ACCESS_KEY_ID");
      ::unsetenv("AWS_SECRET_ACCESS_KEY");
    }
    Environment(const Environment&) = delete;
    Environment& operator=(const Environment&) = delete;
  } environment(both.s3.endpoint());
  const Result result = sluice("run --env s3");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output,
              AllOf(HasSubstr("Loading data from 'X_train' (BinaryDataset (via tee))"),
                    HasSubstr("Loading data from 'y_train' (RedisDataset (via tee))"),
                    HasSubstr("Model has an accuracy of 0.933 on test data.")));
  EXPECT_FALSE(fs::exists(project / "data/05_model_input/X_train.bin"));
  EXPECT_TRUE(servers.s3_client().exists("iris", "05_model_input/X_train.bin"));
  EXPECT_TRUE(servers.s3_client().exists("iris", "07_model_output/y_pred.bin"));
  // y_train and y_test in Redis, not on S3; the tee read none of the five back.
  EXPECT_FALSE(servers.s3_client().exists("iris", "05_model_input/y_train.bin"));
  EXPECT_EQ(servers.reads(), testing::IrisOnServers::no_reads());
  EXPECT_TRUE(testing::redis_dataset_bytes(both.redis.port(), "iris:y_train").has_value());
  for (const auto& [name, bytes] : servers.stored()) {
    EXPECT_TRUE(bytes.has_value()) << name;
  }
}

TEST_F(SluiceCli, TheSlowEnvironmentPutsIrisOnSlowStorageBehindTheTee) {
  const Result result = sluice("run --env slow");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output,
              AllOf(HasSubstr("Loading data from 'X_train' (BinaryDataset (via tee))"),
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
  // Wrapped by the tee or the cache: the real type and file, and the wrapper.
  project.write("conf/local/hooks.yml", "plugins: [tee]\nhooks:\n  - name: tee\n");
  const Result teed = sluice("catalog list");
  EXPECT_THAT(teed.output,
              AllOf(HasSubstr("X_train: BinaryDataset(filepath="),
                    HasSubstr("X_train.bin) (via tee)"), Not(HasSubstr("TeeDataset"))));
  project.write("conf/local/hooks.yml", "plugins: [cache]\nhooks:\n  - name: cache\n");
  EXPECT_THAT(sluice("catalog list").output, AllOf(HasSubstr("X_train: BinaryDataset(filepath="),
                                                   HasSubstr("X_train.bin) (cached)")));
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
                    HasSubstr("are: base, local, s3, slow (did you mean 'slow'?)")));
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
  EXPECT_EQ(rows[0], (std::vector<std::string>{
                         "scenario", "strategy", "wall_s", "bound_s", "ratio", "speedup",
                         "peak_bytes", "reads", "writes", "write-latency", "time_scale",
                         "optimum_s", "optimum_ratio", "schedule_s", "schedule_ratio",
                         "schedule_rule", "predicted_s", "predicted_ratio", "predicted_only"}));
  for (std::size_t row = 1; row < rows.size(); ++row) {
    const auto& fields = rows[row];
    ASSERT_EQ(fields.size(), rows[0].size());
    EXPECT_EQ(fields[0], "chain:3");
    // sequential reads each step's input back from storage; the tee reads only the raw input.
    EXPECT_EQ(fields[7], fields[1] == "tee" ? "1" : "3") << fields[1];
    EXPECT_EQ(fields[8], "3") << fields[1];  // both persist every intermediate
    EXPECT_EQ(fields[6] == "0", fields[1] == "sequential") << "peak bytes of " << fields[1];
    EXPECT_EQ(fields[11], fields[3]) << "a chain's optimum is its bound, " << fields[1];
    EXPECT_EQ(fields[13], fields[3]) << "and so is its best schedule, " << fields[1];
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
  EXPECT_THAT(result.output,
              AllOf(HasSubstr("bound: the lower bound of docs/architecture.md (\"The lower "
                              "bound and the optimum\")"),
                    Not(HasSubstr("DESIGN.md"))));
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
  // The fix, checked on the same inputs: the parameter changed for this replay only.
  const Result fixed = sluice("replay " + bundle.string() + " --params train_fraction=0.5");
  EXPECT_EQ(fixed.exit_code, 0) << fixed.output;
  EXPECT_THAT(fixed.output,
              AllOf(HasSubstr("with --params train_fraction=0.5"),
                    HasSubstr("Node 'split' ran without error on the saved inputs this time."),
                    HasSubstr("X_train: sluice::Table")));
  const Result unknown = sluice("replay " + bundle.string() + " --params trian_fraction=0.5");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.output, HasSubstr("--params trian_fraction: node 'split' reads no such "
                                        "parameter; its parameter inputs: parameters"));
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

TEST_F(SluiceCli, TimelineReadsBackEverySpanARunWroteAndNamesWhereABadTraceBreaks) {
  ASSERT_EQ(sluice("run --hooks timeline").exit_code, 0);
  const Json trace = parse_json(read_file(project / "timeline.json"), "timeline.json", "");
  const auto spans = std::count_if(trace.at("traceEvents").begin(), trace.at("traceEvents").end(),
                                   [](const Json& event) { return event.at("ph") == "X"; });
  ASSERT_GT(spans, 0);
  const Result summary = sluice("timeline timeline.json");
  EXPECT_EQ(summary.exit_code, 0) << summary.output;
  EXPECT_THAT(summary.output,
              HasSubstr(fmt::format("timeline.json: {} spans on 1 threads", spans)));

  project.write("cut.json", read_file(project / "timeline.json").substr(0, 200));
  const Result cut = sluice("timeline cut.json");
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_THAT(cut.output, AllOf(HasSubstr("cut.json:"), HasSubstr(": not valid JSON: "),
                                HasSubstr("run it again to write a new one"),
                                Not(HasSubstr("json.exception"))));
}

TEST_F(SluiceCli, InspectNamesWhereABrokenBundleBreaks) {
  ASSERT_EQ(sluice("run --hooks debug_catalog --params train_fraction=1.5").exit_code, 1);
  const fs::path bundle = fs::directory_iterator(project / "postmortem")->path();
  write_file_atomically(bundle / "state.json", "{\"run_id\": \"r\",\n \"datasets\": [,]}\n");
  const Result inspect = sluice("inspect " + bundle.string());
  EXPECT_EQ(inspect.exit_code, 1);
  EXPECT_THAT(inspect.output, AllOf(HasSubstr("state.json:2:15: not valid JSON"),
                                    HasSubstr("run the pipeline again to get a new one")));
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

TEST_F(SluiceCli, BenchSetsAndSweepsTheTeesMaxWriters) {
  const Result set = sluice(
      "bench --scenario fanout:4 --strategies parallel+tee --workers 4 --tee-writers 2 "
      "--read-latency 1s --repeat 1 --time-scale 0.002");
  ASSERT_EQ(set.exit_code, 0) << set.output;
  EXPECT_THAT(set.output, HasSubstr("the tee has at most 2 writers"));
  const Result swept = sluice(
      "bench --scenario fanout:4 --strategies parallel+tee --workers 4 --sweep tee-writers=1,4 "
      "--read-latency 1s --repeat 1 --time-scale 0.002 --out sweep.csv");
  ASSERT_EQ(swept.exit_code, 0) << swept.output;
  EXPECT_THAT(swept.output, HasSubstr("the tee has at most swept writers"));
  const std::string csv = read_file(project / "sweep.csv");
  EXPECT_THAT(csv, AllOf(HasSubstr("tee-writers"), HasSubstr(",1,"), HasSubstr(",4,")));
  const Result absurd = sluice(
      "bench --scenario fanout:4 --strategies parallel+tee --tee-writers 2000 --repeat 1 "
      "--time-scale 0.002");
  EXPECT_EQ(absurd.exit_code, 1);
  EXPECT_THAT(absurd.output, AllOf(HasSubstr("max_writers"), HasSubstr("must be at most 1024")));
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
  EXPECT_THAT(error_of("--payload 100GiB"),
              AllOf(HasSubstr("--payload 100.0 GiB is too large"), HasSubstr("this machine has")));
  EXPECT_THAT(error_of("--scenario chain:100000000"),
              AllOf(HasSubstr("is too large"), HasSubstr("at most 1000000")));
}

TEST_F(SluiceCli, AFolderWhereAFileShouldBeIsNamedWithItsDataset) {
  fs::remove(project / "data/01_raw/iris.csv");
  fs::create_directories(project / "data/01_raw/iris.csv");
  const Result run = sluice("run");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, AllOf(HasSubstr("dataset 'example_iris_data'"),
                                HasSubstr("data/01_raw/iris.csv' is a directory, not a file")));
}

// Every intermediate of iris, versioned.
constexpr const char* kVersionedCatalog = R"(example_iris_data:
  type: CSVDataset
  filepath: data/01_raw/iris.csv
X_train: {type: BinaryDataset, filepath: data/05_model_input/X_train.bin, versioned: true}
X_test: {type: BinaryDataset, filepath: data/05_model_input/X_test.bin, versioned: true}
y_train: {type: BinaryDataset, filepath: data/05_model_input/y_train.bin, versioned: true}
y_test: {type: BinaryDataset, filepath: data/05_model_input/y_test.bin, versioned: true}
y_pred: {type: BinaryDataset, filepath: data/07_model_output/y_pred.bin, versioned: true}
)";

// version → the bytes of every versioned dataset saved under it, in catalog order.
std::map<std::string, std::vector<std::string>> versions_in(const fs::path& project) {
  std::map<std::string, std::vector<std::string>> versions;
  for (const char* file :
       {"05_model_input/X_train.bin", "05_model_input/X_test.bin", "05_model_input/y_train.bin",
        "05_model_input/y_test.bin", "07_model_output/y_pred.bin"}) {
    const fs::path folder = project / "data" / file;
    for (const auto& version : fs::directory_iterator(folder)) {
      versions[version.path().filename().string()].push_back(
          read_file(version.path() / folder.filename()));
    }
  }
  return versions;
}

TEST_F(SluiceCli, ConcurrentVersionedRunsEachKeepTheirOwnData) {
  project.write("conf/base/catalog.yml", kVersionedCatalog);
  // What each parameter gives, from runs one at a time.
  std::map<std::string, std::vector<std::string>> expected;
  std::set<std::string> seen;
  for (const char* seed : {"3", "4"}) {
    const Result run = sluice(std::string("run --params random_state=") + seed);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    for (const auto& [version, files] : versions_in(project.path())) {
      if (seen.insert(version).second) {
        ASSERT_EQ(files.size(), 5U) << version;
        expected[seed] = files;
      }
    }
  }
  ASSERT_EQ(expected.size(), 2U);
  ASSERT_NE(expected["3"], expected["4"]);  // the parameter changes every intermediate

  constexpr int kRuns = 8;
  std::vector<FILE*> runs;
  for (int i = 0; i < kRuns; ++i) {
    const std::string command =
        "cd '" + project.path().string() +
        "' && '" SLUICE_BINARY "' run --params random_state=" + (i % 2 == 0 ? "3" : "4") + " 2>&1";
    runs.push_back(::popen(command.c_str(), "r"));
    ASSERT_NE(runs.back(), nullptr);
  }
  for (FILE* pipe : runs) {
    std::string output;
    std::array<char, 4096> buffer{};
    while (std::size_t read = std::fread(buffer.data(), 1, buffer.size(), pipe)) {
      output.append(buffer.data(), read);
    }
    const int status = ::pclose(pipe);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  }
  const auto versions = versions_in(project.path());
  EXPECT_EQ(versions.size(), 2U + kRuns);  // one version per run: no id was shared
  int with_3 = 0;
  for (const auto& [version, files] : versions) {
    EXPECT_EQ(files.size(), 5U) << version << " lacks some datasets";
    const bool is_3 = files == expected["3"];
    EXPECT_TRUE(is_3 || files == expected["4"]) << version << " mixes two runs' data";
    with_3 += is_3 ? 1 : 0;
  }
  EXPECT_EQ(with_3, 1 + kRuns / 2);
}

TEST_F(SluiceCli, ASecondRunWritingTheSameUnversionedFilesIsRefused) {
  // The first run holds: its last save waits an hour on simulated storage.
  project.write("conf/hold/catalog.yml", R"(y_pred:
  type: SimulatedStorage
  write_latency: 1h
  dataset: {type: BinaryDataset, filepath: data/07_model_output/y_pred.bin}
)");
  const pid_t first = ::fork();
  ASSERT_GE(first, 0);
  if (first == 0) {
    if (::chdir(project.path().c_str()) == 0) {
      const int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, STDOUT_FILENO);
      ::dup2(null, STDERR_FILENO);
      ::execl(SLUICE_BINARY, SLUICE_BINARY, "run", "--env", "hold", static_cast<char*>(nullptr));
    }
    ::_exit(127);
  }
  // Wait until the first run has claimed X_train (its split is done).
  const fs::path lock = project / "data/05_model_input/.X_train.bin.lock";
  for (int i = 0; i < 6000 && !fs::exists(lock); ++i) {
    ::usleep(10'000);
  }
  const bool claimed = fs::exists(lock);
  const Result second = claimed ? sluice("run") : Result{};
  ::kill(first, SIGKILL);
  ::waitpid(first, nullptr, 0);
  ASSERT_TRUE(claimed) << "the first run never saved X_train";
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_THAT(second.output,
              AllOf(HasSubstr("X_train.bin': run "), HasSubstr(fmt::format("(pid {})", first)),
                    HasSubstr("is writing it at the same time"), HasSubstr("versioned: true")));
  // Once the first run is gone, its claim is too.
  const Result third = sluice("run");
  EXPECT_EQ(third.exit_code, 0) << third.output;
}

// SLUICE_PLUGIN_PATH for the sluice processes a test starts, while it lives.
class PluginPath {
 public:
  explicit PluginPath(const fs::path& folder) { ::setenv("SLUICE_PLUGIN_PATH", folder.c_str(), 1); }
  ~PluginPath() { ::unsetenv("SLUICE_PLUGIN_PATH"); }
  PluginPath(const PluginPath&) = delete;
  PluginPath& operator=(const PluginPath&) = delete;
};

const fs::path kTestPlugins = SLUICE_TEST_PLUGIN_DIR;

TEST_F(SluiceCli, AHookWhosePluginFailsToLoadShowsThePluginsError) {
  const PluginPath path(kTestPlugins);
  const Result abi = sluice("run --hooks abi_mismatch_plugin");
  EXPECT_EQ(abi.exit_code, 1);
  EXPECT_THAT(abi.output, AllOf(HasSubstr("--hooks: hook 'abi_mismatch_plugin': its plugin failed "
                                          "to load"),
                                HasSubstr("was built for plugin ABI version 999"),
                                Not(HasSubstr("unknown hook"))));
  const Result unresolved = sluice("run --hooks unresolved_plugin");
  EXPECT_EQ(unresolved.exit_code, 1);
  EXPECT_THAT(unresolved.output,
              AllOf(HasSubstr("undefined symbol: sluice_test_symbol_that_does_not_exist"),
                    Not(HasSubstr("unknown hook"))));
}

TEST_F(SluiceCli, UnknownHooksListThePluginsOnTheSearchPathButNotTheProjectLibrary) {
  project.write("conf/local/hooks.yml", "hooks:\n  - name: node_timming\n");
  const Result from_config = sluice("run");
  EXPECT_EQ(from_config.exit_code, 1);
  EXPECT_THAT(from_config.output,
              AllOf(HasSubstr("conf/local/hooks.yml:2:5: unknown hook 'node_timming' (did you mean "
                              "'node_timing'?); registered hooks: node_timing"),
                    HasSubstr("hook plugins on the search path (/"),
                    HasSubstr("cache, debug_catalog, memory_profiler"),
                    HasSubstr("list the plugin under 'plugins:' in hooks.yml")));
  const Result from_flag = sluice("run --hooks iris");
  EXPECT_EQ(from_flag.exit_code, 1);
  for (const auto& output : {from_config.output, from_flag.output}) {
    const auto list = output.substr(output.find("hook plugins on the search path"));
    EXPECT_THAT(list, Not(HasSubstr("iris"))) << output;  // the project library adds no hooks
  }
}

TEST_F(SluiceCli, PluginPathsAreRelativeToTheProjectAndBareNamesAreSearched) {
  testing::TempDir elsewhere;
  const fs::path node_timing =
      fs::path(SLUICE_BINARY).parent_path().parent_path() / "lib/sluice/plugins/node_timing.so";
  project.write("conf/local/hooks.yml",
                "plugins: [plugins/node_timing.so]\nhooks:\n  - name: node_timing\n");
  // Only the current folder has plugins/node_timing.so: it must not be loaded.
  fs::create_directories(elsewhere / "plugins");
  fs::copy_file(node_timing, elsewhere / "plugins/node_timing.so");
  const Result from_elsewhere =
      sluice("run --project " + project.path().string(), elsewhere.path());
  EXPECT_EQ(from_elsewhere.exit_code, 1);
  EXPECT_THAT(from_elsewhere.output,
              HasSubstr(fmt::format("plugin file '{}' does not exist",
                                    (project / "plugins/node_timing.so").string())));
  // In the project folder it is the one loaded, from anywhere.
  fs::create_directories(project / "plugins");
  fs::copy_file(node_timing, project / "plugins/node_timing.so");
  const Result in_project = sluice("run --project " + project.path().string(), elsewhere.path());
  EXPECT_EQ(in_project.exit_code, 0) << in_project.output;
  EXPECT_THAT(in_project.output, HasSubstr("Node 'split' ran in"));

  // A bare "tee.so" is a name: the real tee from the search path, not ./tee.so.
  project.write("tee.so", "not a library");
  project.write("conf/local/hooks.yml", "plugins: [tee.so]\nhooks:\n  - name: tee\n");
  const Result bare = sluice("run");
  EXPECT_EQ(bare.exit_code, 0) << bare.output;
  EXPECT_THAT(bare.output, HasSubstr("Tee: 5 background writes finished"));

  // --hooks takes hook names: a path is refused before its registration runs.
  project.write("conf/local/hooks.yml", "plugins: []\nhooks: []\n");
  fs::copy_file(kTestPlugins / "test_plugin.so", project / "test_plugin.so");
  const Result path = sluice("run --hooks ./test_plugin.so");
  EXPECT_EQ(path.exit_code, 1);
  EXPECT_THAT(path.output,
              AllOf(HasSubstr("--hooks: './test_plugin.so' is a path, not a hook name"),
                    Not(HasSubstr("stamp"))));  // test_plugin registers 'stamp'
}

TEST_F(SluiceCli, HookOutputsGoIntoTheProjectFromAnyFolder) {
  testing::TempDir elsewhere;
  project.write("conf/local/hooks.yml",
                "plugins: [memory_profiler, timeline, debug_catalog]\nhooks:\n"
                "  - name: memory_profiler\n    options: {json: data/08_reporting/memory.json}\n"
                "  - name: timeline\n    options: {path: data/08_reporting/timeline.json}\n"
                "  - name: debug_catalog\n");
  const std::string at_project = "--project " + project.path().string();
  const Result good = sluice("run " + at_project, elsewhere.path());
  EXPECT_EQ(good.exit_code, 0) << good.output;  // the folder is created for memory.json
  EXPECT_TRUE(fs::is_regular_file(project / "data/08_reporting/memory.json")) << good.output;
  EXPECT_TRUE(fs::is_regular_file(project / "data/08_reporting/timeline.json")) << good.output;

  const Result failed = sluice("run --params train_fraction=1.5 " + at_project, elsewhere.path());
  EXPECT_EQ(failed.exit_code, 1);
  ASSERT_TRUE(fs::is_directory(project / "postmortem")) << failed.output;
  EXPECT_TRUE(fs::is_empty(elsewhere.path())) << "wrote into the current folder";
}

TEST_F(SluiceCli, ASecretParameterIsRedactedWholeInTheBundleAndInspect) {
  const Result run =
      sluice("run --hooks debug_catalog --params 'db.password=S3cr3t w0rd2,train_fraction=1.5'");
  EXPECT_EQ(run.exit_code, 1) << run.output;
  ASSERT_TRUE(fs::is_directory(project / "postmortem")) << run.output;
  const fs::path bundle = fs::directory_iterator(project / "postmortem")->path();
  const std::string state = read_file(bundle / "state.json");
  EXPECT_THAT(state, AllOf(HasSubstr("db.password=***"), Not(HasSubstr("S3cr3t")),
                           Not(HasSubstr("w0rd2"))));
  const Result inspect = sluice("inspect " + bundle.string());
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  EXPECT_THAT(inspect.output,
              AllOf(HasSubstr("Command: "), Not(HasSubstr("S3cr3t")), Not(HasSubstr("w0rd2"))));
}

TEST_F(SluiceCli, InlineCredentialsInTheCatalogAreNotEchoed) {
  project.write("conf/local/catalog.yml",
                "X_train:\n  type: MemoryDataset\n  credentials: {user: a, password: S3cr3t}\n");
  const Result result = sluice("run");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, AllOf(HasSubstr("conf/local/catalog.yml:3:16: dataset 'X_train'"),
                                   HasSubstr("must be the name of an entry in credentials.yml"),
                                   Not(HasSubstr("S3cr3t"))));
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
