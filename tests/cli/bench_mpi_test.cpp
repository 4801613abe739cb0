// `sluice bench` with the mpi strategies: the real `sluice` binary, which starts each run of
// `mpi` and `mpi+tee` under mpirun (label `mpi`, tests/CMakeLists.txt), and the errors of those
// strategies (a launcher that fails or hangs, refused options).

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sluice/core/util/files.hpp>
#include <sluice/core/util/json.hpp>

#include "support/sluice_cli.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

using Result = testing::CliResult;

class BenchMpi : public ::testing::Test {
 protected:
  Result sluice(const std::string& arguments) const {
    return testing::run_cli(SLUICE_BINARY, folder.path(), arguments);
  }

  // The results of --out results.json, by strategy.
  std::map<std::string, Json> results() const {
    const Json document = read_json_file(folder / "results.json", "written by sluice bench");
    std::map<std::string, Json> by_strategy;
    for (const Json& result : document) {
      by_strategy[result.at("strategy").get<std::string>()] = result;
    }
    return by_strategy;
  }

  // An executable script in the folder, given as the launcher through SLUICE_MPIRUN.
  fs::path launcher(const std::string& name, const std::string& body) const {
    const fs::path script = folder / name;
    std::ofstream(script) << "#!/bin/sh\n" << body << "\n";
    fs::permissions(script, fs::perms::owner_all);
    return script;
  }

  testing::TempDir folder;
};

// Sets an environment variable for the life of the object.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

// The advisor simulates the mpi runner (docs/architecture.md, "The advisor"): rank 0 hands
// nodes out first come first served, values are fetched from the rank that saved them, each rank
// has its own tee. The mpi rows' predictions (calibrated on each point's sequential run) are
// within 15 % of their measured runs at two read latencies, and their median within 5 %. The
// margin is for ties: where two ranks end within a fraction of a millisecond, first come first
// served can make schedules a read latency apart, and which one the model takes depends on
// sub-millisecond differences in the measured costs (random:20's mpi+tee at 100 ms: 1.41 s or
// 1.31 s predicted, 1.45 s measured; see docs/architecture.md, "The advisor"). The sanitizers
// slow the runners' own work (TSan most: mpirun's ranks and the tee's writers), as in
// tests/bench/predict_accuracy_test.cpp: there each row may be 40 % off and the median 15 %.
#if defined(__SANITIZE_THREAD__)
// Under ThreadSanitizer the ranks run several times slower than any model of the runner's own
// costs (6.7 s measured for fanout:8's mpi row that takes 0.8 s uninstrumented): there the test
// only checks that every mpi row is predicted; the accuracy is checked by the other builds.
constexpr bool kCheckAccuracy = false;
constexpr double kRowTolerance = 0;
constexpr double kMedianTolerance = 0;
#elif defined(__SANITIZE_ADDRESS__)
constexpr bool kCheckAccuracy = true;
constexpr double kRowTolerance = 0.40;
constexpr double kMedianTolerance = 0.15;
#else
constexpr bool kCheckAccuracy = true;
constexpr double kRowTolerance = 0.15;
constexpr double kMedianTolerance = 0.05;
#endif

TEST_F(BenchMpi, PredictionsOfTheMpiStrategiesAreCloseToTheirRuns) {
  std::vector<double> errors;
  for (const char* scenario : {"fanout:8", "random:20"}) {
    SCOPED_TRACE(scenario);
    const Result result = sluice(fmt::format(
        "bench --scenario {} --strategies sequential,mpi,mpi+tee --workers 2 --compute 100ms "
        "--sweep read-latency=100ms,400ms --repeat 1 --time-scale 0.2 --out rows.json",
        scenario));
    ASSERT_EQ(result.exit_code, 0) << result.output;
    const Json rows = read_json_file(folder / "rows.json", "written by sluice bench");
    std::size_t checked = 0;
    for (const Json& row : rows) {
      if (!row.at("strategy").get<std::string>().starts_with("mpi")) {
        continue;
      }
      ASSERT_FALSE(row.at("predicted_ratio").is_null()) << row.dump();
      const double ratio = row.at("predicted_ratio").get<double>();
      EXPECT_GT(ratio, 0) << row.dump();
      if (kCheckAccuracy) {
        EXPECT_NEAR(ratio, 1.0, kRowTolerance) << row.dump() << "\n" << result.output;
      }
      errors.push_back(std::abs(ratio - 1.0));
      ++checked;
    }
    EXPECT_EQ(checked, 4U) << result.output;
  }
  ASSERT_FALSE(errors.empty());
  std::nth_element(errors.begin(), errors.begin() + errors.size() / 2, errors.end());
  if (kCheckAccuracy) {
    EXPECT_LE(errors[errors.size() / 2], kMedianTolerance);
  }
}

TEST_F(BenchMpi, StrategiesRunUnderMpirunAboveTheBoundForTheirWorkers) {
  // fanout:8 is source -> 8 branches -> join, 10 nodes, each output persisted.
  const Result result = sluice(
      "bench --scenario fanout:8 --strategies parallel,mpi,mpi+tee --workers 2 "
      "--read-latency 200ms --compute 100ms --repeat 1 --out results.json");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output,
              AllOf(HasSubstr("strategies: parallel, mpi, mpi+tee; parallel ones use 2 workers; "
                              "mpi ones run under mpirun -np 3"),
                    HasSubstr("mpi+tee")));
  const auto by_strategy = results();
  ASSERT_EQ(by_strategy.size(), 3U) << result.output;
  for (const char* name : {"parallel", "mpi", "mpi+tee"}) {
    ASSERT_TRUE(by_strategy.contains(name)) << name << "\n" << result.output;
    const Json& row = by_strategy.at(name);
    const double wall = row.at("wall_s").get<double>();
    const double bound = row.at("bound_s").get<double>();
    EXPECT_GT(bound, 0) << name;
    // The bound is a lower bound of every schedule on 2 workers: no run may beat it.
    EXPECT_GE(wall, bound * 0.999) << name << "\n" << result.output;
    // Every intermediate persisted: 10 writes, added up over the ranks.
    EXPECT_EQ(row.at("writes").get<int>(), 10) << name;
  }
  // The same pipeline and workers: the same bound as the parallel runner's with 2 threads.
  EXPECT_DOUBLE_EQ(by_strategy.at("mpi").at("bound_s").get<double>(),
                   by_strategy.at("parallel").at("bound_s").get<double>());
  // Without the tee, every read of an intermediate goes to storage (on the rank that holds it):
  // raw once, shared by 8 branches, the 8 branch outputs by the join.
  EXPECT_EQ(by_strategy.at("mpi").at("reads").get<int>(), 17);
  // The tee persists in the background and hands values over in memory.
  EXPECT_LT(by_strategy.at("mpi+tee").at("reads").get<int>(), 17);
}

TEST_F(BenchMpi, AFailingOrHangingLauncherIsAnErrorNamingTheStrategyWithItsOutput) {
  {
    const ScopedEnv mpirun("SLUICE_MPIRUN",
                           launcher("broken", "echo \"no slots for you\" >&2; exit 3").string());
    const Result result =
        sluice("bench --scenario chain:2 --strategies mpi --workers 1 --repeat 1");
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_THAT(result.output,
                AllOf(HasSubstr("scenario 'chain:2', strategy 'mpi' (run 1 of 1)"),
                      HasSubstr("-np 2 --oversubscribe --mca btl self,vader"),
                      HasSubstr("exited with code 3; its output:\nno slots for you")));
  }
  {
    const ScopedEnv mpirun("SLUICE_MPIRUN",
                           launcher("hangs", "echo started; exec sleep 600").string());
    const Result result = sluice(
        "bench --scenario chain:2 --strategies mpi+tee --workers 1 --repeat 1 "
        "--mpi-timeout 1s");
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_THAT(result.output, AllOf(HasSubstr("strategy 'mpi+tee' (run 1 of 1)"),
                                     HasSubstr("did not finish within 1 s, so it was stopped"),
                                     HasSubstr("its output:\nstarted")));
  }
  {
    const ScopedEnv mpirun("SLUICE_MPIRUN", (folder / "no-such-mpirun").string());
    const Result result = sluice("bench --scenario chain:2 --strategies sequential,mpi");
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_THAT(result.output, AllOf(HasSubstr("strategy 'mpi' runs under mpirun, but "
                                               "SLUICE_MPIRUN names"),
                                     HasSubstr("no-such-mpirun")));
    EXPECT_THAT(result.output, Not(HasSubstr("sluice bench: scenario")));  // nothing ran
  }
}

TEST_F(BenchMpi, OptionsTheMpiStrategiesCannotTakeAreRefusedBeforeAnythingRuns) {
  const Result many = sluice("bench --scenario chain:2 --strategies mpi --workers 100");
  EXPECT_EQ(many.exit_code, 1);
  EXPECT_THAT(many.output, HasSubstr("strategy 'mpi': --workers 100 would start an MPI job of "
                                     "101 processes on this machine; the mpi strategies take at "
                                     "most 64 workers"));
  const Result swept = sluice("bench --scenario chain:2 --strategies mpi+tee --sweep workers=1,65");
  EXPECT_THAT(swept.output, HasSubstr("strategy 'mpi+tee': --workers 65 would start"));
  fs::create_directories(folder / "store");
  const Result real = sluice("bench --scenario chain:2 --strategies mpi --storage-url file://" +
                             (folder / "store").string());
  EXPECT_EQ(real.exit_code, 1);
  EXPECT_THAT(real.output, HasSubstr("strategy 'mpi' runs in an MPI job whose every rank has its "
                                     "own catalog, and cannot run on a real backend yet"));
  const Result timeout = sluice("bench --scenario chain:2 --strategies tee --mpi-timeout 1s");
  EXPECT_THAT(timeout.output, HasSubstr("--mpi-timeout limits the runs of the mpi strategies"));
  const Result unknown = sluice("bench --scenario chain:2 --strategies mpi+te");
  EXPECT_THAT(unknown.output, HasSubstr("unknown strategy 'mpi+te' (did you mean 'mpi+tee'"));
  // The child mode is for the ranks mpirun starts, not for people.
  fs::path spec = folder / "run.json";
  std::ofstream(spec) << "{}";
  const Result child = sluice("bench --scenario chain:2 --mpi-child " + spec.string());
  EXPECT_EQ(child.exit_code, 1);
  EXPECT_THAT(child.output, HasSubstr("this process was not started by mpirun"));
}

TEST_F(BenchMpi, TheDefaultStrategiesLeaveTheMpiOnesOut) {
  const Result result = sluice("bench --scenario chain:2 --repeat 1 --time-scale 0.01");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, AllOf(HasSubstr("strategies: sequential, async, cache, tee, "
                                             "parallel, parallel+tee, memory;"),
                                   Not(HasSubstr("mpirun"))));
}

}  // namespace
}  // namespace sluice
