#include <filesystem>
#include <iterator>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <sluice/core/error.hpp>
#include <sluice/core/util/files.hpp>

#include "support/temp_dir.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
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

}  // namespace
}  // namespace sluice
