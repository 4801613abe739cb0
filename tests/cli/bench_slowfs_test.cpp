// `sluice bench --storage slowfs`: the strategies run with real files on a `sluice slowfs` mount
// the bench makes for each point (the real `sluice` binary in a scratch copy of the iris
// project), charged the latencies asked for; nothing is left mounted or on disk afterwards; and
// the options that cannot apply are clear errors.

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "support/bench_table.hpp"
#include "support/fuse.hpp"
#include "support/sluice_cli.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

using Result = testing::CliResult;

// "20.4ms" -> 0.0204 (the read op and write op columns).
double milliseconds_column(const std::string& text) {
  EXPECT_TRUE(text.ends_with("ms")) << text;
  return std::stod(text.substr(0, text.size() - 2)) / 1000;
}

// Whether `text` holds a bench's slowfs name ("sluice-slowfs-<pid>-<n>") of a process that has
// ended: left behind, not in use by a bench still running (another test, run at the same time).
bool left_by_an_ended_process(const std::string& text) {
  const std::string prefix = "sluice-slowfs-";
  const std::size_t at = text.find(prefix);
  if (at == std::string::npos) {
    return false;
  }
  const pid_t pid = static_cast<pid_t>(std::atol(text.c_str() + at + prefix.size()));
  return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH;
}

// The slow filesystems benches that ended have left: mounts and scratch folders of this machine.
std::string leftovers() {
  std::string found;
  std::ifstream mounts("/proc/self/mounts");
  for (std::string line; std::getline(mounts, line);) {
    if (left_by_an_ended_process(line)) {
      found += "mounted: " + line + "\n";
    }
  }
  for (const fs::path& folder : {fs::temp_directory_path(), fs::path("/dev/shm")}) {
    std::error_code ignored;
    for (fs::directory_iterator it(folder, ignored), end; it != end; it.increment(ignored)) {
      if (left_by_an_ended_process(it->path().filename().string())) {
        found += "left: " + it->path().string() + "\n";
      }
    }
  }
  return found;
}

class BenchOnSlowfs : public ::testing::Test {
 protected:
  BenchOnSlowfs() { testing::copy_iris_project(project.path()); }

  Result sluice(const std::string& arguments) const {
    return testing::run_cli(SLUICE_BINARY, project.path(), arguments);
  }

  testing::TempDir project;
};

TEST_F(BenchOnSlowfs, TheStrategiesRunOnAMountChargedTheLatencyAndNothingIsLeft) {
  SLUICE_REQUIRE_FUSE();
  const std::string before = leftovers();
  const Result result = sluice(
      "bench --scenario chain:3 --strategies sequential,tee --repeat 1 --storage slowfs "
      "--read-latency 20ms --write-latency 30ms");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, AllOf(HasSubstr("a `sluice slowfs` FUSE filesystem"),
                                   HasSubstr("times are real seconds")));
  const auto rows = testing::bench_rows(result.output, "chain:3");
  ASSERT_EQ(rows.size(), 2U) << result.output;
  for (const auto& row : rows) {
    // writes, then the read op and write op medians (the filesystem's latencies, at least).
    EXPECT_EQ(row.end()[-5], "3") << result.output;
    EXPECT_GE(milliseconds_column(row.end()[-4]), 0.020) << result.output;
    EXPECT_GE(milliseconds_column(row.end()[-3]), 0.030) << result.output;
  }
  // One at a time: a read of 20 ms and three writes of 30 ms at least.
  EXPECT_GE(std::stod(rows.at(0).at(2)), 0.110) << result.output;
  EXPECT_EQ(leftovers(), before);
}

TEST_F(BenchOnSlowfs, EachPointOfASweepMountsItsOwnLatency) {
  SLUICE_REQUIRE_FUSE();
  const Result result = sluice(
      "bench --scenario chain:2 --strategies sequential --repeat 1 --storage slowfs "
      "--sweep read-latency=5ms,40ms --write-latency 1ms");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto rows = testing::bench_rows(result.output, "chain:2");
  ASSERT_EQ(rows.size(), 2U) << result.output;
  EXPECT_GE(milliseconds_column(rows[0].end()[-4]), 0.005) << result.output;
  EXPECT_LT(milliseconds_column(rows[0].end()[-4]), 0.040) << result.output;
  EXPECT_GE(milliseconds_column(rows[1].end()[-4]), 0.040) << result.output;
}

TEST_F(BenchOnSlowfs, OptionsThatCannotApplyAreClearErrors) {
  const Result url = sluice("bench --scenario chain:2 --storage slowfs --storage-url file://x");
  EXPECT_EQ(url.exit_code, 1) << url.output;
  EXPECT_THAT(url.output, HasSubstr("--storage slowfs mounts a slow filesystem of its own"));
  const Result scale = sluice("bench --scenario chain:2 --storage slowfs --time-scale 0.5");
  EXPECT_EQ(scale.exit_code, 1) << scale.output;
  EXPECT_THAT(scale.output, HasSubstr("in real time: --time-scale 0.5 cannot apply"));
  const Result unknown = sluice("bench --scenario chain:2 --storage slowfs:nowhere");
  EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
  EXPECT_THAT(unknown.output, HasSubstr("unknown storage profile 'nowhere'"));
  EXPECT_THAT(unknown.output, Not(HasSubstr("scenario  strategy")));
}

}  // namespace
}  // namespace sluice
