#include <atomic>
#include <fstream>
#include <thread>

#include <fcntl.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sluice/core/codec.hpp>
#include <sluice/core/datasets/binary_dataset.hpp>
#include <sluice/core/datasets/cached_dataset.hpp>
#include <sluice/core/datasets/csv_dataset.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/datasets/text_dataset.hpp>
#include <sluice/core/param.hpp>
#include <sluice/core/table.hpp>
#include <sluice/core/util/files.hpp>

#include "support/recording_dataset.hpp"
#include "support/temp_dir.hpp"
#include "support/value_as.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;
using ::testing::ThrowsMessage;

class FileDatasets : public ::testing::Test {
 protected:
  FileDatasets() { add_builtin_codecs(codecs); }
  CodecRegistry codecs;
  TempDir dir;
};

TEST(MemoryDataset, ConcurrentSavesLoadsAndReleasesSeeWholeValues) {
  // Its lock is a 4-byte futex lock: under contention every load sees a value some thread
  // saved, whole, or no data at all after a release.
  MemoryDataset dataset(Value::of(std::string(64, 'a')));
  constexpr int kThreads = 4;
  constexpr int kRounds = 20'000;
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&dataset, &bad, t] {
      const Value mine = Value::of(std::string(64, static_cast<char>('a' + t)));
      for (int i = 0; i < kRounds; ++i) {
        dataset.save(mine);
        if (i % 97 == 0) {
          dataset.release();
        }
        try {
          const Value loaded = dataset.load();
          const std::string& text = loaded.get<std::string>();
          if (text.size() != 64 || text.find_first_not_of(text.front()) != std::string::npos) {
            bad.fetch_add(1);
          }
        } catch (const DatasetError&) {
          // released by another thread in between
        }
        std::vector<Value> held;
        dataset.held_values(held);
        if (held.size() > 1) {
          bad.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(bad.load(), 0);
  dataset.save(Value::of(std::string("last")));
  EXPECT_TRUE(dataset.exists());
  const Value last = dataset.load();
  EXPECT_EQ(last.get<std::string>(), "last");
}

TEST(MemoryDataset, NeverCopiesAndIsEphemeral) {
  MemoryDataset dataset;
  EXPECT_FALSE(dataset.exists());
  EXPECT_THROW(dataset.load(), DatasetError);
  const Value value = Value::of(std::vector<double>(10));
  dataset.save(value);
  EXPECT_TRUE(dataset.load().same_data(value));
  EXPECT_TRUE(dataset.is_ephemeral());
  dataset.release();
  EXPECT_FALSE(dataset.exists());
}

TEST(ParameterDataset, IsReadOnlyPersistedAndNeverReleased) {
  ParameterDataset dataset(Value::of(Param(3)));
  EXPECT_FALSE(dataset.is_ephemeral());
  dataset.release();
  EXPECT_EQ(testing::value_as<Param>(dataset.load()).as_int(), 3);
  EXPECT_THROW(dataset.save(Value::of(Param(4))), DatasetError);
}

TEST_F(FileDatasets, BinaryRoundTripCreatesFoldersAndLeavesNoTempFiles) {
  {
    BinaryDataset dataset(dir / "a/b/c/data.bin", codecs);
    EXPECT_FALSE(dataset.exists());
    dataset.save(Value::of(std::vector<double>{1, 2, 3}));
    EXPECT_TRUE(dataset.exists());
    EXPECT_EQ(testing::value_as<std::vector<double>>(dataset.load()),
              (std::vector<double>{1, 2, 3}));
    EXPECT_FALSE(dataset.is_ephemeral());
  }
  int files = 0;  // nor its lock, once the dataset is gone
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir / "a/b/c")) {
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST_F(FileDatasets, PrepareSaveClaimsTheFileBeforeTheFirstSaveAndAVersionedOneClaimsNothing) {
  {
    BinaryDataset dataset(dir / "p.bin", codecs);
    dataset.prepare_save();
    EXPECT_TRUE(fs::exists(dir / ".p.bin.lock")) << "claimed before anything was saved";
    dataset.save(Value::of(std::string("x")));
    EXPECT_EQ(testing::value_as<std::string>(dataset.load()), "x");
  }
  EXPECT_FALSE(fs::exists(dir / ".p.bin.lock")) << "released with the dataset";
  BinaryDataset versioned(dir / "versioned/v.bin", codecs, {}, Versioning{true, "", "2026-01-01"});
  versioned.prepare_save();
  EXPECT_FALSE(fs::exists(dir / "versioned")) << "a versioned save writes a version of its own";
}

TEST_F(FileDatasets, APrepareSaveThatCannotClaimLeavesTheErrorToTheSave) {
  // A lock held through another open file: to flock, another writer (as another process is).
  std::ofstream(dir / ".held.bin.lock") << "run other (pid 1)";
  const int held = ::open((dir / ".held.bin.lock").c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(held, 0);
  ASSERT_EQ(::flock(held, LOCK_EX | LOCK_NB), 0);
  BinaryDataset dataset(dir / "held.bin", codecs);
  EXPECT_NO_THROW(dataset.prepare_save());
  EXPECT_THAT([&] { dataset.save(Value::of(1)); },
              ThrowsMessage<DatasetError>(AllOf(HasSubstr("held.bin"), HasSubstr("run other"),
                                                HasSubstr("is writing it at the same time"))));
  ::close(held);  // once the other writer is gone, the save claims the file itself
  dataset.save(Value::of(2));
  EXPECT_EQ(testing::value_as<int>(dataset.load()), 2);
}

TEST_F(FileDatasets, BinaryFileNamesItsCodecInTheHeader) {
  BinaryDataset writer(dir / "t.bin", codecs);
  writer.save(Value::of(std::string("hello")));
  // A reader configured without a codec finds it in the file.
  BinaryDataset reader(dir / "t.bin", codecs);
  EXPECT_EQ(testing::value_as<std::string>(reader.load()), "hello");
  // A reader that insists on another codec is told what the file holds.
  BinaryDataset strict(dir / "t.bin", codecs, "table");
  EXPECT_THAT([&] { strict.load(); },
              ThrowsMessage<DatasetError>(HasSubstr("written with codec 'string'")));
}

TEST_F(FileDatasets, TruncatedCorruptAndForeignFilesAreReported) {
  BinaryDataset dataset(dir / "d.bin", codecs);
  dataset.save(Value::of(std::vector<double>(100, 7.0)));
  std::string bytes = read_file(dir / "d.bin");

  dir.write("truncated.bin", bytes.substr(0, bytes.size() - 10));
  EXPECT_THAT([&] { BinaryDataset(dir / "truncated.bin", codecs).load(); },
              ThrowsMessage<DatasetError>(HasSubstr("is truncated")));

  std::string flipped = bytes;
  flipped[flipped.size() - 5] ^= 0x40;
  dir.write("corrupt.bin", flipped);
  EXPECT_THAT([&] { BinaryDataset(dir / "corrupt.bin", codecs).load(); },
              ThrowsMessage<DatasetError>(HasSubstr("checksum mismatch")));

  dir.write("foreign.bin", "PK\x03\x04 not ours");
  EXPECT_THAT([&] { BinaryDataset(dir / "foreign.bin", codecs).load(); },
              ThrowsMessage<DatasetError>(HasSubstr("not a sluice binary file")));

  dir.write("short.bin", "SLUICEB1\x05");
  EXPECT_THROW(BinaryDataset(dir / "short.bin", codecs).load(), DatasetError);
}

TEST_F(FileDatasets, MissingFileNamesThePath) {
  BinaryDataset dataset(dir / "nope.bin", codecs);
  EXPECT_THAT([&] { dataset.load(); },
              ThrowsMessage<DatasetError>(HasSubstr("nope.bin': no such file")));
}

TEST_F(FileDatasets, ValueWithoutCodecCannotBeSaved) {
  struct Opaque {};
  BinaryDataset dataset(dir / "o.bin", codecs);
  EXPECT_THROW(dataset.save(Value::of(Opaque{})), DatasetError);
  EXPECT_FALSE(fs::exists(dir / "o.bin"));
}

TEST_F(FileDatasets, CsvAndTextDatasets) {
  Table table;
  table.add_column("x", std::vector<double>{1.5, 2.5});
  CSVDataset csv(dir / "t.csv");
  csv.save(Value::of(table));
  EXPECT_EQ(testing::value_as<Table>(csv.load()), table);
  EXPECT_EQ(read_file(dir / "t.csv"), "x\n1.5\n2.5\n");

  TextDataset text(dir / "notes.txt");
  text.save(Value::of(std::string("line\n")));
  EXPECT_EQ(testing::value_as<std::string>(text.load()), "line\n");
  EXPECT_THROW(text.save(Value::of(42)), TypeMismatchError);
}

TEST_F(FileDatasets, VersionedSavesNeverOverwriteAndLoadTheirOwnVersionOrTheLatest) {
  CSVDataset first(dir / "v.csv", Versioning{true, "", "2026-01-01T00.00.00.000Z"});
  CSVDataset second(dir / "v.csv", Versioning{true, "", "2026-02-01T00.00.00.000Z"});
  Table a, b;
  a.add_column("x", std::vector<std::int64_t>{1});
  b.add_column("x", std::vector<std::int64_t>{2});
  first.save(Value::of(a));
  second.save(Value::of(b));
  EXPECT_TRUE(fs::exists(dir / "v.csv/2026-01-01T00.00.00.000Z/v.csv"));
  EXPECT_EQ(testing::value_as<Table>(CSVDataset(dir / "v.csv", Versioning{true, "", "r"}).load()),
            b);  // latest
  // Once saved, a dataset (a run) reads its own version: another run's newer one must not leak in.
  EXPECT_EQ(testing::value_as<Table>(first.load()), a);
  EXPECT_EQ(testing::value_as<Table>(second.load()), b);
  CSVDataset pinned(dir / "v.csv", Versioning{true, "2026-01-01T00.00.00.000Z", "x"});
  EXPECT_EQ(testing::value_as<Table>(pinned.load()), a);
  EXPECT_THAT([&] { second.save(Value::of(a)); },
              ThrowsMessage<DatasetError>(HasSubstr("already exists")));
  CSVDataset none(dir / "none.csv", Versioning{true, "", ""});
  EXPECT_FALSE(none.exists());
  EXPECT_THAT([&] { none.load(); }, ThrowsMessage<DatasetError>(HasSubstr("no saved versions")));
}

TEST_F(FileDatasets, OfConcurrentSavesOfOneVersionExactlyOneWins) {
  // Many writers race for the same version; the check and the rename are one step, so one
  // wins, every other is refused, and the file holds the winner's data whole.
  constexpr int kWriters = 8;
  for (int round = 0; round < 50; ++round) {
    const std::string version = "2026-01-01T00.00.00.000Z-" + std::to_string(round);
    std::atomic<int> ready{0};
    std::atomic<int> won{0};
    std::atomic<int> refused{0};
    std::atomic<int> winner{-1};
    std::vector<std::thread> threads;
    for (int writer = 0; writer < kWriters; ++writer) {
      threads.emplace_back([&, writer] {
        TextDataset dataset(dir / "race.txt", Versioning{true, "", version});
        ready.fetch_add(1);
        while (ready.load() < kWriters) {
          std::this_thread::yield();
        }
        try {
          dataset.save(Value::of(std::string(1000, static_cast<char>('a' + writer))));
          won.fetch_add(1);
          winner.store(writer);
        } catch (const DatasetError& error) {
          EXPECT_THAT(error.what(), HasSubstr("already exists"));
          refused.fetch_add(1);
        }
      });
    }
    for (auto& thread : threads) {
      thread.join();
    }
    ASSERT_EQ(won.load(), 1) << "round " << round;
    EXPECT_EQ(refused.load(), kWriters - 1);
    EXPECT_EQ(read_file(dir / "race.txt" / version / "race.txt"),
              std::string(1000, static_cast<char>('a' + winner.load())));
  }
}

TEST_F(FileDatasets, AFailedRenameSaysWhy) {
  dir.write("target/inside.txt", "x");  // a non-empty folder where the file should go
  EXPECT_THAT([&] { write_file_atomically(dir / "target", "data"); },
              ThrowsMessage<DatasetError>(
                  AllOf(HasSubstr("rename failed: Is a directory"), Not(HasSubstr("Success")))));
}

TEST_F(FileDatasets, AFilepathThatIsAFolderIsReportedAsSuch) {
  fs::create_directories(dir / "data/x.csv");
  for (const fs::path& path : {dir / "data/x.csv", dir / "data"}) {
    EXPECT_THAT([&] { CSVDataset(path).load(); },
                ThrowsMessage<DatasetError>(
                    HasSubstr(fmt::format("'{}' is a directory, not a file", path.string()))));
  }
}

// A header around `payload` with a valid checksum, as BinaryDataset writes it.
std::string framed(std::string_view codec, std::string_view payload) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char byte : payload) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;
  }
  std::string bytes = "SLUICEB1";
  auto append = [&bytes](auto number) {
    bytes.append(reinterpret_cast<const char*>(&number), sizeof number);
  };
  append(static_cast<std::uint32_t>(codec.size()));
  bytes += codec;
  append(static_cast<std::uint64_t>(payload.size()));
  append(hash);
  bytes += payload;
  return bytes;
}

std::string u64_bytes(std::uint64_t number) {
  return std::string(reinterpret_cast<const char*>(&number), sizeof number);
}

TEST_F(FileDatasets, HugeCountsInAFileWithAValidChecksumAreCorruptNotAnAllocation) {
  const std::uint64_t huge = std::uint64_t{1} << 61;  // times 8 bytes wraps to 0
  const std::vector<std::pair<std::string, std::string>> crafted{
      {"table", u64_bytes(1) + u64_bytes(huge) + u64_bytes(1) + "x" + '\0'},  // doubles
      {"table", u64_bytes(1) + u64_bytes(huge) + u64_bytes(1) + "x" + '\2'},  // strings
      {"table", u64_bytes(huge) + u64_bytes(0)},
      {"table", u64_bytes(0) + u64_bytes(huge)},
      {"vector<double>", u64_bytes(huge)},
      {"vector<int64>", u64_bytes(~std::uint64_t{0})},
      {"params", std::string(1, '\5') + u64_bytes(huge)},  // a list
      {"params", std::string(1, '\6') + u64_bytes(huge)},  // a map
  };
  for (const auto& [codec, payload] : crafted) {
    dir.write("crafted.bin", framed(codec, payload));
    EXPECT_THAT([&] { BinaryDataset(dir / "crafted.bin", codecs).load(); },
                ThrowsMessage<DatasetError>(HasSubstr("is corrupt")))
        << codec;
  }
}

TEST_F(FileDatasets, ACorruptCodecNameIsEscapedAndCalledCorrupt) {
  dir.write("name.bin", framed(std::string("ta\x01\xffle\n", 7), ""));
  EXPECT_THAT(
      [&] { BinaryDataset(dir / "name.bin", codecs).load(); },
      ThrowsMessage<DatasetError>(AllOf(
          HasSubstr("is corrupt"), HasSubstr("\"ta\\x01\\xffle\\x0a\""), Not(HasSubstr("\x01")))));
}

TEST_F(FileDatasets, AnUnversionedFileIsClaimedAgainstOtherProcesses) {
  TextDataset mine(dir / "shared.txt", Versioning{false, "", "run-A"});
  mine.save(Value::of(std::string("mine")));
  TextDataset same_process(dir / "shared.txt", Versioning{false, "", "run-B"});
  same_process.save(Value::of(std::string("again")));  // one process: no conflict
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    std::string message = "saved";
    try {
      TextDataset theirs(dir / "shared.txt", Versioning{false, "", "run-C"});
      theirs.save(Value::of(std::string("theirs")));
    } catch (const std::exception& error) {
      message = error.what();
    }
    [[maybe_unused]] const auto written = ::write(pipe_fds[1], message.data(), message.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string message;
  char buffer[1024];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) {
    message.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_THAT(message, AllOf(HasSubstr("cannot save"), HasSubstr("shared.txt"),
                             HasSubstr(fmt::format("run run-A (pid {})", ::getpid())),
                             HasSubstr("versioned: true")));
  EXPECT_EQ(read_file(dir / "shared.txt"), "again");
}

TEST(CachedDataset, LoadsAfterASaveComeFromMemory) {
  auto inner = std::make_shared<testing::RecordingDataset>();
  CachedDataset cached(inner);
  const Value value = Value::of(std::string("x"));
  cached.save(value);
  EXPECT_EQ(inner->saves, 1);  // written through
  EXPECT_TRUE(cached.load().same_data(value));
  EXPECT_TRUE(cached.load().same_data(value));
  EXPECT_EQ(inner->loads, 0);
  EXPECT_FALSE(cached.is_ephemeral());
  cached.release();
  EXPECT_FALSE(cached.is_cached());
  EXPECT_EQ(inner->releases, 1);
  cached.load();
  EXPECT_EQ(inner->loads, 1);
  cached.load();
  EXPECT_EQ(inner->loads, 1);
}

TEST(CachedDataset, AFailedSaveCachesNothing) {
  auto inner = std::make_shared<testing::RecordingDataset>();
  inner->fail_save = true;
  CachedDataset cached(inner);
  EXPECT_THROW(cached.save(Value::of(1)), std::runtime_error);
  EXPECT_FALSE(cached.is_cached());
}

}  // namespace
}  // namespace sluice
