// JSONDataset (Kedro's json.JSONDataset): a sluice::Json document in a file, through the
// catalog, with its save_args, its errors, its byte size and its codec.

#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/codec.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/datasets/json_dataset.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/registry.hpp>

#include "support/temp_dir.hpp"
#include "support/value_as.hpp"

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::TempDir;
using ::testing::ThrowsMessage;
using testing::value_as;

class JsonCatalog : public ::testing::Test {
 protected:
  JsonCatalog() { register_builtins(registry); }

  Catalog build(const std::string& catalog_yml) {
    dir.write("conf/base/catalog.yml", catalog_yml);
    const ConfigLoader conf(dir / "conf");
    CatalogOptions options;
    options.root = dir.path();
    return make_catalog(conf.get("catalog"), conf.get("credentials"), conf.get("parameters"),
                        registry, options);
  }

  std::string read(const std::string& path) const {
    std::ifstream in(dir / path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  Registry registry;
  TempDir dir;
};

TEST_F(JsonCatalog, SavesAndLoadsADocumentKeepingItsKeysInOrder) {
  Catalog catalog = build(
      "metrics:\n"
      "  type: json.JSONDataset\n"  // Kedro's name
      "  filepath: data/metrics.json\n"
      "pretty:\n"
      "  type: JSONDataset\n"
      "  filepath: data/pretty.json\n"
      "  save_args: {indent: 2, ensure_ascii: false}\n");
  Json metrics = Json::object();
  metrics["zeta"] = 0.25;
  metrics["alpha"] = {1, 2, 3};
  metrics["name"] = "r\xc3\xa9sum\xc3\xa9";  // résumé
  metrics["nested"] = {{"ok", true}, {"none", nullptr}};
  catalog.save("metrics", Value::of(metrics));
  // One line, keys in the order they were set, non-ASCII escaped as Python's json.dump does.
  EXPECT_EQ(read("data/metrics.json"),
            "{\"zeta\":0.25,\"alpha\":[1,2,3],\"name\":\"r\\u00e9sum\\u00e9\","
            "\"nested\":{\"ok\":true,\"none\":null}}\n");
  const Json loaded = value_as<Json>(catalog.load("metrics"));
  EXPECT_EQ(loaded, metrics);
  EXPECT_EQ(loaded.begin().key(), "zeta");
  catalog.save("pretty", Value::of(Json{{"name", "r\xc3\xa9sum\xc3\xa9"}}));
  EXPECT_EQ(read("data/pretty.json"), "{\n  \"name\": \"r\xc3\xa9sum\xc3\xa9\"\n}\n");
  EXPECT_THAT(catalog.get("pretty")->describe(), HasSubstr("indent=2"));
}

TEST_F(JsonCatalog, AFileThatIsNotJsonNamesItsLineAndColumn) {
  dir.write("data/bad.json", "{\n  \"a\": 1,\n  \"b\": tru\n}\n");
  Catalog catalog = build("bad:\n  type: JSONDataset\n  filepath: data/bad.json\n");
  EXPECT_THAT([&] { catalog.load("bad"); },
              ThrowsMessage<Error>(AllOf(HasSubstr("bad.json:3:"), HasSubstr("fix the file"))));
}

TEST_F(JsonCatalog, AValueOfAnotherTypeIsRefusedNamingTheFile) {
  Catalog catalog = build("doc:\n  type: JSONDataset\n  filepath: data/doc.json\n");
  EXPECT_THAT([&] { catalog.save("doc", Value::of(std::string("{}"))); },
              ThrowsMessage<Error>(HasSubstr("doc.json")));
  // A string that is not UTF-8 cannot be JSON: said, and nothing is written.
  EXPECT_THAT(
      [&] {
        catalog.save("doc", Value::of(Json{{"bytes", "\xff\xfe"}}));
      },
      ThrowsMessage<Error>(AllOf(HasSubstr("doc.json"), HasSubstr("not UTF-8"))));
  EXPECT_FALSE(std::filesystem::exists(dir / "data/doc.json"));
}

TEST_F(JsonCatalog, BadArgsNameTheirLine) {
  const std::string entry = "doc:\n  type: JSONDataset\n  filepath: data/doc.json\n";
  EXPECT_THAT([&] { build(entry + "  save_args:\n    indnet: 2\n"); },
              ThrowsMessage<ConfigError>(
                  AllOf(HasSubstr("catalog.yml:5:5: dataset 'doc' (JSONDataset) save_args"),
                        HasSubstr("unknown option 'indnet' (did you mean 'indent'?)"))));
  EXPECT_THAT([&] { build(entry + "  save_args: {indent: -1}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("option 'indent'")));
  EXPECT_THAT([&] { build(entry + "  load_args: {encoding: utf-8}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("unknown option 'encoding'")));
}

TEST(JsonValue, CountsTheBytesItHoldsAndRoundTripsThroughItsCodec) {
  Json small = {{"a", 1}};
  Json large = {{"a", 1}, {"text", std::string(10'000, 'x')}, {"list", Json::array()}};
  for (int i = 0; i < 1000; ++i) {
    large["list"].push_back(i);
  }
  EXPECT_GT(Value::of(large).byte_size(), 10'000U + 1000 * sizeof(Json));
  EXPECT_LT(Value::of(small).byte_size(), 1000U);
  CodecRegistry codecs;
  add_builtin_codecs(codecs);
  const Codec& codec = codecs.for_type(typeid(Json), "doc");
  EXPECT_EQ(codec.name, "json");
  Json odd = {{"z", 1.5}, {"a", "\xff"}};  // not UTF-8: kept as it is
  const Json back = value_as<Json>(codec.decode(codec.encode(Value::of(odd))));
  EXPECT_EQ(back, odd);
  EXPECT_EQ(back.begin().key(), "z");
  EXPECT_THAT([&] { codec.decode("\xff\x01"); }, ThrowsMessage<Error>(HasSubstr("codec 'json'")));
}

}  // namespace
}  // namespace sluice
