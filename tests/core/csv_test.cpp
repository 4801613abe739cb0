#include <cmath>

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
