#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/error.hpp>
#include <sluice/core/table.hpp>

namespace sluice {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(Csv, InfersColumnTypes) {
  const Table table = read_csv_string("i,d,s,mixed\n1,1.5,x,1\n-2,2,y,z\n");
  EXPECT_EQ(table.column_as<std::int64_t>("i"), (std::vector<std::int64_t>{1, -2}));
  EXPECT_EQ(table.column_as<double>("d"), (std::vector<double>{1.5, 2.0}));
  EXPECT_EQ(table.column_as<std::string>("s"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(table.column_as<std::string>("mixed"), (std::vector<std::string>{"1", "z"}));
}

TEST(Csv, QuotedFieldsKeepCommasQuotesAndNewlines) {
  const Table table =
      read_csv_string("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",2\r\n");
  EXPECT_EQ(table.column_as<std::string>("a"), (std::vector<std::string>{"x, y", "multi\nline"}));
  // A quoted field keeps the whole column text.
  EXPECT_EQ(table.column_as<std::string>("b"), (std::vector<std::string>{"say \"hi\"", "2"}));
}

TEST(Csv, EmptyNumericFieldsBecomeNaN) {
  const Table table = read_csv_string("x\n1.5\n\n");  // the blank line is skipped
  EXPECT_EQ(table.num_rows(), 1U);
  const Table gaps = read_csv_string("x,y\n1.5,a\n,b\n");
  EXPECT_TRUE(std::isnan(gaps.column_as<double>("x")[1]));
}

TEST(Csv, WriteThenReadGivesAnEqualTable) {
  Table table;
  table.add_column("whole", std::vector<double>{1.0, 2.0})
      .add_column("n", std::vector<std::int64_t>{7, -8})
      .add_column("text", std::vector<std::string>{"42", "a,\"b\"\nc"});
  EXPECT_EQ(read_csv_string(write_csv_string(table)), table);
}

TEST(Csv, EdgeCasesRoundTripIntoAnEqualTable) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  Table one_nan;
  one_nan.add_column("x", std::vector<double>{1.5, nan, 2.0});
  Table all_nan;
  all_nan.add_column("x", std::vector<double>{nan, nan})
      .add_column("n", std::vector<std::int64_t>{1, 2});
  Table no_rows;
  no_rows.add_column("d", std::vector<double>{})
      .add_column("i", std::vector<std::int64_t>{})
      .add_column("s", std::vector<std::string>{});
  Table unnamed;
  unnamed.add_column("", std::vector<std::int64_t>{3, 4});
  Table empty_string;
  empty_string.add_column("s", std::vector<std::string>{""});
  for (const Table& table : {one_nan, all_nan, no_rows, unnamed, empty_string, Table()}) {
    const std::string csv = write_csv_string(table);
    EXPECT_EQ(read_csv_string(csv), table) << csv;
  }
}

// Random tables drawn from values that CSV finds hard: every one must come back equal.
TEST(Csv, RandomTablesOfAwkwardValuesRoundTrip) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<double> doubles{0.0, -0.0, 1.0, -2.5, 1e300, 5e-324,
                                    0.1, nan,  inf, -inf, 1e16,  123456789012345678.0};
  const std::vector<std::int64_t> integers{0, 1, -1, std::numeric_limits<std::int64_t>::min(),
                                           std::numeric_limits<std::int64_t>::max()};
  const std::vector<std::string> strings{
      "",     " ",   "a",          "1",          "-2",         "+3",
      "1.5",  "1e5", "nan",        "NaN",        "inf",        "-Infinity",
      "0x10", "a,b", "say \"hi\"", "two\nlines", "cr\rlf\r\n", "#sluice:types=int64",
      "#",    " 7 "};
  const std::vector<std::string> names{"",  "x",   "#y", "a,b", "\"q\"",      " sp",
                                       "1", "nan", "z",  "w",   "multi\nline"};
  std::mt19937 random(11);
  auto pick = [&random](const auto& pool) { return pool[random() % pool.size()]; };
  for (int trial = 0; trial < 2000; ++trial) {
    Table table;
    const std::size_t columns = random() % 4;
    const std::size_t rows = random() % 4;
    for (std::size_t c = 0; c < columns; ++c) {
      std::string name = pick(names);
      while (table.has_column(name)) {
        name += "_";
      }
      switch (random() % 3) {
        case 0: {
          std::vector<double> values(rows);
          std::generate(values.begin(), values.end(), [&] { return pick(doubles); });
          table.add_column(name, values);
          break;
        }
        case 1: {
          std::vector<std::int64_t> values(rows);
          std::generate(values.begin(), values.end(), [&] { return pick(integers); });
          table.add_column(name, values);
          break;
        }
        default: {
          std::vector<std::string> values(rows);
          std::generate(values.begin(), values.end(), [&] { return pick(strings); });
          table.add_column(name, values);
          break;
        }
      }
    }
    const std::string csv = write_csv_string(table);
    ASSERT_EQ(read_csv_string(csv), table) << "trial " << trial << ":\n" << csv;
  }
}

TEST(Csv, ATypesLineGivesTheColumnTypesAndChecksTheFields) {
  const Table table = read_csv_string("#sluice:types=double,string\nx,y\n1,2\n");
  EXPECT_EQ(table.column_as<double>("x"), (std::vector<double>{1.0}));
  EXPECT_EQ(table.column_as<std::string>("y"), (std::vector<std::string>{"2"}));
  EXPECT_THAT(
      [] { read_csv_string("#sluice:types=int64\nx\n1.5\n", "t.csv"); },
      ThrowsMessage<DatasetError>(HasSubstr("t.csv:3: '1.5' in column 'x' is not an integer")));
  EXPECT_THAT([] { read_csv_string("#sluice:types=float\nx\n", "t.csv"); },
              ThrowsMessage<DatasetError>(HasSubstr("t.csv:1: unknown column type 'float'")));
  EXPECT_THAT(
      [] { read_csv_string("#sluice:types=int64\nx,y\n", "t.csv"); },
      ThrowsMessage<DatasetError>(HasSubstr("names 1 types, but the header on line 2 has 2")));
}

TEST(Csv, WrongFieldCountNamesSourceAndLine) {
  EXPECT_THAT([] { read_csv_string("a,b\n1,2\n3\n", "data/raw.csv"); },
              ThrowsMessage<DatasetError>(HasSubstr("data/raw.csv:3: 1 fields, but the header")));
}

TEST(Csv, UnterminatedQuoteNamesTheLineWhereItOpened) {
  EXPECT_THAT([] { read_csv_string("a\n\"open\n", "raw.csv"); },
              ThrowsMessage<DatasetError>(HasSubstr("raw.csv:2: a quoted field is never closed")));
  EXPECT_THAT([] { read_csv_string("a\nx\"y\n", "raw.csv"); },
              ThrowsMessage<DatasetError>(HasSubstr("raw.csv:2: a quote inside")));
}

TEST(Csv, EmptyInputAndDuplicateHeaderAreErrors) {
  EXPECT_THROW(read_csv_string("", "e.csv"), DatasetError);
  EXPECT_THAT([] { read_csv_string("a,a\n1,2\n", "d.csv"); },
              ThrowsMessage<DatasetError>(HasSubstr("column 'a' appears twice")));
}

}  // namespace
}  // namespace sluice
