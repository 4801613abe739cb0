// CSV options as Kedro's CSVDataset names them: load_args (pandas.read_csv) and save_args
// (DataFrame.to_csv), on read_csv_string / write_csv_string and through the catalog.

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/core/table.hpp>

#include "support/temp_dir.hpp"
#include "support/value_as.hpp"

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;
using ::testing::ThrowsMessage;
using testing::value_as;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// NaN != NaN: compare a double column with NaN at the expected places.
void expect_doubles(const std::vector<double>& actual, const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < actual.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(actual[i])) << "row " << i << " is " << actual[i];
    } else {
      EXPECT_EQ(actual[i], expected[i]) << "row " << i;
    }
  }
}

TEST(CsvLoadArgs, NaInANumericColumnGivesADoubleColumnWithNaN) {
  const Table table =
      read_csv_string("x,n,s\n1.5,1,a\nNA,null,NA\n2.5,N/A,b\nNone,3,c\n<NA>,#N/A,d\n");
  expect_doubles(table.column_as<double>("x"), {1.5, kNaN, 2.5, kNaN, kNaN});
  // An int64 column with a missing value becomes double, as in pandas.
  expect_doubles(table.column_as<double>("n"), {1, kNaN, kNaN, 3, kNaN});
  // A text column keeps its NA strings as text (a Table string has no missing value).
  EXPECT_EQ(table.column_as<std::string>("s"),
            (std::vector<std::string>{"a", "NA", "b", "c", "d"}));
}

TEST(CsvLoadArgs, QuotedNaAndColumnsOfOnlyNaStayText) {
  const Table table = read_csv_string("q,only\n1,NA\n\"NA\",null\n");
  EXPECT_EQ(table.column_as<std::string>("q"), (std::vector<std::string>{"1", "NA"}));
  EXPECT_EQ(table.column_as<std::string>("only"), (std::vector<std::string>{"NA", "null"}));
}

TEST(CsvLoadArgs, NaValuesAddToTheDefaultsUnlessKeepDefaultNaIsFalse) {
  CsvReadOptions options;
  options.na_values = {"-999", "missing"};
  const Table extra = read_csv_string("a,b\n1,-999\nmissing,NA\n", "x.csv", options);
  expect_doubles(extra.column_as<double>("a"), {1, kNaN});
  expect_doubles(extra.column_as<double>("b"), {kNaN, kNaN});

  options.keep_default_na = false;
  const Table only = read_csv_string("a,b,c\n1,-999,\nmissing,NA,2\n", "x.csv", options);
  expect_doubles(only.column_as<double>("a"), {1, kNaN});
  EXPECT_EQ(only.column_as<std::string>("b"), (std::vector<std::string>{"-999", "NA"}));
  // Without the defaults an empty field is not missing either (pandas).
  EXPECT_EQ(only.column_as<std::string>("c"), (std::vector<std::string>{"", "2"}));
}

TEST(CsvLoadArgs, SepAndQuotechar) {
  CsvReadOptions options;
  options.sep = ';';
  options.quotechar = '\'';
  const Table table = read_csv_string("a;b\n'x;''y''';2\n\"q\";3\n", "x.csv", options);
  EXPECT_EQ(table.column_as<std::string>("a"), (std::vector<std::string>{"x;'y'", "\"q\""}));
  EXPECT_EQ(table.column_as<std::int64_t>("b"), (std::vector<std::int64_t>{2, 3}));
  options.sep = '\t';
  options.quotechar = '"';
  const Table tabs = read_csv_string("a\tb\n1,5\t2\n", "x.csv", options);
  EXPECT_EQ(tabs.column_as<std::string>("a"), (std::vector<std::string>{"1,5"}));
}

TEST(CsvLoadArgs, WithoutAHeaderColumnsAreNumberedOrNamed) {
  CsvReadOptions options;
  options.header = false;
  const Table numbered = read_csv_string("1,x\n2,y\n", "x.csv", options);
  EXPECT_EQ(numbered.column_names(), (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(numbered.column_as<std::int64_t>("0"), (std::vector<std::int64_t>{1, 2}));
  options.names = {"id", "name"};
  EXPECT_EQ(read_csv_string("1,x\n2,y\n", "x.csv", options).column_as<std::string>("name"),
            (std::vector<std::string>{"x", "y"}));
  options.header = true;  // names replace the header's
  EXPECT_EQ(read_csv_string("a,b\n1,x\n", "x.csv", options).column_names(),
            (std::vector<std::string>{"id", "name"}));
  options.names = {"only"};
  EXPECT_THAT([&] { read_csv_string("a,b\n1,x\n", "x.csv", options); },
              ThrowsMessage<DatasetError>(
                  HasSubstr("x.csv:1: load_args names gives 1 names, but the header on line 1 "
                            "has 2 columns")));
}

TEST(CsvLoadArgs, SkiprowsSkipsLinesAndErrorsKeepTheFileLines) {
  CsvReadOptions options;
  options.skiprows = 2;
  const Table table = read_csv_string("exported by X\n\na,b\n1,2\n", "x.csv", options);
  EXPECT_EQ(table.column_as<std::int64_t>("b"), (std::vector<std::int64_t>{2}));
  EXPECT_THAT(
      [&] { read_csv_string("junk\n\na,b\n1,2\n3\n", "x.csv", options); },
      ThrowsMessage<DatasetError>(HasSubstr("x.csv:5: 1 fields, but the header on line 3 has 2")));
}

TEST(CsvLoadArgs, UsecolsKeepsTheNamedColumnsInFileOrder) {
  CsvReadOptions options;
  options.usecols = {"c", "a"};
  const Table table = read_csv_string("a,b,c\n1,x,2\n", "x.csv", options);
  EXPECT_EQ(table.column_names(), (std::vector<std::string>{"a", "c"}));
  options.usecols = {"prise"};
  EXPECT_THAT([&] { read_csv_string("price,name\n1,x\n", "x.csv", options); },
              ThrowsMessage<DatasetError>(AllOf(HasSubstr("x.csv: load_args usecols names 'prise'"),
                                                HasSubstr("did you mean 'price'?"),
                                                HasSubstr("the columns are: price, name"))));
}

TEST(CsvLoadArgs, CommentRunsToTheLineEndOutsideQuotes) {
  CsvReadOptions options;
  options.comment = '#';
  const Table table =
      read_csv_string("# a comment line\na,b\n1,\"x#y\"# trailing\n2,z# more\n", "x.csv", options);
  EXPECT_EQ(table.column_as<std::int64_t>("a"), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(table.column_as<std::string>("b"), (std::vector<std::string>{"x#y", "z"}));
}

TEST(CsvLoadArgs, DtypeGivesColumnTypes) {
  CsvReadOptions options;
  options.dtype = {{"code", "str"}, {"n", "float64"}, {"q", "int64"}};
  const Table table = read_csv_string("code,n,q,x\n007,1,\"5\",2\n010,,6,3\n", "x.csv", options);
  EXPECT_EQ(table.column_as<std::string>("code"), (std::vector<std::string>{"007", "010"}));
  expect_doubles(table.column_as<double>("n"), {1, kNaN});
  // A quoted number is a number when the dtype says so (pandas).
  EXPECT_EQ(table.column_as<std::int64_t>("q"), (std::vector<std::int64_t>{5, 6}));
  EXPECT_EQ(table.column_as<std::int64_t>("x"), (std::vector<std::int64_t>{2, 3}));

  CsvReadOptions all;
  all.dtype_all = "object";
  const Table text = read_csv_string("a,b\n1,2.5\n", "x.csv", all);
  EXPECT_EQ(text.column_as<std::string>("a"), (std::vector<std::string>{"1"}));
  EXPECT_EQ(text.column_as<std::string>("b"), (std::vector<std::string>{"2.5"}));
}

TEST(CsvLoadArgs, ADtypeThatCannotHoldAValueNamesFileLineColumnAndValue) {
  CsvReadOptions options;
  options.dtype = {{"n", "int64"}};
  EXPECT_THAT([&] { read_csv_string("n\n1\n2.5\n", "data/x.csv", options); },
              ThrowsMessage<DatasetError>(HasSubstr(
                  "data/x.csv:3: '2.5' in column 'n' is not an integer (load_args dtype int64)")));
  EXPECT_THAT([&] { read_csv_string("n\n1\nNA\n", "data/x.csv", options); },
              ThrowsMessage<DatasetError>(
                  AllOf(HasSubstr("data/x.csv:3: column 'n' is missing a value ('NA'), which int64 "
                                  "cannot hold"),
                        HasSubstr("float64"))));
  options.dtype = {{"n", "float"}};
  EXPECT_THAT([&] { read_csv_string("n\n1\nabc\n", "data/x.csv", options); },
              ThrowsMessage<DatasetError>(HasSubstr(
                  "data/x.csv:3: 'abc' in column 'n' is not a number (load_args dtype float)")));
  options.dtype = {{"m", "float64"}};
  EXPECT_THAT([&] { read_csv_string("n\n1\n", "data/x.csv", options); },
              ThrowsMessage<DatasetError>(HasSubstr("load_args dtype names 'm', which is not a "
                                                    "column")));
}

Table sample() {
  Table table;
  table.add_column("x", std::vector<double>{1.5, kNaN})
      .add_column("n", std::vector<std::int64_t>{7, -8})
      .add_column("s", std::vector<std::string>{"a;b", "say \"hi\""});
  return table;
}

TEST(CsvSaveArgs, DefaultOptionsWriteTodaysBytes) {
  EXPECT_EQ(write_csv_string(sample(), CsvWriteOptions{}), write_csv_string(sample()));
  EXPECT_EQ(write_csv_string(sample()), "x,n,s\n1.5,7,a;b\nnan,-8,\"say \"\"hi\"\"\"\n");
  const Table empty = sample().take_rows({});
  EXPECT_EQ(write_csv_string(empty, CsvWriteOptions{}),
            "#sluice:types=double,int64,string\nx,n,s\n");
}

TEST(CsvSaveArgs, SepHeaderNaRepAndColumns) {
  CsvWriteOptions options;
  options.sep = ';';
  EXPECT_EQ(write_csv_string(sample(), options),
            "x;n;s\n1.5;7;\"a;b\"\nnan;-8;\"say \"\"hi\"\"\"\n");
  options.header = false;
  options.na_rep = "NA";
  options.columns = {"s", "x"};
  EXPECT_EQ(write_csv_string(sample(), options), "\"a;b\";1.5\n\"say \"\"hi\"\"\";NA\n");
  options.columns = {"ss"};
  EXPECT_THAT([&] { write_csv_string(sample(), options, "data/out.csv"); },
              ThrowsMessage<DatasetError>(
                  AllOf(HasSubstr("data/out.csv: save_args columns names 'ss'"),
                        HasSubstr("did you mean 's'"), HasSubstr("it has: x, n, s"))));
}

TEST(CsvSaveArgs, QuotingAndQuotechar) {
  CsvWriteOptions options;
  options.quoting = CsvQuoting::all;
  EXPECT_EQ(write_csv_string(sample(), options),
            "\"x\",\"n\",\"s\"\n\"1.5\",\"7\",\"a;b\"\n\"nan\",\"-8\",\"say \"\"hi\"\"\"\n");
  options.quoting = CsvQuoting::nonnumeric;
  options.quotechar = '\'';
  EXPECT_EQ(write_csv_string(sample(), options), "'x','n','s'\n1.5,7,'a;b'\nnan,-8,'say \"hi\"'\n");
  options.quoting = CsvQuoting::none;
  options.quotechar = '"';
  EXPECT_THAT([&] { write_csv_string(sample(), options, "data/out.csv"); },
              ThrowsMessage<DatasetError>(
                  AllOf(HasSubstr("data/out.csv: column 's', row 2"), HasSubstr("QUOTE_NONE"))));
  options.sep = '|';
  options.quotechar = '\'';
  EXPECT_EQ(write_csv_string(sample(), options), "x|n|s\n1.5|7|a;b\nnan|-8|say \"hi\"\n");
}

TEST(CsvArgs, RoundTripsWithSemicolonsAndQuoteAll) {
  CsvWriteOptions save;
  save.sep = ';';
  save.quoting = CsvQuoting::all;
  CsvReadOptions load;
  load.sep = ';';
  // Every field is quoted, so the types come from dtype (a quoted field is text to inference).
  load.dtype = {{"x", "float64"}, {"n", "int64"}, {"s", "str"}};
  EXPECT_TRUE(read_csv_string(write_csv_string(sample(), save), "x.csv", load) == sample());

  save.quoting = CsvQuoting::minimal;  // minimal quoting needs no dtype
  CsvReadOptions plain;
  plain.sep = ';';
  EXPECT_TRUE(read_csv_string(write_csv_string(sample(), save), "x.csv", plain) == sample());
}

class CsvCatalog : public ::testing::Test {
 protected:
  CsvCatalog() { register_builtins(registry); }

  Catalog build(const std::string& catalog_yml) {
    dir.write("conf/base/catalog.yml", catalog_yml);
    const ConfigLoader conf(dir / "conf");
    CatalogOptions options;
    options.root = dir.path();
    return make_catalog(conf.get("catalog"), conf.get("credentials"), conf.get("parameters"),
                        registry, options);
  }

  static std::string read(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  Registry registry;
  TempDir dir;
};

TEST_F(CsvCatalog, LoadArgsAndSaveArgsEndToEnd) {
  dir.write("data/in.csv", "# exported\nid;price;code\n1;9.5;007\n2;NA;010\n");
  Catalog catalog = build(
      "prices:\n"
      "  type: CSVDataset\n"
      "  filepath: data/in.csv\n"
      "  load_args:\n"
      "    sep: ';'\n"
      "    comment: '#'\n"
      "    dtype: {code: str}\n"
      "    na_values: [missing]\n"
      "out:\n"
      "  type: CSVDataset\n"
      "  filepath: data/out.tsv\n"
      "  save_args: {sep: \"\\t\", index: false, na_rep: NA, quoting: QUOTE_NONNUMERIC, "
      "columns: [code, price]}\n"
      "  load_args: {sep: \"\\t\"}\n");
  const Table prices = value_as<Table>(catalog.load("prices"));
  EXPECT_EQ(prices.column_as<std::string>("code"), (std::vector<std::string>{"007", "010"}));
  expect_doubles(prices.column_as<double>("price"), {9.5, kNaN});
  catalog.save("out", Value::of(prices));
  EXPECT_EQ(read(dir / "data/out.tsv"), "\"code\"\t\"price\"\n\"007\"\t9.5\n\"010\"\tNA\n");
  const Table again = value_as<Table>(catalog.load("out"));
  EXPECT_TRUE(again == prices.select({"code", "price"}));
}

TEST_F(CsvCatalog, UnknownArgsNameTheirLineAndSuggest) {
  EXPECT_THAT(
      [&] {
        build("a:\n  type: CSVDataset\n  filepath: x.csv\n  load_args:\n    seperator: ';'\n");
      },
      ThrowsMessage<ConfigError>(
          AllOf(HasSubstr("catalog.yml:5:5: dataset 'a' (CSVDataset) load_args: unknown option "
                          "'seperator'"),
                HasSubstr("at "), HasSubstr("catalog.yml:5:16"))));
  EXPECT_THAT(
      [&] { build("a:\n  type: CSVDataset\n  filepath: x.csv\n  save_args:\n    na_repr: x\n"); },
      ThrowsMessage<ConfigError>(
          AllOf(HasSubstr("catalog.yml:5:5"), HasSubstr("unknown option 'na_repr' (did you mean "
                                                        "'na_rep'?)"))));
  EXPECT_THAT([&] { build("a:\n  type: CSVDataset\n  filepath: x.csv\n  load_arg: {}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("'load_arg' (did you mean 'load_args'?")));
}

TEST_F(CsvCatalog, BadArgValuesAreConfigErrorsNamingTheOption) {
  const std::string entry = "a:\n  type: CSVDataset\n  filepath: x.csv\n";
  EXPECT_THAT([&] { build(entry + "  load_args: {dtype: {n: flaot64}}\n"); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("catalog.yml:4:"),
                                               HasSubstr("dtype 'flaot64' is not supported"),
                                               HasSubstr("did you mean 'float64'"))));
  EXPECT_THAT(
      [&] { build(entry + "  load_args: {header: 2}\n"); },
      ThrowsMessage<ConfigError>(AllOf(HasSubstr("option 'header'"), HasSubstr("use skiprows"))));
  EXPECT_THAT([&] { build(entry + "  load_args: {sep: '::'}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("must be one character")));
  EXPECT_THAT([&] { build(entry + "  load_args: {sep: ';', delimiter: ','}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("not both")));
  EXPECT_THAT(
      [&] { build(entry + "  save_args: {index: true}\n"); },
      ThrowsMessage<ConfigError>(AllOf(HasSubstr("option 'index'"), HasSubstr("no index"))));
  EXPECT_THAT([&] { build(entry + "  save_args: {quoting: QUOTE_EVERYTHING}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("not a quoting")));
  EXPECT_THAT([&] { build(entry + "  save_args: {quoting: 4}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("out of range")));
  EXPECT_THAT([&] { build(entry + "  load_args: {na_values: {a: [x]}}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("per-column na_values")));
}

TEST_F(CsvCatalog, HeaderNullAndQuotingNumbersAreAccepted) {
  dir.write("x.csv", "1,a\n2,b\n");
  Catalog catalog = build(
      "a:\n  type: CSVDataset\n  filepath: x.csv\n  load_args: {header: null, names: [id, "
      "label]}\n  save_args: {quoting: 1, header: false}\n");
  const Table table = value_as<Table>(catalog.load("a"));
  EXPECT_EQ(table.column_as<std::int64_t>("id"), (std::vector<std::int64_t>{1, 2}));
  catalog.save("a", Value::of(table));
  EXPECT_EQ(read(dir / "x.csv"), "\"1\",\"a\"\n\"2\",\"b\"\n");
}

}  // namespace
}  // namespace sluice
