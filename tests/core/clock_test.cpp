#include <cstdlib>
#include <ctime>
#include <optional>
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

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

TEST(Clock, RunIdsAreTheStampThenTheProcessAndAreUniqueAtOneInstant) {
  const ManualClock clock(std::chrono::system_clock::time_point(1'700'000'000'123ms));
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = make_run_id(clock);
    EXPECT_EQ(id.rfind("2023-11-14T22.13.20.123Z-" + std::to_string(::getpid()) + "-", 0), 0U)
        << id;
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000U);
  clock.advance(1ms);
  EXPECT_GT(make_run_id(clock), *ids.rbegin());  // later ids sort after earlier ones
}

// Sets TZ for one test and restores it (and the C library's zone) afterwards.
class ScopedTimeZone {
 public:
  explicit ScopedTimeZone(const char* zone) {
    if (const char* old = std::getenv("TZ")) {
      old_ = old;
    }
    ::setenv("TZ", zone, 1);
    ::tzset();
  }
  ~ScopedTimeZone() {
    if (old_) {
      ::setenv("TZ", old_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  ScopedTimeZone(const ScopedTimeZone&) = delete;
  ScopedTimeZone& operator=(const ScopedTimeZone&) = delete;

 private:
  std::optional<std::string> old_;
};

TEST(Clock, VersionStampsAreUtcWhateverTheLocalTimeZone) {
  const ManualClock clock(std::chrono::system_clock::time_point(1'700'000'000'123ms));
  for (const char* zone : {"America/New_York", "EST5EDT,M3.2.0,M11.1.0", "Asia/Kolkata"}) {
    const ScopedTimeZone in_zone(zone);
    EXPECT_EQ(make_version(clock), "2023-11-14T22.13.20.123Z") << "TZ=" << zone;
  }
}

}  // namespace
}  // namespace sluice
