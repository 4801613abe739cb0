#include <algorithm>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/clock.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/datasets/cached_dataset.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/core/registry.hpp>

#include "support/recording_dataset.hpp"
#include "support/temp_dir.hpp"
#include "support/value_as.hpp"

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;
using ::testing::ThrowsMessage;

class CatalogFromConfig : public ::testing::Test {
 protected:
  CatalogFromConfig() { register_builtins(registry); }

  Catalog build(const std::string& catalog_yml, const std::string& credentials_yml = "",
                const std::string& parameters_yml = "", CatalogOptions options = {}) {
    dir.write("conf/base/catalog.yml", catalog_yml);
    dir.write("conf/local/credentials.yml", credentials_yml);
    dir.write("conf/base/parameters.yml", parameters_yml);
    const ConfigLoader conf(dir / "conf");
    options.root = dir.path();
    return make_catalog(conf.get("catalog"), conf.get("credentials"), conf.get("parameters"),
                        registry, options);
  }

  Registry registry;
  TempDir dir;
};

TEST_F(CatalogFromConfig, BuildsDatasetsWithPathsRelativeToTheProject) {
  Catalog catalog = build(
      "numbers:\n  type: BinaryDataset\n  filepath: data/n.bin\n"
      "cached:\n  type: CachedDataset\n  dataset:\n    type: TextDataset\n    filepath: t.txt\n");
  catalog.save("numbers", Value::of(std::vector<double>{1, 2}));
  EXPECT_TRUE(std::filesystem::exists(dir / "data/n.bin"));
  EXPECT_EQ(catalog.get("numbers")->describe(),
            "BinaryDataset(filepath=" + (dir / "data/n.bin").string() + ")");
  EXPECT_EQ(catalog.get("cached")->dataset_type(), "TextDataset (cached)");
  EXPECT_THAT(catalog.list(), ElementsAre("cached", "numbers", "parameters"));
}

TEST_F(CatalogFromConfig, UnknownTypeNamesTheEntryAndListsKnownTypes) {
  EXPECT_THAT([&] { build("a:\n  type: BinaryDatset\n  filepath: x\n"); },
              ThrowsMessage<ConfigError>(AllOf(
                  HasSubstr("catalog.yml:2:3: dataset 'a': unknown type 'BinaryDatset' (did you "
                            "mean 'BinaryDataset'?)"),
                  HasSubstr("known types: BinaryDataset, CSVDataset, CachedDataset"))));
}

TEST_F(CatalogFromConfig, AnErrorInsideANestedDatasetNamesItsOwnLine) {
  const std::string entry = "cached:\n  type: CachedDataset\n  dataset:\n";
  EXPECT_THAT([&] { build(entry + "    type: TextDatset\n    filepath: t.txt\n"); },
              ThrowsMessage<ConfigError>(HasSubstr(
                  "catalog.yml:4:5: dataset 'cached': unknown type 'TextDatset' (did you mean "
                  "'TextDataset'?)")));
  EXPECT_THAT([&] { build(entry + "    filepath: t.txt\n"); },
              ThrowsMessage<ConfigError>(HasSubstr(
                  "catalog.yml:4:5: dataset 'cached' (CachedDataset): option 'dataset': needs a "
                  "'type'")));
}

TEST_F(CatalogFromConfig, UnknownOptionAndMissingFilepathAreReported) {
  EXPECT_THAT([&] { build("a:\n  type: CSVDataset\n  filepath: x.csv\n  filpath: y\n"); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("dataset 'a' (CSVDataset)"),
                                               HasSubstr("unknown option 'filpath'"),
                                               HasSubstr("catalog.yml:4:12"))));
  EXPECT_THAT([&] { build("a:\n  type: CSVDataset\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("option 'filepath' is required")));
  EXPECT_THAT([&] { build("a: just text\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("an entry must be a map with a 'type'")));
  EXPECT_THAT([&] { build("a:\n  filepath: x\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("the entry has no 'type'")));
}

TEST_F(CatalogFromConfig, AMisspeltRequiredOptionIsNamedWithTheRightSpelling) {
  EXPECT_THAT([&] { build("a:\n  type: CSVDataset\n  filepth: x.csv\n"); },
              ThrowsMessage<ConfigError>(HasSubstr(
                  "catalog.yml:3:12: dataset 'a' (CSVDataset): unknown option 'filepth' (did you "
                  "mean 'filepath'?); option 'filepath' is required")));
}

TEST(OptionReader, NumbersMustBeFiniteAndIntegersInRange) {
  const Param options =
      parse_yaml("failure_rate: .nan\nlimit: .inf\npriority: 1099511627776\n", "hooks.yml");
  OptionReader reader(options, "hook 'x'");
  EXPECT_THAT([&] { reader.number("failure_rate", 0); },
              ThrowsMessage<ConfigError>(HasSubstr(
                  "hooks.yml:1:15: hook 'x': option 'failure_rate': must be a finite number")));
  EXPECT_THAT([&] { reader.number("limit", 0); },
              ThrowsMessage<ConfigError>(HasSubstr("must be a finite number")));
  EXPECT_THAT([&] { reader.integer("priority", 0, -10, 10); },
              ThrowsMessage<ConfigError>(HasSubstr(
                  "hooks.yml:3:11: hook 'x': option 'priority': 1099511627776 is out of range; "
                  "write a whole number from -10 to 10")));
  EXPECT_EQ(reader.integer("priority", 0), std::int64_t{1} << 40);
}

TEST_F(CatalogFromConfig, CredentialsAreResolvedButNeverShown) {
  registry.dataset_types.add("SecretDataset", [](const DatasetContext& context) {
    DatasetOptions options(context, "SecretDataset");
    options.finish();
    EXPECT_EQ(context.credentials.at("token").as_string(), "hunter2");
    return std::make_shared<MemoryDataset>();
  });
  Catalog catalog =
      build("s:\n  type: SecretDataset\n  credentials: api\n", "api:\n  token: hunter2\n");
  EXPECT_THAT(catalog.get("s")->describe(), Not(HasSubstr("hunter2")));
  try {
    build("s:\n  type: SecretDataset\n  credentials: apii\n", "api:\n  token: hunter2\n");
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_THAT(error.what(), HasSubstr("credentials 'apii'"));
    EXPECT_THAT(error.what(), HasSubstr("did you mean 'api'"));
    EXPECT_THAT(error.what(), Not(HasSubstr("hunter2")));
  }
}

TEST_F(CatalogFromConfig, InlineCredentialsAreRefusedWithoutEchoingThem) {
  for (const char* inline_credentials :
       {"{user: a, password: S3cr3t}", "[a, S3cr3t]", "12345678", "null"}) {
    try {
      build(fmt::format("db:\n  type: MemoryDataset\n  credentials: {}\n", inline_credentials));
      FAIL() << inline_credentials;
    } catch (const ConfigError& error) {
      EXPECT_THAT(error.what(),
                  AllOf(HasSubstr("catalog.yml:3:16: dataset 'db': 'credentials' is a"),
                        HasSubstr("must be the name of an entry in credentials.yml"),
                        Not(HasSubstr("S3cr3t")), Not(HasSubstr("12345678"))));
    }
  }
}

TEST_F(CatalogFromConfig, ParametersAreExposedByDottedKeyWithRuntimeOverrides) {
  CatalogOptions options;
  options.runtime_params = Param(Param::Map{{"model.alpha", 0.9}, {"extra", "x"}});
  Catalog catalog = build("", "", "model:\n  alpha: 0.1\n  layers: [1, 2]\nseed: 3\n", options);
  EXPECT_DOUBLE_EQ(testing::value_as<Param>(catalog.load("params:model.alpha")).as_double(), 0.9);
  EXPECT_EQ(testing::value_as<Param>(catalog.load("params:seed")).as_int(), 3);
  EXPECT_EQ(testing::value_as<Param>(catalog.load("params:extra")).as_string(), "x");
  EXPECT_TRUE(testing::value_as<Param>(catalog.load("params:model")).is_map());
  EXPECT_EQ(testing::value_as<Param>(catalog.load("parameters")).at("seed").as_int(), 3);
  EXPECT_FALSE(catalog.get("params:seed")->is_ephemeral());
}

TEST_F(CatalogFromConfig, VersionedDatasetsShareTheRunsSaveVersion) {
  CatalogOptions options;
  options.save_version = "2026-11-21T00.00.00.000Z";
  Catalog catalog = build(
      "a:\n  type: TextDataset\n  filepath: a.txt\n  versioned: true\n"
      "b:\n  type: TextDataset\n  filepath: b.txt\n  versioned: true\n",
      "", "", options);
  catalog.save("a", Value::of(std::string("1")));
  catalog.save("b", Value::of(std::string("2")));
  EXPECT_TRUE(std::filesystem::exists(dir / "a.txt/2026-11-21T00.00.00.000Z/a.txt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "b.txt/2026-11-21T00.00.00.000Z/b.txt"));
}

TEST_F(CatalogFromConfig, TheSaveVersionIsStampedFromTheGivenClock) {
  const ManualClock clock(std::chrono::system_clock::time_point(std::chrono::seconds(0)));
  CatalogOptions options;
  options.clock = &clock;
  Catalog catalog =
      build("a:\n  type: TextDataset\n  filepath: a.txt\n  versioned: true\n", "", "", options);
  catalog.save("a", Value::of(std::string("1")));
  // A second catalog at the same instant (another run) gets a version of its own.
  Catalog again =
      build("a:\n  type: TextDataset\n  filepath: a.txt\n  versioned: true\n", "", "", options);
  again.save("a", Value::of(std::string("2")));
  std::vector<std::string> versions;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "a.txt")) {
    versions.push_back(entry.path().filename().string());
  }
  ASSERT_EQ(versions.size(), 2U);
  for (const auto& version : versions) {
    EXPECT_THAT(version, ::testing::StartsWith("1970-01-01T00.00.00.000Z-"));
  }
}

TEST_F(CatalogFromConfig, LoadVersionsMustNameVersionedDatasets) {
  CatalogOptions options;
  options.load_versions = {{"plain", "2026-01-01T00.00.00.000Z"}};
  EXPECT_THAT([&] { build("plain:\n  type: TextDataset\n  filepath: p.txt\n", "", "", options); },
              ThrowsMessage<ConfigError>(HasSubstr("dataset 'plain', which is not versioned")));
  options.load_versions = {{"ghost", "v"}};
  EXPECT_THAT([&] { build("", "", "", options); },
              ThrowsMessage<ConfigError>(HasSubstr("dataset 'ghost' is not in the catalog")));
}

TEST(Catalog, UnregisteredNamesDefaultToMemory) {
  Catalog catalog;
  const Value value = Value::of(1);
  catalog.save("scratch", value);
  EXPECT_TRUE(catalog.get("scratch")->is_ephemeral());
  EXPECT_TRUE(catalog.load("scratch").same_data(value));
}

TEST(Catalog, ErrorsNameTheDataset) {
  Catalog catalog;
  auto broken = std::make_shared<testing::RecordingDataset>();
  broken->fail_load = true;
  catalog.add("raw_data", broken);
  EXPECT_THAT([&] { catalog.load("raw_data"); },
              ThrowsMessage<DatasetError>(AllOf(HasSubstr("failed to load dataset 'raw_data'"),
                                                HasSubstr("disk on fire"))));
  EXPECT_THAT([&] { catalog.load("raw_dat"); },
              ThrowsMessage<DatasetError>(HasSubstr("did you mean 'raw_data'")));
  EXPECT_THROW(catalog.add("raw_data", std::make_shared<MemoryDataset>()), DatasetError);
  catalog.add("raw_data", std::make_shared<MemoryDataset>(), true);
  EXPECT_TRUE(catalog.get("raw_data")->is_ephemeral());
}

TEST(Catalog, HeldBytesCountValuesInMemoryOnceAndNotParametersOrStorage) {
  Catalog catalog;
  const Value big = Value::of(std::vector<double>(1000, 1.0));
  const Value small = Value::of(std::vector<double>(10, 1.0));
  catalog.add("a", std::make_shared<MemoryDataset>(big));
  catalog.add("same", std::make_shared<MemoryDataset>(big));  // the same data, counted once
  auto stored = std::make_shared<testing::RecordingDataset>();
  catalog.add("stored", stored);
  auto cached = std::make_shared<CachedDataset>(stored);
  catalog.add("cached", cached);
  catalog.add_parameters(parse_yaml("alpha: [1, 2, 3]", "parameters.yml"));
  EXPECT_EQ(held_bytes(catalog), big.byte_size());

  cached->save(small);  // the cache keeps it in memory
  EXPECT_EQ(held_bytes(catalog), big.byte_size() + small.byte_size());
  catalog.release("a");
  EXPECT_EQ(held_bytes(catalog), big.byte_size() + small.byte_size());
  catalog.release("same");
  catalog.release("cached");
  EXPECT_EQ(held_bytes(catalog), 0U);
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

// The id of `name` in `pipeline`.
Pipeline::DatasetId id_of(const Pipeline& pipeline, std::string_view name) {
  return *pipeline.dataset_id(name);
}

Node forward(std::string name, std::string input, std::string output) {
  return Node(std::move(name), {std::move(input)}, {std::move(output)},
              [](const std::vector<Value>& inputs, const std::vector<std::string>&) {
                return std::vector<Value>{inputs.front()};
              });
}

TEST(CatalogBind, RegistersMemoryDatasetsForUnnamedDatasetsAndKeepsNamedOnes) {
  Catalog catalog;
  auto raw = std::make_shared<MemoryDataset>(Value::of(1));
  catalog.add("raw", raw);
  const Pipeline pipeline{forward("a", "raw", "mid"), forward("b", "mid", "out")};
  std::vector<std::uint32_t> missing;
  const auto datasets = catalog.bind(pipeline, missing);
  ASSERT_NE(datasets, nullptr);
  EXPECT_TRUE(missing.empty());
  ASSERT_EQ(datasets->size(), 3U);
  EXPECT_EQ((*datasets)[id_of(pipeline, "raw")], raw);
  EXPECT_EQ((*datasets)[id_of(pipeline, "mid")], catalog.find("mid"));
  EXPECT_EQ(catalog.find("out")->dataset_type(), "MemoryDataset");
}

TEST(CatalogBind, MissingFreeInputsAreListedAndNothingIsRegistered) {
  Catalog catalog;
  const Pipeline pipeline{forward("a", "raw", "mid"), forward("b", "mid", "out")};
  std::vector<std::uint32_t> missing;
  EXPECT_EQ(catalog.bind(pipeline, missing), nullptr);
  EXPECT_THAT(missing, ElementsAre(id_of(pipeline, "raw")));
  EXPECT_TRUE(catalog.list().empty());
  // Once the input is there, the same pipeline binds.
  catalog.add("raw", std::make_shared<MemoryDataset>(Value::of(1)));
  EXPECT_NE(catalog.bind(pipeline, missing), nullptr);
  EXPECT_TRUE(missing.empty());
}

TEST(CatalogBind, RebindingSeesReplacedDatasetsAndReusesAnUnchangedBinding) {
  Catalog catalog;
  catalog.add("raw", std::make_shared<MemoryDataset>(Value::of(1)));
  const Pipeline pipeline{forward("a", "raw", "out")};
  std::vector<std::uint32_t> missing;
  const auto first = catalog.bind(pipeline, missing);
  const Pipeline copy = pipeline;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(catalog.bind(copy, missing), first);  // nothing changed: the same datasets
  catalog.save("raw", Value::of(2));              // a save changes no binding
  EXPECT_EQ(catalog.bind(pipeline, missing), first);
  auto replacement = std::make_shared<MemoryDataset>(Value::of(3));
  catalog.add("raw", replacement, true);
  const auto after = catalog.bind(pipeline, missing);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ((*after)[id_of(pipeline, "raw")], replacement);
  EXPECT_NE((*first)[id_of(pipeline, "raw")], replacement);  // a run holding it is unaffected
  // Moving the catalog keeps the binding valid.
  Catalog moved = std::move(catalog);
  auto again = std::make_shared<MemoryDataset>(Value::of(4));
  moved.add("raw", again, true);
  EXPECT_EQ((*moved.bind(pipeline, missing))[id_of(pipeline, "raw")], again);
}

TEST(CatalogBind, NamesABindRegistersOutliveThePipelineAndAMoveOfTheCatalog) {
  Catalog catalog;
  catalog.add("raw", std::make_shared<MemoryDataset>(Value::of(1)));
  {
    const Pipeline pipeline{forward("a", "raw", "a_much_longer_intermediate_name"),
                            forward("b", "a_much_longer_intermediate_name", "mid"),
                            forward("c", "mid", "out")};
    std::vector<std::uint32_t> missing;
    ASSERT_NE(catalog.bind(pipeline, missing), nullptr);
  }
  const Catalog moved = std::move(catalog);
  EXPECT_THAT(moved.list(), ElementsAre("a_much_longer_intermediate_name", "mid", "out", "raw"));
  EXPECT_NE(moved.find("a_much_longer_intermediate_name"), nullptr);
  EXPECT_NE(moved.find("out"), nullptr);
  std::vector<std::string> visited;
  moved.for_each([&](const std::string& name, const Dataset&) { visited.push_back(name); });
  std::sort(visited.begin(), visited.end());
  EXPECT_EQ(visited, moved.list());
}

TEST(CatalogBind, TheMemoryDatasetsOfOneBindAreIndependent) {
  Catalog catalog;
  catalog.add("raw", std::make_shared<MemoryDataset>(Value::of(1)));
  const Pipeline pipeline{forward("a", "raw", "x"), forward("b", "x", "y"), forward("c", "y", "z")};
  std::vector<std::uint32_t> missing;
  const auto datasets = catalog.bind(pipeline, missing);
  ASSERT_NE(datasets, nullptr);
  catalog.save("y", Value::of(7));
  EXPECT_FALSE(catalog.exists("x"));
  EXPECT_EQ(testing::value_as<int>(catalog.load("y")), 7);
  EXPECT_FALSE(catalog.exists("z"));
  // Replacing one leaves the others (and a run holding them) working.
  catalog.add("x", std::make_shared<MemoryDataset>(Value::of(3)), true);
  EXPECT_EQ(testing::value_as<int>(catalog.load("x")), 3);
  EXPECT_EQ(testing::value_as<int>((*datasets)[id_of(pipeline, "y")]->load()), 7);
  catalog.release("y");
  EXPECT_FALSE(catalog.exists("y"));
}

TEST(CatalogBind, ABindingDoesNotKeepAReplacedDatasetAlive) {
  Catalog catalog;
  auto original = std::make_shared<MemoryDataset>(Value::of(1));
  const std::weak_ptr<Dataset> watch = original;
  catalog.add("raw", std::move(original));
  const Pipeline pipeline{forward("a", "raw", "out")};
  std::vector<std::uint32_t> missing;
  ASSERT_NE(catalog.bind(pipeline, missing), nullptr);  // the result is dropped at once
  catalog.add("raw", std::make_shared<MemoryDataset>(Value::of(2)), true);
  EXPECT_TRUE(watch.expired());
}

TEST(CatalogBind, KeepsBindingsOfSeveralPipelinesApart) {
  Catalog catalog;
  catalog.add("in", std::make_shared<MemoryDataset>(Value::of(1)));
  std::vector<Pipeline> pipelines;
  for (int i = 0; i < 6; ++i) {
    pipelines.push_back(Pipeline{forward(fmt::format("n{}", i), "in", fmt::format("out{}", i))});
  }
  std::vector<std::uint32_t> missing;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 6; ++i) {
      const auto datasets = catalog.bind(pipelines[i], missing);
      ASSERT_NE(datasets, nullptr);
      EXPECT_EQ((*datasets)[id_of(pipelines[i], fmt::format("out{}", i))],
                catalog.find(fmt::format("out{}", i)));
    }
  }
}

}  // namespace
}  // namespace sluice
