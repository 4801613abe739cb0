#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sluice/core/error.hpp>
#include <sluice/core/util/files.hpp>

#include "support/sync_log.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::ThrowsMessage;

unsigned mode_of(const fs::path& path) {
  return static_cast<unsigned>(fs::status(path).permissions() & fs::perms::mask);
}

TEST(Files, AnAtomicWriteCreatesTheFoldersAboveTheFile) {
  testing::TempDir dir;
  write_file_atomically(dir / "a/b/c.txt", "text");
  EXPECT_EQ(read_file(dir / "a/b/c.txt"), "text");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "a/b"), fs::directory_iterator()),
            1);  // no temp file left
}

TEST(Files, AFolderThatCannotBeCreatedIsNamedWithTheFile) {
  testing::TempDir dir;
  dir.write("a", "a file, not a folder");
  EXPECT_THAT([&] { create_parent_folders(dir / "a/b/c.txt"); },
              ThrowsMessage<DatasetError>(AllOf(
                  HasSubstr(fmt::format("cannot create folder '{}' for '{}'",
                                        (dir / "a/b").string(), (dir / "a/b/c.txt").string())),
                  HasSubstr("Not a directory"))));
}

TEST(Files, AnOwnerOnlyFileIsExactly0600WhateverTheUmask) {
  testing::TempDir dir;
  const mode_t previous = ::umask(0277);
  write_file_atomically(dir / "secret.json", "{}", FileAccess::owner_only);
  EXPECT_TRUE(write_new_file_atomically(dir / "new.json", "{}", FileAccess::owner_only));
  ::umask(previous);
  EXPECT_EQ(mode_of(dir / "secret.json"), 0600U);
  EXPECT_EQ(mode_of(dir / "new.json"), 0600U);
}

TEST(Files, ANewFileNeverReplacesAnExistingOne) {
  testing::TempDir dir;
  dir.write("kept.txt", "first");
  EXPECT_FALSE(write_new_file_atomically(dir / "kept.txt", "second"));
  EXPECT_EQ(read_file(dir / "kept.txt"), "first");
}

// --- Durability: what each write fsyncs (seen through the sync observer) ---

TEST(FilesDurability, ADurableWriteSyncsTheFileThenItsFolderAndEveryFolderItCreated) {
  testing::TempDir dir;
  testing::SyncLog log;
  const fs::path file = dir / "a/b/c.txt";
  write_file_atomically(file, "text");
  // a/ and a/b/ are new: their names live in dir/ and a/, synced once they are made; then
  // the file, and its folder after the rename.
  EXPECT_THAT(log.take(),
              ElementsAre(Pair((dir / "a").string(), true), Pair(dir.path().string(), true),
                          Pair(file.string(), false), Pair((dir / "a/b").string(), true)));
  write_file_atomically(file, "again");  // the folders exist now: only the file's own
  EXPECT_THAT(log.take(),
              ElementsAre(Pair(file.string(), false), Pair((dir / "a/b").string(), true)));
  EXPECT_EQ(read_file(file), "again");
}

TEST(FilesDurability, ANewFileSyncsItsFolderOnlyWhenItWasWritten) {
  testing::TempDir dir;
  testing::SyncLog log;
  const fs::path file = dir / "v1/x.bin";
  EXPECT_TRUE(write_new_file_atomically(file, "one"));
  EXPECT_THAT(log.take(), ElementsAre(Pair(dir.path().string(), true), Pair(file.string(), false),
                                      Pair((dir / "v1").string(), true)));
  EXPECT_FALSE(write_new_file_atomically(file, "two"));  // lost: nothing was published
  const auto lost = log.take();
  EXPECT_EQ(std::count_if(lost.begin(), lost.end(), [](const auto& e) { return e.second; }), 0);
  EXPECT_EQ(read_file(file), "one");
}

TEST(FilesDurability, CreatingFoldersDurablySyncsTheFoldersThatHoldTheNewOnes) {
  testing::TempDir dir;
  testing::SyncLog log;
  create_parent_folders(dir / "x/y/.lock");
  EXPECT_THAT(log.take(), IsEmpty());  // the default: just create them
  create_parent_folders(dir / "p/q/.lock", Durability::file_and_folder);
  EXPECT_THAT(log.take(),
              ElementsAre(Pair((dir / "p").string(), true), Pair(dir.path().string(), true)));
  EXPECT_TRUE(fs::is_directory(dir / "p/q"));
}

TEST(FilesDurability, FileOnlySyncsNoFolderAndNoneSyncsNothing) {
  testing::TempDir dir;
  testing::SyncLog log;
  write_file_atomically(dir / "new/f.txt", "x", FileAccess::shared, Durability::file);
  EXPECT_THAT(log.take(), ElementsAre(Pair((dir / "new/f.txt").string(), false)));
  write_file_atomically(dir / "other/g.txt", "y", FileAccess::shared, Durability::none);
  EXPECT_TRUE(
      write_new_file_atomically(dir / "v/h.txt", "z", FileAccess::shared, Durability::none));
  EXPECT_THAT(log.take(), IsEmpty());
  EXPECT_EQ(read_file(dir / "other/g.txt"), "y");
  EXPECT_EQ(read_file(dir / "v/h.txt"), "z");
}

TEST(FilesDurability, ARelativePathSyncsTheCurrentFolder) {
  testing::TempDir dir;
  const fs::path previous = fs::current_path();
  fs::current_path(dir.path());
  {
    testing::SyncLog log;
    write_file_atomically("here.txt", "x");
    EXPECT_THAT(log.take(), ElementsAre(Pair("here.txt", false), Pair(".", true)));
  }
  fs::current_path(previous);
}

class EveryDurability : public ::testing::TestWithParam<Durability> {};

TEST_P(EveryDurability, AReaderSeesTheOldBytesOrTheNewNeverAPart) {
  testing::TempDir dir;
  const fs::path path = dir / "big";
  const std::string old_bytes(1 << 20, 'o');
  const std::string new_bytes(1 << 20, 'n');
  write_file_atomically(path, old_bytes, FileAccess::shared, GetParam());
  std::atomic<bool> done{false};
  std::atomic<int> torn{0};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    while (!done.load()) {
      const std::string seen = read_file(path);
      reads.fetch_add(1);
      if (seen != old_bytes && seen != new_bytes) {
        torn.fetch_add(1);
      }
    }
  });
  for (int i = 0; i < 50 || reads.load() < 10; ++i) {
    write_file_atomically(path, i % 2 == 0 ? new_bytes : old_bytes, FileAccess::shared, GetParam());
  }
  done.store(true);
  reader.join();
  EXPECT_EQ(torn.load(), 0);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()),
            1);  // no temp file left
}

INSTANTIATE_TEST_SUITE_P(Files, EveryDurability,
                         ::testing::Values(Durability::none, Durability::file,
                                           Durability::file_and_folder),
                         [](const auto& param_info) {
                           switch (param_info.param) {
                             case Durability::none:
                               return std::string("none");
                             case Durability::file:
                               return std::string("file");
                             case Durability::file_and_folder:
                               return std::string("file_and_folder");
                           }
                           return std::string("unknown");
                         });

}  // namespace
}  // namespace sluice
