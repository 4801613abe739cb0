// `sluice bench --from-trace`: predictions from one real run's timeline trace. Runs the real
// `sluice` binary in a scratch copy of the iris project on simulated slow storage, traces a
// sequential run, predicts the other strategies from it, then runs them and compares.

#include <algorithm>
#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/util/files.hpp>
#include <sluice/core/util/json.hpp>

#include "support/bench_table.hpp"
#include "support/sluice_cli.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

using Result = testing::CliResult;

// The iris datasets on simulated storage taking `latency` per read and write.
std::string slow_catalog(const std::string& latency) {
  const std::pair<const char*, const char*> datasets[] = {
      {"example_iris_data", "{type: CSVDataset, filepath: data/01_raw/iris.csv}"},
      {"X_train", "{type: BinaryDataset, filepath: data/05_model_input/X_train.bin}"},
      {"X_test", "{type: BinaryDataset, filepath: data/05_model_input/X_test.bin}"},
      {"y_train", "{type: BinaryDataset, filepath: data/05_model_input/y_train.bin}"},
      {"y_test", "{type: BinaryDataset, filepath: data/05_model_input/y_test.bin}"},
      {"y_pred", "{type: BinaryDataset, filepath: data/07_model_output/y_pred.bin}"}};
  std::string yaml;
  for (const auto& [name, dataset] : datasets) {
    yaml += fmt::format(
        "{}:\n  type: SimulatedStorage\n  read_latency: {}\n  write_latency: {}\n  dataset: {}\n",
        name, latency, latency, dataset);
  }
  return yaml;
}

// The wall time of a traced run: the end of its last span, in seconds.
double traced_wall(const fs::path& trace) {
  const Json json = read_json_file(trace, "run with --hooks timeline");
  double end_us = 0;
  for (const Json& event : json.at("traceEvents")) {
    if (event.value("ph", "") == "X") {
      end_us = std::max(end_us, event.at("ts").get<double>() + event.at("dur").get<double>());
    }
  }
  return end_us / 1e6;
}

class BenchFromTrace : public ::testing::Test {
 protected:
  BenchFromTrace() {
    testing::copy_iris_project(project.path());
    project.write("conf/traced/catalog.yml", slow_catalog("200ms"));
  }

  Result sluice(const std::string& arguments) const {
    return testing::run_cli(SLUICE_BINARY, project.path(), arguments);
  }

  // Runs iris on the traced environment with `hooks` (and the timeline), keeping its trace as
  // `name`; returns the trace's path.
  fs::path traced_run(const std::string& hooks, const std::string& name,
                      const std::string& more = "") const {
    const Result run = sluice(fmt::format("run --env traced --hooks {} {}", hooks, more));
    EXPECT_EQ(run.exit_code, 0) << run.output;
    const fs::path trace = project / name;
    fs::rename(project / "timeline.json", trace);
    return trace;
  }

  // strategy -> predicted seconds, from the --out JSON of a prediction.
  std::map<std::string, double> predicted(const fs::path& results) const {
    std::map<std::string, double> seconds;
    for (const Json& row : read_json_file(results, "sluice bench --out")) {
      EXPECT_TRUE(row.at("predicted_only").get<bool>());
      seconds[row.at("strategy").get<std::string>()] = row.at("wall_s").get<double>();
    }
    return seconds;
  }

  testing::TempDir project;
};

TEST_F(BenchFromTrace, ASequentialTracePredictsTheTeeAndTheParallelRunsThatFollow) {
  const fs::path sequential = traced_run("timeline", "sequential.json");
  const Result prediction = sluice(
      "bench --scenario project --from-trace sequential.json --strategies "
      "sequential,tee,parallel,parallel+tee,memory --workers 2 --out predicted.json");
  ASSERT_EQ(prediction.exit_code, 0) << prediction.output;
  EXPECT_THAT(prediction.output,
              AllOf(HasSubstr("predicted from the trace 'sequential.json': nothing was run"),
                    HasSubstr("traced run: runner sequential;"),
                    // 6 reads and 5 writes of 200 ms, seen from the spans (decoding the CSV adds to
                    // its read).
                    ContainsRegex("observed storage: read latency (19[0-9]|2[0-4][0-9]) ms"),
                    HasSubstr("(6 reads)"), HasSubstr("(5 writes)"),
                    HasSubstr("calibration: the traced run's own"), HasSubstr("predicted (s)"),
                    Not(HasSubstr("x predicted")), HasSubstr("recommended: ")));
  const auto seconds = predicted(project / "predicted.json");
  ASSERT_EQ(seconds.size(), 5U);
  // Calibrated on the traced run itself: its own strategy comes back as what it took.
  EXPECT_NEAR(seconds.at("sequential"), traced_wall(sequential), 0.01 * traced_wall(sequential));
  // The tee waits for the raw read and the last write only: far less than sequential.
  EXPECT_LT(seconds.at("tee"), 0.4 * seconds.at("sequential"));
  EXPECT_LT(seconds.at("memory"), seconds.at("tee"));

  // The runs themselves, each traced: within 10 % of what was predicted.
  const double tee = traced_wall(traced_run("timeline,tee", "tee.json"));
  EXPECT_NEAR(seconds.at("tee"), tee, 0.10 * tee);
  const double parallel =
      traced_wall(traced_run("timeline", "parallel.json", "--runner parallel --max-workers 2"));
  EXPECT_NEAR(seconds.at("parallel"), parallel, 0.10 * parallel);
  const double parallel_tee = traced_wall(
      traced_run("timeline,tee", "parallel_tee.json", "--runner parallel --max-workers 2"));
  EXPECT_NEAR(seconds.at("parallel+tee"), parallel_tee, 0.10 * parallel_tee);
}

TEST_F(BenchFromTrace, OtherLatenciesAndSweepsArePredictedFromTheSameTrace) {
  traced_run("timeline", "sequential.json");
  const Result prediction = sluice(
      "bench --scenario project --from-trace sequential.json --strategies sequential,tee "
      "--sweep read-latency=100ms,1s --out swept.csv");
  ASSERT_EQ(prediction.exit_code, 0) << prediction.output;
  EXPECT_THAT(prediction.output, AllOf(HasSubstr("recommended at read-latency=100ms: tee"),
                                       HasSubstr("recommended at read-latency=1s: tee")));
  const auto rows = testing::bench_rows(prediction.output, "project");
  ASSERT_EQ(rows.size(), 4U) << prediction.output;
  // sequential at 1 s per operation: 11 operations, so more than 11 s; at 100 ms about a tenth.
  const double slow = std::stod(rows[2][3]);
  const double fast = std::stod(rows[0][3]);
  EXPECT_EQ(rows[2][1], "sequential");
  EXPECT_GE(slow, 11.0);
  EXPECT_LT(fast, slow / 8);
  EXPECT_TRUE(fs::exists(project / "swept.csv"));
}

TEST_F(BenchFromTrace, TheMpiStrategiesArePredictedAndOneProcessWinsATie) {
  // Nothing runs, so no mpirun is needed. iris is a chain of 3 nodes: two ranks are no faster
  // than one process (under the tee, as fast), and at a tie the advice is the one process.
  traced_run("timeline", "sequential.json");
  const Result prediction = sluice(
      "bench --scenario project --from-trace sequential.json --strategies "
      "sequential,mpi,mpi+tee,tee --workers 2 --out predicted.json");
  ASSERT_EQ(prediction.exit_code, 0) << prediction.output;
  const auto seconds = predicted(project / "predicted.json");
  ASSERT_EQ(seconds.size(), 4U);
  EXPECT_NEAR(seconds.at("mpi"), seconds.at("sequential"), 0.01 * seconds.at("sequential"));
  EXPECT_NEAR(seconds.at("mpi+tee"), seconds.at("tee"), 0.01 * seconds.at("tee"));
  EXPECT_LT(seconds.at("mpi+tee"), 0.4 * seconds.at("mpi"));
  EXPECT_THAT(prediction.output,
              AllOf(HasSubstr("recommended: tee, "), Not(HasSubstr("recommended: mpi"))));
}

TEST_F(BenchFromTrace, ATeeTraceReadsItsWritesFromTheTeeSpans) {
  traced_run("timeline,tee", "tee.json");
  const Result prediction = sluice(
      "bench --scenario project --from-trace tee.json --strategies sequential,tee "
      "--out predicted.json");
  ASSERT_EQ(prediction.exit_code, 0) << prediction.output;
  // The tee hands saved values over in memory: the loads of those are not reads of storage.
  EXPECT_THAT(prediction.output,
              AllOf(HasSubstr("traced run: runner sequential, the tee;"), HasSubstr("(1 reads)"),
                    HasSubstr("(5 writes)"),
                    ContainsRegex("observed storage: read latency (19[0-9]|2[0-4][0-9]) ms")));
}

TEST_F(BenchFromTrace, BadTracesAndOptionsAreClearErrors) {
  EXPECT_THAT(sluice("bench --scenario project --from-trace missing.json").output,
              HasSubstr("no trace at 'missing.json': run with --hooks timeline"));
  project.write("broken.json", "{\"traceEvents\": [");
  EXPECT_THAT(sluice("bench --scenario project --from-trace broken.json").output,
              HasSubstr("broken.json"));
  traced_run("timeline", "sequential.json");
  const Result other = sluice("bench --scenario chain:3 --from-trace sequential.json");
  EXPECT_NE(other.exit_code, 0);
  EXPECT_THAT(other.output, AllOf(HasSubstr("'sequential.json' has no span of node 'step_1'"),
                                  HasSubstr("--scenario/--pipeline it ran")));
  const Result real = sluice(
      "bench --scenario project --from-trace sequential.json --storage-url file://x --time-scale "
      "0.1");
  EXPECT_NE(real.exit_code, 0);
  EXPECT_THAT(real.output,
              AllOf(HasSubstr("--from-trace 'sequential.json' predicts"),
                    HasSubstr("--storage-url, --time-scale cannot apply"), HasSubstr("drop them")));
  EXPECT_THAT(
      sluice("bench --scenario project --from-trace sequential.json --repeat 5 --payload 1MiB")
          .output,
      HasSubstr("--repeat, --payload cannot apply"));
  const Result custom =
      sluice("bench --scenario project --from-trace sequential.json --strategies tee,compressed");
  EXPECT_NE(custom.exit_code, 0);
  EXPECT_THAT(custom.output, HasSubstr("compressed"));
  // A trace of a run that failed does not tell what the nodes cost.
  project.write("conf/traced/parameters.yml", "train_fraction: 7\n");
  const Result failed = sluice("run --env traced --hooks timeline");
  ASSERT_NE(failed.exit_code, 0) << failed.output;
  const Result from_failed = sluice("bench --scenario project --from-trace timeline.json");
  EXPECT_NE(from_failed.exit_code, 0);
  EXPECT_THAT(from_failed.output, AllOf(HasSubstr("failed in the traced run"),
                                        HasSubstr("`sluice run --hooks timeline`")));
}

}  // namespace
}  // namespace sluice
