#include <limits>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/error.hpp>
#include <sluice/core/table.hpp>

namespace sluice {
namespace {

Table sample() {
  Table table;
  table.add_column("id", std::vector<std::int64_t>{1, 2, 3})
      .add_column("score", std::vector<double>{0.5, 1.5, 2.5})
      .add_column("name", std::vector<std::string>{"a", "b", "c"});
  return table;
}

TEST(Table, ColumnsMustHaveOneLengthAndUniqueNames) {
  Table table = sample();
  EXPECT_THROW(table.add_column("extra", std::vector<double>{1}), Error);
  EXPECT_THROW(table.add_column("id", std::vector<double>{1, 2, 3}), Error);
  EXPECT_EQ(table.num_rows(), 3U);
  EXPECT_EQ(table.num_columns(), 3U);
}

TEST(Table, TypedColumnAccessChecksTheType) {
  const Table table = sample();
  EXPECT_EQ(table.column_as<double>("score")[1], 1.5);
  EXPECT_THROW(table.column_as<std::string>("score"), TypeMismatchError);
  EXPECT_THAT([&] { table.column("nope"); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr("id, score, name")));
}

TEST(Table, TakeSelectDrop) {
  const Table table = sample();
  const Table taken = table.take_rows({2, 0});
  EXPECT_EQ(taken.column_as<std::string>("name"), (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(table.select({"name", "id"}).column_names(), (std::vector<std::string>{"name", "id"}));
  EXPECT_EQ(table.drop("score").column_names(), (std::vector<std::string>{"id", "name"}));
  EXPECT_THROW(table.take_rows({7}), std::out_of_range);
}

TEST(Table, EqualityTreatsNaNAsEqualToNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Table a;
  a.add_column("x", std::vector<double>{nan, 1.0});
  Table b;
  b.add_column("x", std::vector<double>{nan, 1.0});
  Table c;
  c.add_column("x", std::vector<double>{nan, 2.0});
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

}  // namespace
}  // namespace sluice
