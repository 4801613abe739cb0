// Dataset factories: catalog keys with {placeholders} (Kedro's), their precedence and errors, and
// dump_yaml(), which `sluice catalog resolve` prints them with.

#include <cmath>
#include <limits>
#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/config_loader.hpp>
#include <sluice/core/dataset_factories.hpp>

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

DatasetFactories factories_of(const std::string& yaml) {
  return DatasetFactories(parse_yaml(yaml, "conf/base/catalog.yml"));
}

std::vector<std::string> order_of(const DatasetFactories& factories) {
  std::vector<std::string> order;
  for (const auto& pattern : factories.patterns()) {
    order.push_back(pattern.pattern);
  }
  return order;
}

TEST(DatasetFactories, PlaceholdersFillEveryStringValueOfTheEntry) {
  const auto factories = factories_of(
      "\"{name}_csv\":\n  type: CSVDataset\n  filepath: data/01_raw/{name}.csv\n"
      "  load_args: {comment: \"# {name}\", na_values: [\"{name}_missing\"]}\n"
      "explicit_csv: {type: MemoryDataset}\n");
  const auto entry = factories.resolve("companies_csv");
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->at("filepath").as_string(), "data/01_raw/companies.csv");
  EXPECT_EQ(entry->at("load_args").at("comment").as_string(), "# companies");
  EXPECT_EQ(entry->at("load_args").at("na_values").as_list()[0].as_string(), "companies_missing");
  EXPECT_EQ(entry->at("filepath").mark().str(), "conf/base/catalog.yml:3:13");
  EXPECT_FALSE(factories.resolve("companies").has_value());
  EXPECT_FALSE(factories.resolve("_csv").has_value());  // a placeholder takes a character or more
  // Explicit entries stay as they are, and win over patterns.
  const Param expanded = factories.expand({"explicit_csv", "shuttles_csv", "other"});
  ASSERT_EQ(expanded.as_map().size(), 2U);
  EXPECT_EQ(expanded.at("explicit_csv").at("type").as_string(), "MemoryDataset");
  EXPECT_EQ(expanded.at("shuttles_csv").at("filepath").as_string(), "data/01_raw/shuttles.csv");
}

TEST(DatasetFactories, KedrosPrecedenceMostSpecificFirstThenFewerPlaceholdersThenAlphabetical) {
  const auto factories = factories_of(
      "\"{default}\": {type: MemoryDataset}\n"
      "\"{namespace}.{name}\": {type: BinaryDataset, filepath: \"data/{namespace}/{name}.bin\"}\n"
      "\"{name}_model\": {type: BinaryDataset, filepath: \"m/{name}\"}\n"
      "\"{a}.{b}_csv\": {type: CSVDataset, filepath: \"{a}/{b}.csv\"}\n"
      "\"{x}_csv\": {type: CSVDataset, filepath: \"{x}.csv\"}\n"
      "\"{y}_bin\": {type: BinaryDataset, filepath: \"{y}.bin\"}\n");
  // Characters outside placeholders: 6, 5, 4, 4 (then alphabetical), 1, 0.
  EXPECT_THAT(order_of(factories), ElementsAre("{name}_model", "{a}.{b}_csv", "{x}_csv", "{y}_bin",
                                               "{namespace}.{name}", "{default}"));
  std::map<std::string, std::string> origin;
  const Param expanded = factories.expand(
      {"eu.prices_csv", "prices_csv", "eu.model.x", "eu_model", "thing", "params:lr", "parameters"},
      &origin);
  EXPECT_EQ(origin.at("eu.prices_csv"), "{a}.{b}_csv");
  EXPECT_EQ(expanded.at("eu.prices_csv").at("filepath").as_string(), "eu/prices.csv");
  EXPECT_EQ(origin.at("prices_csv"), "{x}_csv");
  EXPECT_EQ(origin.at("eu_model"), "{name}_model");
  // The earlier placeholder takes as little as it can.
  EXPECT_EQ(expanded.at("eu.model.x").at("filepath").as_string(), "data/eu/model.x.bin");
  EXPECT_EQ(origin.at("thing"), "{default}");
  // Parameters are never datasets of a pattern.
  EXPECT_FALSE(origin.contains("params:lr"));
  EXPECT_FALSE(origin.contains("parameters"));
}

TEST(DatasetFactories, MalformedAndConflictingPatternsAreErrorsNamingTheEntry) {
  auto error_of = [](const std::string& yaml) -> std::string {
    try {
      factories_of(yaml);
    } catch (const ConfigError& error) {
      return error.what();
    }
    return "no error";
  };
  EXPECT_THAT(error_of("\"{name_csv\": {type: MemoryDataset}\n"),
              HasSubstr("conf/base/catalog.yml:1:14: dataset pattern '{name_csv': the '{' at "
                        "character 1 is not closed"));
  EXPECT_THAT(error_of("\"{}_csv\": {type: MemoryDataset}\n"),
              HasSubstr("'{}' is not a placeholder"));
  EXPECT_THAT(error_of("\"{n:d}_csv\": {type: MemoryDataset}\n"),
              HasSubstr("format specs such as {x:d} are not supported"));
  EXPECT_THAT(error_of("\"{a}_{a}\": {type: MemoryDataset}\n"),
              HasSubstr("the placeholder '{a}' appears twice"));
  EXPECT_THAT(error_of("\"name}_csv\": {type: MemoryDataset}\n"),
              HasSubstr("a '}' without its '{'"));
  EXPECT_THAT(error_of("\"{name}_csv\": {type: CSVDataset, filepath: \"{nmae}.csv\"}\n"),
              HasSubstr("dataset pattern '{name}_csv': its entry uses '{nmae}', which the "
                        "pattern does not have (its placeholders: name)"));
  EXPECT_THAT(error_of("\"{a}_csv\": {type: MemoryDataset}\n\"{b}_csv\": {type: MemoryDataset}\n"),
              AllOf(HasSubstr("dataset patterns '{b}_csv' and '{a}_csv' (at "
                              "conf/base/catalog.yml:1:12) match the same names"),
                    HasSubstr("keep one")));
  EXPECT_THAT(error_of("\"{x}\": {type: MemoryDataset}\n\"{y}\": {type: MemoryDataset}\n"),
              HasSubstr("dataset pattern '{y}': a second catch-all, after '{x}'"));
}

TEST(DumpYaml, ReadsBackEqualWithTypesAndAwkwardStrings) {
  const Param value = parse_yaml(
      "a: 1\nb: '1'\nc: 2.0\nd: true\ne: 'true'\nf: ~\ng: ''\nh: ' padded '\n"
      "i: 'x: y'\nj: '- dash'\nk: \"line\\nbreak\"\nl: [1, [2, 3], {m: n}, [], {}]\n"
      "'key: odd': {nested: {deep: 'quote \" and \\\\ backslash'}}\n"
      "n: .nan\no: -.inf\np: 1e+20\nq: '#hash'\nr: data/${globals:x}/{name}.csv\n",
      "in.yml");
  const std::string text = dump_yaml(value);
  const Param back = parse_yaml(text, "dumped.yml");
  // NaN is not equal to itself: compare it apart.
  EXPECT_TRUE(std::isnan(back.at("n").as_double())) << text;
  Param without_nan = value;
  Param back_without_nan = back;
  without_nan.set("n", 0);
  back_without_nan.set("n", 0);
  EXPECT_EQ(back_without_nan, without_nan) << text;
  EXPECT_EQ(back.at("c").kind(), Param::Kind::floating) << text;
  EXPECT_EQ(back.at("b").kind(), Param::Kind::string) << text;
  EXPECT_EQ(dump_yaml(Param(Param::Map{})), "{}\n");
}

}  // namespace
}  // namespace sluice
