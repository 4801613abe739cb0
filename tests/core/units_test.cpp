#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/error.hpp>
#include <sluice/core/util/text.hpp>
#include <sluice/core/util/units.hpp>

namespace sluice {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(Units, DurationsAsPeopleWriteThem) {
  EXPECT_EQ(parse_duration("10s"), 10s);
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("1.5m"), 90s);
  EXPECT_EQ(parse_duration("2h"), 7200s);
  EXPECT_EQ(parse_duration("500us"), 500us);
  EXPECT_EQ(parse_duration("0"), 0s);
  EXPECT_EQ(parse_duration("0.5 s"), 500ms);
}

TEST(Units, BadDurationsShowTheAcceptedForms) {
  for (const char* bad : {"10", "ten seconds", "-1s", "5 parsecs", ""}) {
    EXPECT_THAT([&] { parse_duration(bad, "--read-latency"); },
                ThrowsMessage<ConfigError>(HasSubstr("250ms, 10s, 1.5m, 2h")))
        << bad;
  }
  EXPECT_THAT([] { parse_duration("10x", "--compute"); },
              ThrowsMessage<ConfigError>(HasSubstr("--compute '10x' is not a duration")));
}

TEST(Units, SizesInDecimalAndBinaryUnits) {
  EXPECT_EQ(parse_size("4096"), 4096U);
  EXPECT_EQ(parse_size("100MB"), 100'000'000U);
  EXPECT_EQ(parse_size("64MiB"), 64U << 20);
  EXPECT_EQ(parse_size("1.5GiB"), 3U << 29);
  EXPECT_THAT([] { parse_size("64 mib"); }, ThrowsMessage<ConfigError>(HasSubstr("64MiB, 1.5GiB")));
}

TEST(Units, RatesAreBytesPerSecond) {
  EXPECT_DOUBLE_EQ(parse_rate("100MB/s"), 100e6);
  EXPECT_DOUBLE_EQ(parse_rate("1GiB/s"), 1073741824.0);
  EXPECT_DOUBLE_EQ(parse_rate("5000/s"), 5000);
  EXPECT_THAT([] { parse_rate("100MB"); },
              ThrowsMessage<ConfigError>(HasSubstr("'100MB' is not a rate")));
}

TEST(Units, NanInfinityAndOverflowingValuesAreRefused) {
  for (const char* bad : {"nan", "nans", "infs", "inf s", "NaNms"}) {
    EXPECT_THAT([&] { parse_duration(bad, "read_latency"); },
                ThrowsMessage<ConfigError>(HasSubstr("is not a duration")))
        << bad;
  }
  EXPECT_THAT([] { parse_duration("99999999999999999999s", "conf/slow/catalog.yml:3:5: x"); },
              ThrowsMessage<ConfigError>(HasSubstr(
                  "conf/slow/catalog.yml:3:5: x '99999999999999999999s' is too long: durations "
                  "go up to 292 years")));
  EXPECT_THAT([] { parse_duration("1e300h"); }, ThrowsMessage<ConfigError>(HasSubstr("too long")));
  EXPECT_EQ(parse_duration("2562047h"), std::chrono::hours(2562047));
  EXPECT_THAT([] { parse_size("1e30GiB", "--payload"); },
              ThrowsMessage<ConfigError>(
                  HasSubstr("--payload '1e30GiB' is too large: sizes go up to 16 EiB")));
  EXPECT_THAT([] { parse_size("18446744073709551616"); },
              ThrowsMessage<ConfigError>(HasSubstr("too large")));
  EXPECT_THAT([] { parse_size("infGiB"); }, ThrowsMessage<ConfigError>(HasSubstr("is not a size")));
  EXPECT_THAT([] { parse_rate("nan/s"); }, ThrowsMessage<ConfigError>(HasSubstr("is not a rate")));
  EXPECT_THAT([] { parse_rate("1e300TiB/s", "bandwidth"); },
              ThrowsMessage<ConfigError>(HasSubstr("bandwidth '1e300TiB/s' is too large")));
}

TEST(Text, SplitKeepsEmptyPieces) {
  EXPECT_THAT(split("a,,b", ','), ElementsAre("a", "", "b"));
  EXPECT_THAT(split("", ','), ElementsAre(""));
  EXPECT_THAT(split("x=1,", ','), ElementsAre("x=1", ""));
}

TEST(Text, KeyValueItemsKeepTheCommasInsideTheirValues) {
  EXPECT_THAT(split_key_values("a=1,b.c=x,y,d=[1, 2]"), ElementsAre("a=1", "b.c=x,y", "d=[1, 2]"));
  EXPECT_THAT(split_key_values("a=1,,b=2"), ElementsAre("a=1,", "b=2"));
  EXPECT_THAT(split_key_values("nokey,a=1"), ElementsAre("nokey", "a=1"));
  EXPECT_TRUE(starts_key_value("db.pass_word-2=x"));
  EXPECT_FALSE(starts_key_value("=x"));
  EXPECT_FALSE(starts_key_value("a b=x"));
}

}  // namespace
}  // namespace sluice
