#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/datasets/file_dataset.hpp>
#include <sluice/core/datasets/text_dataset.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/core/storage.hpp>
#include <sluice/core/table.hpp>

#include "support/sync_log.hpp"
#include "support/temp_dir.hpp"
#include "support/value_as.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using testing::TempDir;
using ::testing::ThrowsMessage;

// --- The backends, through the Storage interface ---

struct Backend {
  std::string name;
  std::shared_ptr<const Storage> storage;
  /// The storage path of `relative`.
  std::function<std::string(const std::string&)> path;
  /// What url() of path("a/b") must look like.
  std::string url_of_a_b;
};

class EveryBuiltinStorage : public ::testing::TestWithParam<std::string> {
 protected:
  Backend backend() const {
    if (GetParam() == "local" || GetParam() == "local_nofsync") {
      const std::string root = dir.path().string();
      return {GetParam(),
              LocalStorage::instance(GetParam() == "local" ? Durability::file_and_folder
                                                           : Durability::none),
              [root](const std::string& relative) { return root + "/" + relative; }, root + "/a/b"};
    }
    return {"memory", std::make_shared<const MemoryStorage>(),
            [](const std::string& relative) { return "store/" + relative; }, "memory://store/a/b"};
  }
  TempDir dir;
};

TEST_P(EveryBuiltinStorage, WritesReadsListsAndRemovesObjects) {
  const Backend b = backend();
  const Storage& storage = *b.storage;
  EXPECT_FALSE(storage.exists(b.path("a/b")));
  storage.write(b.path("a/b"), "first");  // creates the folders it needs
  EXPECT_TRUE(storage.exists(b.path("a/b")));
  EXPECT_EQ(storage.read(b.path("a/b")), "first");
  storage.write(b.path("a/b"), "second");
  EXPECT_EQ(storage.read(b.path("a/b")), "second");

  EXPECT_TRUE(storage.write_new(b.path("a/v1/x"), "one"));
  EXPECT_FALSE(storage.write_new(b.path("a/v1/x"), "other"));
  EXPECT_EQ(storage.read(b.path("a/v1/x")), "one");
  EXPECT_TRUE(storage.write_new(b.path("a/v2/x"), "two"));
  EXPECT_THAT(storage.list(b.path("a")), ElementsAre("b", "v1", "v2"));
  EXPECT_THAT(storage.list(b.path("a/v1")), ElementsAre("x"));
  EXPECT_THAT(storage.list(b.path("nothing")), IsEmpty());

  EXPECT_EQ(storage.url(b.path("a/b")), b.url_of_a_b);
  EXPECT_TRUE(storage.remove(b.path("a/b")));
  EXPECT_FALSE(storage.remove(b.path("a/b")));
  EXPECT_FALSE(storage.exists(b.path("a/b")));
  EXPECT_THAT([&] { storage.read(b.path("a/b")); },
              ThrowsMessage<DatasetError>(HasSubstr(fmt::format("'{}'", b.url_of_a_b))));
  EXPECT_THAT(storage.list(b.path("a")), ElementsAre("v1", "v2"));
}

TEST_P(EveryBuiltinStorage, AReaderSeesTheOldBytesOrTheNewNeverAPart) {
  const Backend b = backend();
  const std::string path = b.path("big");
  const std::string old_bytes(1 << 20, 'o');
  const std::string new_bytes(1 << 20, 'n');
  b.storage->write(path, old_bytes);
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::thread reader([&] {
    while (!done.load()) {
      const std::string seen = b.storage->read(path);
      if (seen != old_bytes && seen != new_bytes) {
        torn.fetch_add(1);
      }
    }
  });
  for (int i = 0; i < 20; ++i) {
    b.storage->write(path, i % 2 == 0 ? new_bytes : old_bytes);
  }
  done.store(true);
  reader.join();
  EXPECT_EQ(torn.load(), 0);
}

TEST_P(EveryBuiltinStorage, AFolderIsNotReadAsAnObject) {
  const Backend b = backend();
  b.storage->write(b.path("a/b/file"), "x");
  EXPECT_THAT([&] { b.storage->read(b.path("a/b")); },
              ThrowsMessage<DatasetError>(AllOf(HasSubstr(fmt::format("'{}'", b.url_of_a_b)),
                                                HasSubstr("add 'versioned: true'"))));
}

INSTANTIATE_TEST_SUITE_P(Storage, EveryBuiltinStorage,
                         ::testing::Values("local", "local_nofsync", "memory"),
                         [](const auto& param_info) { return param_info.param; });

TEST(LocalStorage, ClaimsAnUnversionedFileAndTheDefaultClaimsNothing) {
  TempDir dir;
  const std::string file = (dir / "data.bin").string();
  auto claim = LocalStorage::instance()->claim(file, "run-1");
  EXPECT_NE(claim, nullptr);
  EXPECT_TRUE(fs::exists(dir / ".data.bin.lock"));
  claim.reset();
  EXPECT_FALSE(fs::exists(dir / ".data.bin.lock"));
  EXPECT_EQ(MemoryStorage().claim("store/data.bin", "run-1"), nullptr);
}

// Claims of one process from many threads at once (run it under the tsan preset): claims of
// the same file share one lock, claims of different files each get their own, and every lock
// file goes with its last owner.
TEST(LocalStorage, ClaimsFromManyThreadsShareALockPerFile) {
  TempDir dir;
  constexpr int kFiles = 4;
  constexpr int kThreadsPerFile = 3;
  std::vector<std::shared_ptr<const void>> claims(kFiles * kThreadsPerFile);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kFiles * kThreadsPerFile; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) {
        std::this_thread::yield();
      }
      const std::string file = (dir / fmt::format("data{}.bin", i % kFiles)).string();
      claims[static_cast<std::size_t>(i)] = LocalStorage::instance()->claim(file, "run-1");
    });
  }
  go = true;
  for (auto& thread : threads) {
    thread.join();
  }
  for (int i = 0; i < kFiles * kThreadsPerFile; ++i) {
    ASSERT_NE(claims[static_cast<std::size_t>(i)], nullptr) << i;
    EXPECT_EQ(claims[static_cast<std::size_t>(i)], claims[static_cast<std::size_t>(i % kFiles)])
        << "claims of data" << i % kFiles << ".bin share one lock";
  }
  for (int file = 0; file < kFiles; ++file) {
    EXPECT_TRUE(fs::exists(dir / fmt::format(".data{}.bin.lock", file)));
    for (int other = file + 1; other < kFiles; ++other) {
      EXPECT_NE(claims[static_cast<std::size_t>(file)], claims[static_cast<std::size_t>(other)]);
    }
  }
  claims.clear();
  for (int file = 0; file < kFiles; ++file) {
    EXPECT_FALSE(fs::exists(dir / fmt::format(".data{}.bin.lock", file)));
  }
}

// --- Schemes ---

TEST(StorageRegistry, PlainAndFilePathsAreLocalRelativeToTheRootMemoryIsTheRegistrysOwn) {
  const StorageRegistry storages;
  const FileLocation relative = storages.open("data/x.csv", "/project", {}, {}, "here");
  EXPECT_EQ(relative.storage, LocalStorage::instance());
  EXPECT_EQ(relative.path, "/project/data/x.csv");
  EXPECT_EQ(storages.open("file:///abs/x.csv", "/project", {}, {}, "here").path, "/abs/x.csv");
  EXPECT_EQ(storages.open("file://data/x.csv", "/project", {}, {}, "here").path,
            "/project/data/x.csv");
  const FileLocation memory = storages.open("memory://tests/x.csv", "/project", {}, {}, "here");
  EXPECT_EQ(memory.storage, storages.memory());
  EXPECT_EQ(memory.path, "tests/x.csv");
  EXPECT_EQ(memory.url(), "memory://tests/x.csv");
  EXPECT_NE(StorageRegistry().memory(), storages.memory());
  EXPECT_THAT(storages.schemes(), ElementsAre("file", "memory"));
}

TEST(StorageRegistry, BadMemoryUrlsAndUnknownSchemesSayWhatToDo) {
  const StorageRegistry storages;
  for (const char* bad : {"memory://", "memory://store", "memory://store/", "memory:///key"}) {
    EXPECT_THAT([&] { storages.open(bad, "/p", {}, {}, "catalog.yml:2:13: dataset 'x'"); },
                ThrowsMessage<ConfigError>(
                    AllOf(HasSubstr("catalog.yml:2:13: dataset 'x'"),
                          HasSubstr("needs a store and a key: memory://<store>/<key>"))))
        << bad;
  }
  EXPECT_THAT([&] { storages.open("gs://bucket/k", "/p", {}, {}, "catalog.yml:2:13"); },
              ThrowsMessage<ConfigError>(
                  AllOf(HasSubstr("catalog.yml:2:13: 'gs://bucket/k' uses the storage scheme 'gs'"),
                        HasSubstr("known schemes: file, memory"), Not(HasSubstr("plugin")))));
  EXPECT_THAT([&] { storages.open("s3://bucket/k", "/p", {}, {}, "catalog.yml:2:13"); },
              ThrowsMessage<ConfigError>(
                  AllOf(HasSubstr("known schemes: file, memory"),
                        HasSubstr("s3:// comes with the s3 storage plugin: add `s3` to the "
                                  "`plugins:` list"))));
  EXPECT_THAT(
      [&] {
        storages.open("memory://s/k", "/p", {}, Param(Param::Map{{"a", Param(1)}}),
                      "catalog.yml:2:13");
      },
      ThrowsMessage<ConfigError>(HasSubstr("remove 'fs_args'")));
}

// --- fsync of local files: fs_args per entry, CatalogOptions::fsync for all ---

TEST(StorageRegistry, ALocalFileFsyncsByDefaultAndFsArgsOrTheGlobalSettingTurnItOff) {
  const StorageRegistry storages;
  const Param off = Param(Param::Map{{"fsync", Param(false)}});
  const Param on = Param(Param::Map{{"fsync", Param(true)}});
  auto durability = [&](const Param& fs_args, bool global) {
    const FileLocation location =
        storages.open("data/x.csv", "/p", {}, fs_args, "here", {}, global);
    return dynamic_cast<const LocalStorage&>(*location.storage).durability();
  };
  EXPECT_EQ(durability({}, true), Durability::file_and_folder);
  EXPECT_EQ(durability(off, true), Durability::none);
  EXPECT_EQ(durability({}, false), Durability::none);             // the global setting
  EXPECT_EQ(durability(on, false), Durability::file_and_folder);  // the entry wins over it
  EXPECT_EQ(durability(off, false), Durability::none);
}

TEST(StorageRegistry, ABadLocalFsArgSaysWhatALocalFileTakes) {
  const StorageRegistry storages;
  EXPECT_THAT(
      [&] {
        storages.open("x.csv", "/p", {}, Param(Param::Map{{"fsync", Param("maybe")}}),
                      "catalog.yml:2:13: dataset 'x'");
      },
      ThrowsMessage<ConfigError>(AllOf(HasSubstr("catalog.yml:2:13: dataset 'x'"),
                                       HasSubstr("'fsync' must be true or false (got maybe)"))));
  EXPECT_THAT(
      [&] {
        storages.open("x.csv", "/p", {}, Param(Param::Map{{"fsnyc", Param(false)}}),
                      "catalog.yml:2:13: dataset 'x'");
      },
      ThrowsMessage<ConfigError>(
          AllOf(HasSubstr("unknown option 'fsnyc' (did you mean 'fsync'?)"),
                HasSubstr("a local file takes only 'fsync' (true or false)"))));
}

// --- File datasets on every scheme, through the catalog ---

class StorageCatalog : public ::testing::Test {
 protected:
  StorageCatalog() { register_builtins(registry); }

  Catalog build(const std::string& catalog_yml, const std::string& credentials_yml = "",
                CatalogOptions options = {}) {
    dir.write("conf/base/catalog.yml", catalog_yml);
    dir.write("conf/local/credentials.yml", credentials_yml);
    const ConfigLoader conf(dir / "conf");
    options.root = dir.path();
    return make_catalog(conf.get("catalog"), conf.get("credentials"), Param(), registry, options);
  }

  Registry registry;
  TempDir dir;
};

Table sample_table() {
  Table table;
  table.add_column("id", std::vector<std::int64_t>{1, 2});
  table.add_column("name", std::vector<std::string>{"a", "b"});
  return table;
}

TEST_F(StorageCatalog, EveryFileDatasetTypeRoundTripsOnMemoryAndFile) {
  for (const std::string& prefix : {std::string("memory://tests/"), std::string("file://"),
                                    std::string("file://") + dir.path().string() + "/abs/"}) {
    Catalog catalog =
        build(fmt::format("table:\n  type: CSVDataset\n  filepath: {0}data/t.csv\n"
                          "text:\n  type: TextDataset\n  filepath: {0}data/t.txt\n"
                          "vector:\n  type: BinaryDataset\n  filepath: {0}data/v.bin\n",
                          prefix));
    EXPECT_FALSE(catalog.exists("table")) << prefix;
    catalog.save("table", Value::of(sample_table()));
    catalog.save("text", Value::of(std::string("hello")));
    catalog.save("vector", Value::of(std::vector<double>{1.5, 2.5}));
    EXPECT_TRUE(catalog.exists("table")) << prefix;
    EXPECT_EQ(testing::value_as<Table>(catalog.load("table")), sample_table()) << prefix;
    EXPECT_EQ(testing::value_as<std::string>(catalog.load("text")), "hello") << prefix;
    EXPECT_EQ(testing::value_as<std::vector<double>>(catalog.load("vector")),
              (std::vector<double>{1.5, 2.5}))
        << prefix;
    const bool local = prefix.starts_with("file://");
    EXPECT_EQ(fs::exists(dir / "data/t.csv") || fs::exists(dir / "abs/data/t.csv"), local);
    EXPECT_THAT(catalog.get("text")->describe(),
                HasSubstr(local ? "filepath=" + dir.path().string()
                                : std::string("filepath=memory://tests/data/t.txt")));
  }
}

// How many folders the saves synced while `log` lived.
std::size_t folder_syncs(testing::SyncLog& log) {
  const auto synced = log.take();
  return static_cast<std::size_t>(
      std::count_if(synced.begin(), synced.end(), [](const auto& entry) { return entry.second; }));
}

TEST_F(StorageCatalog, SavesSyncTheFileAndFolderUnlessTheEntryOrTheCatalogSaysFsyncFalse) {
  const std::string yml =
      "durable:\n  type: TextDataset\n  filepath: data/durable.txt\n"
      "scratch:\n  type: TextDataset\n  filepath: data/scratch.txt\n  fs_args: {fsync: false}\n"
      "kept:\n  type: TextDataset\n  filepath: data/kept.txt\n  fs_args: {fsync: true}\n";
  const Value text = Value::of(std::string("bytes"));
  {
    Catalog catalog = build(yml);
    testing::SyncLog log;
    catalog.save("durable", text);
    // The first save claims the file (.durable.txt.lock), which makes data/ and syncs the
    // project folder; then the file, and data/ after the rename.
    EXPECT_THAT(log.take(), ElementsAre(Pair(dir.path().string(), true),
                                        Pair((dir / "data/durable.txt").string(), false),
                                        Pair((dir / "data").string(), true)));
    catalog.save("scratch", text);
    EXPECT_THAT(log.take(), IsEmpty());
    catalog.save("kept", text);
    EXPECT_EQ(folder_syncs(log), 1U);
  }
  CatalogOptions global_off;
  global_off.fsync = false;
  Catalog catalog = build(yml, "", global_off);
  testing::SyncLog log;
  catalog.save("durable", text);  // follows the global setting
  catalog.save("scratch", text);
  EXPECT_THAT(log.take(), IsEmpty());
  catalog.save("kept", text);  // its own fs_args win
  EXPECT_EQ(folder_syncs(log), 1U);
  EXPECT_EQ(testing::value_as<std::string>(catalog.load("durable")), "bytes");
}

TEST_F(StorageCatalog, AVersionedSaveSyncsTheFoldersItCreates) {
  Catalog catalog = build("m:\n  type: TextDataset\n  filepath: data/m.txt\n  versioned: true\n");
  testing::SyncLog log;
  catalog.save("m", Value::of(std::string("v1")));
  // data/m.txt/<version>/m.txt: the version folder, data/m.txt/, data/ and the project folder.
  EXPECT_EQ(folder_syncs(log), 4U);
}

TEST_F(StorageCatalog, ABadFsyncValueNamesTheCatalogLine) {
  EXPECT_THAT(
      [&] { build("x:\n  type: TextDataset\n  filepath: x.txt\n  fs_args: {fsync: sometimes}\n"); },
      ThrowsMessage<ConfigError>(
          AllOf(HasSubstr("catalog.yml:4:20: fs_args of 'x.txt'"),
                HasSubstr("'fsync' must be true or false (got sometimes)"))));
}

TEST_F(StorageCatalog, TheMemoryStoreIsSharedByTheCatalogsOfOneRegistryOnly) {
  const std::string yml = "text:\n  type: TextDataset\n  filepath: memory://s/t.txt\n";
  build(yml).save("text", Value::of(std::string("kept")));
  EXPECT_EQ(testing::value_as<std::string>(build(yml).load("text")), "kept");
  Registry other;
  register_builtins(other);
  dir.write("conf/base/catalog.yml", yml);
  const ConfigLoader conf(dir / "conf");
  Catalog elsewhere = make_catalog(conf.get("catalog"), Param(), Param(), other, {});
  EXPECT_FALSE(elsewhere.exists("text"));
  EXPECT_THAT([&] { elsewhere.load("text"); },
              ThrowsMessage<DatasetError>(HasSubstr("'memory://s/t.txt': no such object")));
}

TEST_F(StorageCatalog, VersionsOnMemoryLoadTheLatestOrTheOneAskedFor) {
  const std::string yml =
      "model:\n  type: TextDataset\n  filepath: memory://s/model.txt\n  versioned: true\n";
  EXPECT_THAT([&] { build(yml).load("model"); },
              ThrowsMessage<DatasetError>(
                  HasSubstr("no saved versions of 'model.txt' under 'memory://s/model.txt'")));
  CatalogOptions first;
  first.save_version = "2026-01-01T00.00.00.000Z-1-1";
  build(yml, "", first).save("model", Value::of(std::string("old")));
  CatalogOptions second;
  second.save_version = "2026-01-02T00.00.00.000Z-1-1";
  Catalog saver = build(yml, "", second);
  saver.save("model", Value::of(std::string("new")));
  EXPECT_THAT([&] { build(yml, "", second).save("model", Value::of(std::string("again"))); },
              ThrowsMessage<DatasetError>(HasSubstr("already exists")));
  EXPECT_TRUE(
      registry.storages.memory()->exists("s/model.txt/2026-01-01T00.00.00.000Z-1-1/model.txt"));

  EXPECT_EQ(testing::value_as<std::string>(build(yml).load("model")), "new");
  CatalogOptions pinned;
  pinned.load_versions["model"] = first.save_version;
  EXPECT_EQ(testing::value_as<std::string>(build(yml, "", pinned).load("model")), "old");
  EXPECT_EQ(testing::value_as<std::string>(saver.load("model")), "new");
}

TEST_F(StorageCatalog, AnUnknownSchemeNamesTheEntrysLineAndTheKnownSchemes) {
  EXPECT_THAT([&] { build("model:\n  type: BinaryDataset\n  filepath: s3://bucket/model.bin\n"); },
              ThrowsMessage<ConfigError>(AllOf(
                  HasSubstr("catalog.yml:3:13: dataset 'model' (BinaryDataset): option 'filepath': "
                            "'s3://bucket/model.bin' uses the storage scheme 's3'"),
                  HasSubstr("known schemes: file, memory"), HasSubstr("s3 storage plugin"))));
}

TEST_F(StorageCatalog, ASecretNeverAppearsInErrorsOrDescriptions) {
  const std::string credentials = "store:\n  key: AKIAEXAMPLE\n  secret: hunter2-s3cr3t\n";
  for (const char* filepath : {"memory://nokey", "s3://bucket/x.txt", "gcs://bucket/x.txt"}) {
    try {
      build(
          fmt::format("x:\n  type: TextDataset\n  filepath: {}\n  credentials: store\n", filepath),
          credentials);
      FAIL() << filepath;
    } catch (const ConfigError& error) {
      EXPECT_THAT(error.what(), AllOf(HasSubstr("dataset 'x'"), Not(HasSubstr("hunter2-s3cr3t")),
                                      Not(HasSubstr("AKIAEXAMPLE"))))
          << filepath;
    }
  }
  Catalog catalog = build(
      "x:\n  type: TextDataset\n  filepath: memory://s/x.txt\n  credentials: store\n", credentials);
  EXPECT_THAT(catalog.get("x")->describe(),
              AllOf(Not(HasSubstr("hunter2-s3cr3t")), Not(HasSubstr("AKIAEXAMPLE"))));
  try {
    catalog.load("x");
    FAIL();
  } catch (const DatasetError& error) {
    EXPECT_THAT(error.what(), Not(HasSubstr("hunter2-s3cr3t")));
  }
}

// A test-only backend: memory objects under its own scheme, counting the claims asked for.
class FakeStorage : public MemoryStorage {
 public:
  std::string url(const std::string& path) const override { return "fake://" + path; }
  std::shared_ptr<const void> claim(const std::string& path,
                                    std::string_view run_id) const override {
    claims.fetch_add(1);
    claimed_by = fmt::format("{} by {}", path, run_id);
    return token;
  }
  mutable std::atomic<int> claims{0};
  mutable std::string claimed_by;
  std::shared_ptr<const int> token = std::make_shared<const int>(0);
};

TEST_F(StorageCatalog, ARegisteredSchemeGetsTheUrlCredentialsAndFsArgs) {
  auto fake = std::make_shared<const FakeStorage>();
  std::vector<StorageContext> seen;
  Registrar registrar(registry, nullptr, "fake plugin");
  registrar.add_storage("fake", [&](const StorageContext& context) {
    seen.push_back(context);
    return fake;
  });
  Catalog catalog = build(
      "x:\n  type: TextDataset\n  filepath: fake://bucket/x.txt\n  credentials: store\n"
      "  fs_args: {part_size: 8MiB}\n",
      "store:\n  secret: hunter2\n");
  ASSERT_EQ(seen.size(), 1U);
  EXPECT_EQ(seen[0].url, "fake://bucket/x.txt");
  EXPECT_EQ(seen[0].path, "bucket/x.txt");
  EXPECT_EQ(seen[0].credentials.at("secret").as_string(), "hunter2");
  EXPECT_EQ(seen[0].credentials_name, "store");  // the name, for messages
  EXPECT_EQ(seen[0].options.at("part_size").as_string(), "8MiB");
  EXPECT_THAT(seen[0].where, HasSubstr("catalog.yml:3:13: dataset 'x'"));
  catalog.save("x", Value::of(std::string("through the plugin")));
  catalog.save("x", Value::of(std::string("through the plugin")));
  EXPECT_EQ(fake->claims.load(), 1);  // claimed once, held while the dataset lives
  EXPECT_THAT(fake->claimed_by, HasSubstr("bucket/x.txt by "));
  EXPECT_EQ(fake->token.use_count(), 2);
  EXPECT_EQ(fake->read("bucket/x.txt"), "through the plugin");
  EXPECT_EQ(testing::value_as<std::string>(catalog.load("x")), "through the plugin");
  EXPECT_THAT(catalog.get("x")->describe(), HasSubstr("filepath=fake://bucket/x.txt"));
  EXPECT_THAT(registry.storages.schemes(), ElementsAre("fake", "file", "memory"));

  EXPECT_THAT([&] { registrar.add_storage("memory", {}); },
              ThrowsMessage<ConfigError>(HasSubstr("fake plugin: cannot register storage scheme "
                                                   "'memory': it is built in")));
  EXPECT_THAT([&] { registrar.add_storage("fake", {}); },
              ThrowsMessage<ConfigError>(HasSubstr("already registered")));
}

// --- Versioned loads resolve the latest version once ---

// Memory objects, counting the list and exists calls (one ListObjectsV2 and HEAD each on S3).
class CountingStorage : public MemoryStorage {
 public:
  bool exists(const std::string& path) const override {
    exists_calls.fetch_add(1);
    return MemoryStorage::exists(path);
  }
  std::vector<std::string> list(const std::string& folder) const override {
    list_calls.fetch_add(1);
    return MemoryStorage::list(folder);
  }
  mutable std::atomic<int> list_calls{0};
  mutable std::atomic<int> exists_calls{0};
};

class VersionedLoads : public ::testing::Test {
 protected:
  TextDataset dataset(const std::string& load_version, const std::string& save_version) const {
    return TextDataset(FileLocation(storage, "s/model.txt"),
                       Versioning{true, load_version, save_version});
  }
  void save(const std::string& version, const std::string& text) const {
    dataset("", version).save(Value::of(text));
  }
  std::shared_ptr<const CountingStorage> storage = std::make_shared<const CountingStorage>();
};

TEST_F(VersionedLoads, ManyLoadsFromSeveralThreadsListTheStorageOnce) {
  save("2026-01-01T00.00.00.000Z", "old");
  save("2026-01-02T00.00.00.000Z", "new");
  TextDataset reader = dataset("", "2026-01-03T00.00.00.000Z");
  constexpr int kThreads = 4;
  constexpr int kLoads = 10;
  std::vector<std::thread> threads;
  std::atomic<int> right{0};
  for (int thread = 0; thread < kThreads; ++thread) {
    threads.emplace_back([&] {
      for (int load = 0; load < kLoads; ++load) {
        if (testing::value_as<std::string>(reader.load()) == "new") {
          right.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(right.load(), kThreads * kLoads);
  EXPECT_EQ(storage->list_calls.load(), 1);
  const int exists_after_loads = storage->exists_calls.load();
  EXPECT_TRUE(reader.exists());
  EXPECT_EQ(reader.load_path(), "memory://s/model.txt/2026-01-02T00.00.00.000Z/model.txt");
  EXPECT_EQ(storage->list_calls.load(), 1);
  EXPECT_EQ(storage->exists_calls.load(), exists_after_loads + 1);  // exists() asks once, itself
}

TEST_F(VersionedLoads, TheVersionFoundIsKeptUntilTheDatasetSavesThenItsOwnIsLoaded) {
  save("2026-01-01T00.00.00.000Z", "first");
  TextDataset reader = dataset("", "2026-01-03T00.00.00.000Z");
  EXPECT_EQ(testing::value_as<std::string>(reader.load()), "first");
  save("2026-01-02T00.00.00.000Z", "another run's");  // found once: not seen by reader
  EXPECT_EQ(testing::value_as<std::string>(reader.load()), "first");
  reader.save(Value::of(std::string("just saved")));
  EXPECT_EQ(testing::value_as<std::string>(reader.load()), "just saved");
  EXPECT_EQ(reader.load_path(), "memory://s/model.txt/2026-01-03T00.00.00.000Z/model.txt");
  EXPECT_EQ(storage->list_calls.load(), 1);
  // A new dataset (a new run) finds the latest again.
  EXPECT_EQ(testing::value_as<std::string>(dataset("", "x").load()), "just saved");
  EXPECT_EQ(storage->list_calls.load(), 2);
}

TEST_F(VersionedLoads, NoVersionYetIsNotKeptAndAPinnedLoadVersionNeverLists) {
  TextDataset reader = dataset("", "2026-01-03T00.00.00.000Z");
  EXPECT_FALSE(reader.exists());
  EXPECT_THAT([&] { reader.load(); }, ThrowsMessage<DatasetError>(HasSubstr("no saved versions")));
  save("2026-01-01T00.00.00.000Z", "produced since");
  EXPECT_EQ(testing::value_as<std::string>(reader.load()), "produced since");

  const int lists = storage->list_calls.load();
  TextDataset pinned = dataset("2026-01-01T00.00.00.000Z", "2026-01-04T00.00.00.000Z");
  for (int load = 0; load < 3; ++load) {
    EXPECT_EQ(testing::value_as<std::string>(pinned.load()), "produced since");
  }
  EXPECT_TRUE(pinned.exists());
  pinned.save(Value::of(std::string("saved, but the pin wins")));
  EXPECT_EQ(testing::value_as<std::string>(pinned.load()), "produced since");
  EXPECT_EQ(storage->list_calls.load(), lists);
}

}  // namespace
}  // namespace sluice
