// The tee's memory budget in `sluice bench`: fanout:16, whose sixteen branch outputs wait for
// one join, under a budget of four of them. Runs the real `sluice` binary on simulated storage.

#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/util/json.hpp>

#include "support/sluice_cli.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

using ::testing::HasSubstr;

constexpr std::uint64_t kPayload = 256 * 1024;  // doubles of 256 KiB per value
constexpr std::uint64_t kBudget = 1024 * 1024;  // four values

TEST(BenchTeeBudget, AutoKeepsThePeakWithinTheBudgetAndReadsBackLessThanNever) {
  testing::TempDir folder;
  const testing::CliResult bench = testing::run_cli(
      SLUICE_BINARY, folder.path(),
      "bench --scenario fanout:16 --payload 256KiB --tee-budget 1MiB --read-latency 50ms "
      "--compute 20ms --strategies sequential,tee:always,tee:auto,tee:never --repeat 1 "
      "--time-scale 1 --out results.json");
  ASSERT_EQ(bench.exit_code, 0) << bench.output;
  EXPECT_THAT(bench.output, HasSubstr("the tee holds at most 1.0 MiB"));
  std::map<std::string, Json> rows;
  for (const Json& row : read_json_file(folder / "results.json", "sluice bench --out")) {
    rows[row.at("strategy").get<std::string>()] = row;
  }
  ASSERT_EQ(rows.size(), 4U) << bench.output;
  const auto peak = [&](const char* strategy) {
    return rows.at(strategy).at("peak_bytes").get<std::uint64_t>();
  };
  const auto reads = [&](const char* strategy) {
    return rows.at(strategy).at("reads").get<std::uint64_t>();
  };
  const auto wall = [&](const char* strategy) {
    return rows.at(strategy).at("wall_s").get<double>();
  };
  // always keeps every branch output for the join (16 values, over the budget) and reads only
  // the input; auto and never stay within the budget.
  EXPECT_GT(peak("tee:always"), 8 * kPayload) << bench.output;
  EXPECT_EQ(reads("tee:always"), 1U);
  EXPECT_LE(peak("tee:auto"), kBudget) << bench.output;
  EXPECT_LE(peak("tee:never"), kBudget) << bench.output;
  // auto reads back only what did not fit (the join reads 16 values, about 4 from memory);
  // never reads back every value after its write.
  EXPECT_GE(reads("tee:auto"), 1U + 12U);
  EXPECT_LT(reads("tee:auto"), reads("tee:never")) << bench.output;
  EXPECT_LT(wall("tee:auto"), wall("tee:never")) << bench.output;
  // The predictor simulates the budget (calibrated on sequential): within 20 % under every
  // preset's slowdown.
  for (const char* strategy : {"tee:always", "tee:auto", "tee:never"}) {
    const double ratio = rows.at(strategy).at("predicted_ratio").get<double>();
    EXPECT_GT(ratio, 0.8) << strategy << "\n" << bench.output;
    EXPECT_LT(ratio, 1.2) << strategy << "\n" << bench.output;
  }
}

TEST(BenchTeeBudget, AHoldOnAStrategyWithoutTheTeeOrABadBudgetIsRefused) {
  testing::TempDir folder;
  const testing::CliResult hold = testing::run_cli(SLUICE_BINARY, folder.path(),
                                                   "bench --scenario chain:2 --strategies "
                                                   "parallel:auto --repeat 1");
  EXPECT_NE(hold.exit_code, 0);
  EXPECT_THAT(hold.output, HasSubstr("'parallel:auto': a suffix ':HOLD' sets the tee's hold"));
  const testing::CliResult budget = testing::run_cli(
      SLUICE_BINARY, folder.path(), "bench --scenario chain:2 --tee-budget lots --repeat 1");
  EXPECT_NE(budget.exit_code, 0);
  EXPECT_THAT(budget.output, HasSubstr("--tee-budget"));
}

}  // namespace
}  // namespace sluice
