#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/config_loader.hpp>

#include "support/bad_yaml.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::TempDir;
using ::testing::ThrowsMessage;

TEST(Yaml, TypesPlainScalarsAndKeepsQuotedOnesAsText) {
  const Param tree =
      parse_yaml("i: 42\nf: 1.5e3\nb: false\nn: ~\ns: hello\nq: '42'\nv: 1.2.3\n", "x.yml");
  EXPECT_EQ(tree.at("i").kind(), Param::Kind::integer);
  EXPECT_EQ(tree.at("f").as_double(), 1500.0);
  EXPECT_FALSE(tree.at("b").as_bool());
  EXPECT_TRUE(tree.at("n").is_null());
  EXPECT_EQ(tree.at("s").as_string(), "hello");
  EXPECT_EQ(tree.at("q").as_string(), "42");
  EXPECT_EQ(tree.at("v").as_string(), "1.2.3");
  EXPECT_EQ(tree.at("s").mark().str(), "x.yml:5:4");
}

TEST(Yaml, MalformedYamlNamesFileLineAndColumn) {
  EXPECT_THAT([] { parse_yaml("a: 1\nb: [1, 2\nc: 3\n", "conf/base/catalog.yml"); },
              ThrowsMessage<ConfigError>(HasSubstr("conf/base/catalog.yml:")));
  try {
    parse_yaml("ok: 1\n  bad: indentation\n", "conf/base/catalog.yml");
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_THAT(error.what(), HasSubstr("conf/base/catalog.yml:2:"));
    EXPECT_THAT(error.what(), HasSubstr("invalid YAML"));
  }
}

TEST(Yaml, DuplicateKeysAreAnError) {
  EXPECT_THAT([] { parse_yaml("a: 1\na: 2\n", "p.yml"); },
              ThrowsMessage<ConfigError>(HasSubstr("p.yml:2:1: key 'a' appears twice")));
}

TEST(Yaml, MergeKeysCopyAnchoredMapsWithoutOverridingWrittenKeys) {
  const Param tree = parse_yaml(
      "_slow: &slow {type: SimulatedStorage, read_latency: 1s}\n"
      "_files: &files {type: BinaryDataset, filepath: x.bin}\n"
      "a:\n  <<: *slow\n  read_latency: 5s\n"
      "b:\n  <<: [*slow, *files]\n",
      "catalog.yml");
  EXPECT_EQ(tree.at("a").at("type").as_string(), "SimulatedStorage");
  EXPECT_EQ(tree.at("a").at("read_latency").as_string(), "5s");
  EXPECT_EQ(tree.at("b").at("type").as_string(), "SimulatedStorage");  // the first map wins
  EXPECT_EQ(tree.at("b").at("filepath").as_string(), "x.bin");
  EXPECT_EQ(tree.at("a").find("<<"), nullptr);
  EXPECT_THAT([] { parse_yaml("a:\n  <<: 3\n", "catalog.yml"); },
              ThrowsMessage<ConfigError>(HasSubstr("catalog.yml:2:3: '<<' merges a map")));
}

TEST(Yaml, AnAliasInsideItsOwnAnchorIsAnErrorAtTheAlias) {
  EXPECT_THAT([] { parse_yaml(testing::kAliasInsideItsAnchor, "catalog.yml"); },
              ThrowsMessage<ConfigError>(
                  HasSubstr("catalog.yml:6:9: alias '*slow' refers to the anchor it is inside")));
  EXPECT_THAT([] { parse_yaml("extra: &x {type: MemoryDataset, metadata: *x}\n", "catalog.yml"); },
              ThrowsMessage<ConfigError>(
                  HasSubstr("catalog.yml:1:43: alias '*x' refers to the anchor it is inside")));
  EXPECT_THAT([] { parse_yaml("- &list [1, [2, *list]]\n", "p.yml"); },
              ThrowsMessage<ConfigError>(HasSubstr("p.yml:1:17: alias '*list'")));
}

TEST(Yaml, AliasesAreCopiesOfWhatTheAnchorHolds) {
  const Param tree = parse_yaml("a: &n 3\nb: *n\nc: &m {x: *n}\nd: [*m, *m]\n", "p.yml");
  EXPECT_EQ(tree.at("b").as_int(), 3);
  EXPECT_EQ(tree.at("d").as_list().at(1).at("x").as_int(), 3);
  EXPECT_EQ(tree.at("d").mark().str(), "p.yml:4:4");
}

TEST(Yaml, AliasesThatMultiplyWithoutBoundAreStoppedAtTheAlias) {
  // "Billion laughs": nine levels of nine aliases would make 9^9 values.
  std::string text = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int level = 1; level <= 9; ++level) {
    // fmt::format, not "literal" + string: GCC 12 at -O3 warns falsely (-Wrestrict) on those.
    const std::string previous = fmt::format("*l{}", level - 1);
    text += fmt::format("l{0}: &l{0} [", level);
    for (int i = 0; i < 9; ++i) {
      text += fmt::format("{}{}", i == 0 ? "" : ", ", previous);
    }
    text += "]\n";
  }
  EXPECT_THAT([&] { parse_yaml(text, "laughs.yml"); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("laughs.yml:7:10: alias '*l5'"),
                                               HasSubstr("makes the aliases of this file copy "
                                                         "more than 1000000 values"))));
}

TEST(Yaml, ManyMergeKeysOfOneAnchorAreFine) {
  std::string text = "_base: &base {type: MemoryDataset, metadata: {a: 1, b: 2, c: 3}}\n";
  for (int i = 0; i < 20000; ++i) {
    text += fmt::format("d{}: {{<<: *base}}\n", i);
  }
  EXPECT_EQ(parse_yaml(text, "catalog.yml").as_map().size(), 20001U);
}

TEST(Yaml, KeysMustBeTextAndScalarKeysAreTheirText) {
  const Param tree = parse_yaml("1: one\ntrue: yes\n'null': word\n", "p.yml");
  EXPECT_EQ(tree.at("1").as_string(), "one");
  EXPECT_EQ(tree.at("true").as_string(), "yes");
  EXPECT_EQ(tree.at("null").as_string(), "word");
  EXPECT_THAT([] { parse_yaml("a: 1\n~: 1\n", "p.yml"); },
              ThrowsMessage<ConfigError>(
                  HasSubstr("p.yml:2:1: a key is null (written '~', 'null' or nothing); keys "
                            "must be text: quote the key")));
  EXPECT_THAT([] { parse_yaml("null: x\n", "p.yml"); },
              ThrowsMessage<ConfigError>(HasSubstr("p.yml:1:1: a key is null")));
  EXPECT_THAT(
      [] { parse_yaml("? [a, b]\n: 1\n", "p.yml"); },
      ThrowsMessage<ConfigError>(HasSubstr("p.yml:1:3: a key is a list; keys must be text")));
  EXPECT_THAT([] { parse_yaml("{? {a: 1} : 1}\n", "p.yml"); },
              ThrowsMessage<ConfigError>(HasSubstr("p.yml:1:4: a key is a map")));
  EXPECT_THAT([] { parse_yaml("a: &m {x: 1}\n*m : 2\n", "p.yml"); },
              ThrowsMessage<ConfigError>(HasSubstr("p.yml:2:1: key '*m' is a map")));
  EXPECT_EQ(parse_yaml("a: &k name\n*k : 2\n", "p.yml").at("name").as_int(), 2);
}

TEST(Yaml, PlainScalarsAreTypedOnTheirOwn) {
  EXPECT_EQ(plain_scalar("7").as_int(), 7);
  EXPECT_TRUE(plain_scalar("~").is_null());
  EXPECT_EQ(plain_scalar("S tail # not a comment").as_string(), "S tail # not a comment");
}

TEST(ConfigLoader, LocalOverlaysBaseAtTopLevelKeys) {
  TempDir dir;
  dir.write("conf/base/parameters.yml", "a: 1\nmodel:\n  alpha: 0.1\n  beta: 2\n");
  dir.write("conf/local/parameters.yml", "model:\n  alpha: 0.5\n");
  const ConfigLoader conf(dir / "conf");
  const Param params = conf.get("parameters");
  EXPECT_EQ(params.at("a").as_int(), 1);
  EXPECT_DOUBLE_EQ(params.at("model").at("alpha").as_double(), 0.5);
  EXPECT_EQ(params.at("model").find("beta"), nullptr);  // replaced, as in Kedro
}

TEST(ConfigLoader, ReadsSplitFilesAndRejectsKeysDefinedTwice) {
  TempDir dir;
  dir.write("conf/base/catalog.yml", "a: {type: MemoryDataset}\n_anchor: &x {type: M}\n");
  dir.write("conf/base/catalog_extra.yml", "b: {type: MemoryDataset}\n");
  dir.write("conf/base/catalog/deep/more.yaml", "c: {type: MemoryDataset}\n");
  dir.write("conf/base/catalogue.yml", "ignored: {type: MemoryDataset}\n");
  const ConfigLoader conf(dir / "conf");
  const Param catalog = conf.get("catalog");
  ASSERT_EQ(catalog.as_map().size(), 3U);
  EXPECT_NE(catalog.find("c"), nullptr);
  EXPECT_EQ(catalog.find("_anchor"), nullptr);

  dir.write("conf/base/catalog_dup.yml", "a: {type: MemoryDataset}\n");
  EXPECT_THAT([&] { conf.get("catalog"); },
              ThrowsMessage<ConfigError>(HasSubstr("'a' is defined twice in the 'base'")));
}

TEST(ConfigLoader, MissingLocalIsFineAMissingChosenEnvironmentOrBaseIsNot) {
  TempDir dir;
  dir.write("conf/base/parameters.yml", "a: 1\n");
  dir.write("conf/prod/parameters.yml", "b: 1\n");
  dir.write("conf/staging/parameters.yml", "c: 1\n");
  EXPECT_EQ(ConfigLoader(dir / "conf").get("parameters").at("a").as_int(), 1);  // no conf/local
  EXPECT_TRUE(ConfigLoader(dir / "conf").get("credentials").as_map().empty());
  EXPECT_THAT([&] { ConfigLoader(dir / "conf", "prdo"); },
              ThrowsMessage<ConfigError>(
                  AllOf(HasSubstr("environment 'prdo' not found: there is no folder '" +
                                  (dir / "conf/prdo").string() + "'"),
                        HasSubstr("are: base, prod, staging (did you mean 'prod'?)"))));
  EXPECT_THAT([&] { ConfigLoader(dir / "elsewhere"); },
              ThrowsMessage<ConfigError>(HasSubstr("--conf-source")));
}

}  // namespace
}  // namespace sluice
