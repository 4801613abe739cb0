#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/util/suggest.hpp>

namespace sluice {
namespace {

using ::testing::ElementsAre;

TEST(Suggest, CloseMatchesComeBestFirst) {
  EXPECT_THAT(close_matches("train", {"report", "trains", "train"}),
              ElementsAre("train", "trains"));
  EXPECT_EQ(did_you_mean("splt", {"split", "report"}), " (did you mean 'split'?)");
  EXPECT_EQ(did_you_mean("zzz", {"split"}), "");
}

TEST(Suggest, ANameGivenTwiceIsSuggestedOnce) {
  // Hook names and the plugins providing them can both list 'row_counter'.
  EXPECT_THAT(close_matches("row_countr", {"row_counter", "row_counter", "tee"}),
              ElementsAre("row_counter"));
  EXPECT_EQ(did_you_mean("row_countr", {"row_counter", "tee", "row_counter"}),
            " (did you mean 'row_counter'?)");
}

}  // namespace
}  // namespace sluice
