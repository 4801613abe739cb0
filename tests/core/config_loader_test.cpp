#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/config_loader.hpp>

#include "support/temp_dir.hpp"

namespace sluice {
namespace {

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

TEST(ConfigLoader, MissingEnvironmentIsFineMissingBaseIsNot) {
  TempDir dir;
  dir.write("conf/base/parameters.yml", "a: 1\n");
  EXPECT_EQ(ConfigLoader(dir / "conf", "prod").get("parameters").at("a").as_int(), 1);
  EXPECT_TRUE(ConfigLoader(dir / "conf").get("credentials").as_map().empty());
  EXPECT_THAT([&] { ConfigLoader(dir / "elsewhere"); },
              ThrowsMessage<ConfigError>(HasSubstr("--conf-source")));
}

}  // namespace
}  // namespace sluice
