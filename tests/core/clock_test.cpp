#include <gtest/gtest.h>

#include <sluice/core/clock.hpp>
#include <sluice/core/error.hpp>

namespace sluice {
namespace {

using namespace std::chrono_literals;

TEST(ManualClock, MovesOnlyWhenToldAndSleepsInstantly) {
  const ManualClock clock;
  EXPECT_EQ(clock.now(), 0ns);
  clock.sleep_for(10s);
  EXPECT_EQ(clock.now(), 10s);
  clock.advance(5ms);
  EXPECT_EQ(clock.now(), 10s + 5ms);
}

TEST(ScaledClock, ReportsSimulatedTime) {
  const ScaledClock clock(0.001);  // 1 simulated second = 1 real millisecond
  clock.sleep_for(2s);
  EXPECT_GE(clock.now(), 2s);
  EXPECT_THROW(ScaledClock(0), ConfigError);
  EXPECT_THROW(ScaledClock(-1), ConfigError);
}

TEST(Clock, VersionStampsFollowKedrosFormat) {
  const ManualClock clock(std::chrono::system_clock::time_point(1'700'000'000'123ms));
  EXPECT_EQ(make_version(clock), "2023-11-14T22.13.20.123Z");
}

}  // namespace
}  // namespace sluice
