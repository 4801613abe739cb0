// File datasets on s3://, through the s3 plugin, against s3rver (started by the fixture).
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/core/plugin_loader.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/core/table.hpp>
#include <sluice/storage/s3_client.hpp>
#include <sluice/storage/s3_storage.hpp>

#include "support/s3rver.hpp"
#include "support/value_as.hpp"

using namespace sluice;
using sluice::testing::S3rver;
using sluice::testing::value_as;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

class S3StorageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (S3rver::missing().empty())
      server_ = std::make_unique<S3rver>("sluice-storage");
  }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override {
    SLUICE_REQUIRE_S3RVER();
    register_builtins(registry_);
    loader_ = std::make_unique<PluginLoader>(registry_,
                                             std::vector<std::filesystem::path>{SLUICE_PLUGIN_DIR});
    loader_->load("s3");
  }

  // A catalog whose entries are on s3rver, with its endpoint and region in fs_args and its
  // keys from credentials.yml.
  Catalog catalog(const std::string& entries, const std::string& credentials_yaml,
                  CatalogOptions options = {}) {
    return make_catalog(parse_yaml(entries, "conf/base/catalog.yml"),
                        parse_yaml(credentials_yaml, "conf/local/credentials.yml"), Param(),
                        registry_, options);
  }
  static std::string entry(const std::string& name, const std::string& type,
                           const std::string& filepath, const std::string& extra = "") {
    return name + ":\n  type: " + type + "\n  filepath: " + filepath +
           "\n  credentials: s3rver\n  fs_args:\n    endpoint_url: " + server_->endpoint() +
           "\n    region_name: eu-west-1\n" + extra;
  }
  static constexpr const char* kCredentials = "s3rver:\n  key: S3RVER\n  secret: S3RVER\n";

  // The storage of an `s3://<path>` entry on s3rver with the credentials named s3rver.
  static std::shared_ptr<const Storage> storage_at(const std::string& path) {
    return s3::make_s3_storage(
        {"s3://" + path, path, *parse_yaml(kCredentials, "credentials.yml").find("s3rver"),
         "s3rver", parse_yaml("endpoint_url: " + server_->endpoint() + "\n", "catalog.yml"),
         "here"});
  }

  s3::S3Client client() {
    s3::S3Options options;
    options.endpoint_url = server_->endpoint();
    options.credentials = {S3rver::access_key, S3rver::secret_key, "", "the test"};
    return s3::S3Client(options);
  }

  Registry registry_;
  std::unique_ptr<PluginLoader> loader_;
  static std::unique_ptr<S3rver> server_;
};

std::unique_ptr<S3rver> S3StorageTest::server_;

TEST_F(S3StorageTest, CsvTextAndBinaryDatasetsRoundTripThroughS3) {
  const std::string bucket = "s3://" + server_->bucket();
  Catalog data = catalog(entry("table", "CSVDataset", bucket + "/rt/table.csv") +
                             entry("notes", "TextDataset", bucket + "/rt/notes.txt") +
                             entry("model", "BinaryDataset", bucket + "/rt/model.bin"),
                         kCredentials);
  Table table;
  table.add_column("x", std::vector<double>{1.5, -2.0})
      .add_column("name", std::vector<std::string>{"a", "b,c"});
  data.save("table", Value::of(table));
  data.save("notes", Value::of(std::string("hello S3\n")));
  data.save("model", Value::of(std::string("\0bytes", 6)));

  EXPECT_EQ(value_as<Table>(data.load("table")), table);
  EXPECT_EQ(value_as<std::string>(data.load("notes")), "hello S3\n");
  EXPECT_EQ(value_as<std::string>(data.load("model")), std::string("\0bytes", 6));
  EXPECT_THAT(data.get("table")->describe(), HasSubstr("filepath=" + bucket + "/rt/table.csv"));

  auto s3 = client();
  EXPECT_EQ(s3.get_object(server_->bucket(), "rt/table.csv"), write_csv_string(table));
  EXPECT_EQ(s3.get_object(server_->bucket(), "rt/notes.txt"), "hello S3\n");
  EXPECT_TRUE(data.exists("model"));
}

TEST_F(S3StorageTest, VersionedDatasetsListTheirVersionsOnS3) {
  const std::string filepath = "s3://" + server_->bucket() + "/versions/notes.txt";
  const std::string entries = entry("notes", "TextDataset", filepath, "  versioned: true\n");
  CatalogOptions first;
  first.save_version = "2026-01-01T00.00.00.000Z";
  catalog(entries, kCredentials, first).save("notes", Value::of(std::string("old")));
  CatalogOptions second;
  second.save_version = "2026-01-02T00.00.00.000Z";
  catalog(entries, kCredentials, second).save("notes", Value::of(std::string("new")));

  EXPECT_EQ(value_as<std::string>(catalog(entries, kCredentials).load("notes")), "new");
  CatalogOptions older;
  older.load_versions["notes"] = "2026-01-01T00.00.00.000Z";
  EXPECT_EQ(value_as<std::string>(catalog(entries, kCredentials, older).load("notes")), "old");

  auto s3 = client();
  EXPECT_TRUE(
      s3.exists(server_->bucket(), "versions/notes.txt/2026-01-01T00.00.00.000Z/notes.txt"));
  // A version is never overwritten.
  EXPECT_THAT(
      [&] { catalog(entries, kCredentials, second).save("notes", Value::of(std::string("x"))); },
      ::testing::ThrowsMessage<DatasetError>(HasSubstr("already exists")));
  EXPECT_EQ(
      s3.get_object(server_->bucket(), "versions/notes.txt/2026-01-02T00.00.00.000Z/notes.txt"),
      "new");
}

TEST_F(S3StorageTest, ListGivesTheSortedDirectChildrenOfAFolder) {
  auto storage = storage_at(server_->bucket() + "/l/x");
  const std::string folder = server_->bucket() + "/l";
  storage->write(folder + "/b", "1");
  storage->write(folder + "/a/one", "2");
  storage->write(folder + "/a/two", "3");
  // (s3rver 3.7.1 gives no common prefix for a folder holding only deeper folders, where S3
  // does; versions are one level deep, `<key>/<version>/<file>`.)
  storage->write(folder + "/c/er", "4");
  EXPECT_EQ(storage->list(folder), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(storage->list(folder + "/a"), (std::vector<std::string>{"one", "two"}));
  EXPECT_TRUE(storage->list(folder + "/none").empty());
  EXPECT_FALSE(storage->write_new(folder + "/b", "again"));
  EXPECT_EQ(storage->read(folder + "/b"), "1");
  EXPECT_TRUE(storage->write_new(folder + "/d", "new"));
  EXPECT_EQ(storage->url(folder + "/b"), "s3://" + folder + "/b");
}

TEST_F(S3StorageTest, RemoveDeletesAnObjectAndAMissingKeyIsNoError) {
  auto storage = storage_at(server_->bucket() + "/rm/x");
  const std::string folder = server_->bucket() + "/rm";
  storage->write(folder + "/d", "new");
  storage->write(folder + "/kept", "kept");
  // S3's DELETE answers 204 whether the key was there or not, so remove says "gone" (true).
  EXPECT_TRUE(storage->remove(folder + "/d"));
  EXPECT_FALSE(storage->exists(folder + "/d"));
  EXPECT_THROW(storage->read(folder + "/d"), DatasetError);
  EXPECT_EQ(storage->list(folder), (std::vector<std::string>{"kept"}));
  EXPECT_TRUE(storage->remove(folder + "/d"));  // again: idempotent, no error
  EXPECT_TRUE(storage->remove(folder + "/never-written"));
  EXPECT_EQ(storage->read(folder + "/kept"), "kept");
}

TEST_F(S3StorageTest, AMissingBucketNamesTheDatasetNoSuchBucketAndWhatToDo) {
  Catalog data =
      catalog(entry("model", "BinaryDataset", "s3://no-such-bucket/model.bin"), kCredentials);
  EXPECT_THAT([&] { data.save("model", Value::of(std::string("x"))); },
              ::testing::ThrowsMessage<DatasetError>(
                  AllOf(HasSubstr("dataset 'model'"), HasSubstr("NoSuchBucket"),
                        HasSubstr("Create the bucket 'no-such-bucket'"))));
  EXPECT_THAT([&] { data.load("model"); },
              ::testing::ThrowsMessage<DatasetError>(
                  AllOf(HasSubstr("dataset 'model'"), HasSubstr("NoSuchBucket"))));
}

TEST_F(S3StorageTest, AWrongAccessKeyGivesAClearErrorWithoutTheSecret) {
  Catalog data = catalog(entry("model", "BinaryDataset", "s3://" + server_->bucket() + "/m.bin"),
                         "s3rver:\n  key: NOT-A-KEY\n  secret: very-secret-value-91\n");
  try {
    data.save("model", Value::of(std::string("x")));
    FAIL() << "saving with an unknown access key succeeded";
  } catch (const DatasetError& error) {
    EXPECT_THAT(error.what(), AllOf(HasSubstr("dataset 'model'"), HasSubstr("InvalidAccessKeyId"),
                                    HasSubstr("check the credentials"),
                                    HasSubstr("the credentials of dataset 'model'"),
                                    Not(HasSubstr("very-secret-value-91"))));
  }
}

TEST_F(S3StorageTest, ErrorsNameTheCredentialsTheCatalogEntryGivesNeverTheirSecret) {
  // The catalog hands the name (`credentials: wrong_keys`) to the storage in StorageContext.
  Catalog data = catalog("model:\n  type: BinaryDataset\n  filepath: s3://" + server_->bucket() +
                             "/m.bin\n  credentials: wrong_keys\n  fs_args:\n    endpoint_url: " +
                             server_->endpoint() + "\n",
                         "s3rver:\n  key: S3RVER\n  secret: S3RVER\nwrong_keys:\n  key: NOT-A-KEY\n"
                         "  secret: very-secret-value-92\n");
  try {
    data.save("model", Value::of(std::string("x")));
    FAIL() << "saving with an unknown access key succeeded";
  } catch (const DatasetError& error) {
    EXPECT_THAT(error.what(), AllOf(HasSubstr("InvalidAccessKeyId"),
                                    HasSubstr("Credentials used: credentials 'wrong_keys' "
                                              "(conf/local/credentials.yml:"),
                                    HasSubstr("), the credentials of dataset 'model'"),
                                    Not(HasSubstr("very-secret-value-92"))));
  }
  const std::string typo_entry =
      "m:\n  type: BinaryDataset\n  filepath: s3://b/k\n  credentials: typo_keys\n";
  EXPECT_THAT([&] { catalog(typo_entry, "typo_keys:\n  key: K\n  scret: very-secret-value-93\n"); },
              ::testing::ThrowsMessage<ConfigError>(
                  AllOf(HasSubstr("conf/local/credentials.yml:3:"),
                        HasSubstr("credentials 'typo_keys', the credentials of dataset 'm'"),
                        HasSubstr("unknown key 'scret'"), HasSubstr("did you mean 'secret'"),
                        Not(HasSubstr("very-secret-value-93")))));
}

TEST_F(S3StorageTest, BadS3FilepathsAndFsArgsAreConfigErrorsNamingTheEntry) {
  EXPECT_THAT([&] { catalog(entry("m", "BinaryDataset", "s3://only-a-bucket"), kCredentials); },
              ::testing::ThrowsMessage<ConfigError>(AllOf(HasSubstr("conf/base/catalog.yml:"),
                                                          HasSubstr("dataset 'm'"),
                                                          HasSubstr("s3://<bucket>/<key>"))));
  const std::string typo =
      "m:\n  type: BinaryDataset\n  filepath: s3://b/k\n  fs_args:\n"
      "    endpoint_url: http://127.0.0.1:1\n    regoin_name: x\n";
  EXPECT_THAT([&] { catalog(typo, kCredentials); },
              ::testing::ThrowsMessage<ConfigError>(
                  AllOf(HasSubstr("conf/base/catalog.yml:"), HasSubstr("dataset 'm'"),
                        HasSubstr("regoin_name"), HasSubstr("did you mean 'region_name'"))));
}

TEST(S3StorageOptions, FsArgsWinOverCredentialsAndTheEnvironment) {
  const Param credentials = parse_yaml(
      "key: K\nsecret: S\nclient_kwargs:\n  endpoint_url: http://creds:1\n  region_name: r1\n",
      "conf/local/credentials.yml");
  const s3::Environment env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "AWS_REGION")
      return "env-region";
    return std::nullopt;
  };
  const StorageContext from_credentials{"s3://b/k", "b/k", credentials, "dev", Param(), "where"};
  const s3::S3Options plain = s3::s3_options_of(from_credentials, env);
  EXPECT_EQ(plain.endpoint_url, "http://creds:1");
  EXPECT_EQ(plain.region, "r1");
  EXPECT_EQ(plain.credentials.access_key_id, "K");

  const StorageContext with_fs_args{
      "s3://b/k",
      "b/k",
      credentials,
      "dev",
      parse_yaml("client_kwargs:\n  endpoint_url: http://fs:2\nregion: r2\naddressing_style: "
                 "path\nmultipart_threshold: 16MiB\nmultipart_chunksize: 6MiB\nmax_concurrency: 2\n"
                 "retries:\n  max_attempts: 3\n  base_delay: 20ms\n",
                 "conf/base/catalog.yml"),
      "where"};
  const s3::S3Options options = s3::s3_options_of(with_fs_args, env);
  EXPECT_EQ(options.endpoint_url, "http://fs:2");
  EXPECT_EQ(options.region, "r2");
  EXPECT_EQ(options.addressing, s3::Addressing::path);
  EXPECT_EQ(options.multipart_threshold, 16u << 20);
  EXPECT_EQ(options.part_size, 6u << 20);
  EXPECT_EQ(options.parallel_parts, 2);
  EXPECT_EQ(options.retry.max_attempts, 3);
  EXPECT_EQ(options.retry.base_delay, std::chrono::milliseconds(20));
}

}  // namespace
