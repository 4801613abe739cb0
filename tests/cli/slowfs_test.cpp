// `sluice slowfs`: a real FUSE mount over a scratch folder. Each test starts the command itself,
// waits for its mount in /proc/self/mounts, and stops and unmounts it at the end, also when the
// test fails. Without FUSE (/dev/fuse, fusermount3) the tests are skipped loudly, and fail in CI.

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/fuse.hpp"
#include "support/sluice_cli.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using sluice::testing::TempDir;
using std::chrono::milliseconds;
using std::chrono::steady_clock;
using ::testing::HasSubstr;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

bool mounted(const fs::path& mountpoint) {
  std::ifstream mounts("/proc/self/mounts");
  std::string device;
  std::string target;
  std::string rest;
  while (mounts >> device >> target && std::getline(mounts, rest)) {
    if (target == mountpoint.string()) {
      return true;
    }
  }
  return false;
}

// Why FUSE cannot be used here, or empty.
// A `sluice slowfs --foreground` run: started by start(), stopped (SIGTERM, then SIGKILL) and
// its mount removed in the destructor.
class SlowFsProcess {
 public:
  SlowFsProcess(fs::path mountpoint, fs::path backing, fs::path log)
      : mountpoint_(std::move(mountpoint)), backing_(std::move(backing)), log_(std::move(log)) {}
  ~SlowFsProcess() {
    stop();
    if (mounted(mountpoint_)) {
      ::umount2(mountpoint_.c_str(), MNT_DETACH);
    }
    if (mounted(mountpoint_)) {
      std::system(("fusermount3 -u -z '" + mountpoint_.string() + "' 2>/dev/null").c_str());
    }
  }
  SlowFsProcess(const SlowFsProcess&) = delete;
  SlowFsProcess& operator=(const SlowFsProcess&) = delete;

  // Starts it with `options` and waits (10 s at most) for the mount; false when it did not
  // come (the log says why).
  bool start(const std::vector<std::string>& options) {
    std::vector<std::string> arguments = {SLUICE_BINARY, "slowfs",          mountpoint_.string(),
                                          "--backing",   backing_.string(), "--foreground"};
    arguments.insert(arguments.end(), options.begin(), options.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      // A test process killed (a ctest timeout) still stops it: SIGTERM unmounts.
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);
      const int log = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(log, 1);
      ::dup2(log, 2);
      std::vector<char*> argv;
      for (std::string& argument : arguments) {
        argv.push_back(argument.data());
      }
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    const auto deadline = steady_clock::now() + std::chrono::seconds(10);
    // Mounted, and answering: a stale mount at the same place (ENOTCONN) does not count.
    while (steady_clock::now() < deadline) {
      struct stat answer {};
      if (mounted(mountpoint_) && ::stat(mountpoint_.c_str(), &answer) == 0) {
        return true;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
    return false;
  }

  // SIGTERM, then SIGKILL after 10 s; the exit code, or -1 when a signal ended it.
  int stop() {
    if (pid_ <= 0) {
      return exit_code_;
    }
    ::kill(pid_, SIGTERM);
    int status = 0;
    const auto deadline = steady_clock::now() + std::chrono::seconds(10);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(milliseconds(10));
    }
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_code_;
  }

  // SIGKILL, as `kill -9` does: the mount stays behind, stale.
  void kill9() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::string log() const { return read_file(log_); }

 private:
  fs::path mountpoint_;
  fs::path backing_;
  fs::path log_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

class SlowFsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SLUICE_REQUIRE_FUSE();
    fs::create_directories(mountpoint_);
    fs::create_directories(backing_);
  }

  // A run over backing_ at mountpoint_, mounted; the test stops when it did not mount.
  std::unique_ptr<SlowFsProcess> mount(const std::vector<std::string>& options = {}) {
    auto run = std::make_unique<SlowFsProcess>(
        mountpoint_, backing_, dir_ / ("slowfs-" + std::to_string(runs_++) + ".log"));
    const bool started = run->start(options);
    EXPECT_TRUE(started) << "sluice slowfs did not mount " << mountpoint_ << ":\n" << run->log();
    return started ? std::move(run) : nullptr;
  }

  TempDir dir_;
  fs::path mountpoint_ = dir_ / "mnt";
  fs::path backing_ = dir_ / "backing";
  int runs_ = 0;
};

std::string random_bytes(std::size_t size) {
  std::mt19937_64 random(16);
  std::string bytes(size, '\0');
  for (char& byte : bytes) {
    byte = static_cast<char>(random());
  }
  return bytes;
}

double seconds_since(steady_clock::time_point start) {
  return std::chrono::duration<double>(steady_clock::now() - start).count();
}

TEST_F(SlowFsTest, FilesWrittenThroughTheMountReadBackAndLandInTheBackingFolder) {
  auto run = mount();
  ASSERT_TRUE(run);
  write_file(mountpoint_ / "hello.txt", "hello, slow world\n");
  EXPECT_EQ(read_file(mountpoint_ / "hello.txt"), "hello, slow world\n");
  EXPECT_EQ(read_file(backing_ / "hello.txt"), "hello, slow world\n");

  const std::string big = random_bytes(8 << 20);
  write_file(mountpoint_ / "big.bin", big);
  EXPECT_EQ(fs::file_size(mountpoint_ / "big.bin"), big.size());
  EXPECT_TRUE(read_file(mountpoint_ / "big.bin") == big) << "8 MiB read back differ";
  EXPECT_TRUE(read_file(backing_ / "big.bin") == big) << "8 MiB in the backing folder differ";

  fs::create_directories(mountpoint_ / "sub/deeper");
  EXPECT_TRUE(fs::is_directory(backing_ / "sub/deeper"));
  fs::rename(mountpoint_ / "hello.txt", mountpoint_ / "sub/renamed.txt");
  EXPECT_FALSE(fs::exists(backing_ / "hello.txt"));
  EXPECT_EQ(read_file(backing_ / "sub/renamed.txt"), "hello, slow world\n");
  std::vector<std::string> listed;
  for (const auto& entry : fs::directory_iterator(mountpoint_ / "sub")) {
    listed.push_back(entry.path().filename().string());
  }
  EXPECT_THAT(listed, ::testing::UnorderedElementsAre("deeper", "renamed.txt"));
  fs::remove(mountpoint_ / "sub/renamed.txt");
  EXPECT_FALSE(fs::exists(backing_ / "sub/renamed.txt"));
  fs::remove(mountpoint_ / "sub/deeper");
  EXPECT_FALSE(fs::exists(backing_ / "sub/deeper"));

  fs::resize_file(mountpoint_ / "big.bin", 100);
  EXPECT_EQ(fs::file_size(backing_ / "big.bin"), 100U);
  fs::permissions(mountpoint_ / "big.bin", fs::perms::owner_read);
  EXPECT_EQ(fs::status(backing_ / "big.bin").permissions(), fs::perms::owner_read);

  const auto second = testing::run_cli(SLUICE_BINARY, dir_.path(), "slowfs mnt --backing backing");
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.output, HasSubstr("already holds a FUSE mount"));

  EXPECT_EQ(run->stop(), 0) << run->log();
  EXPECT_FALSE(mounted(mountpoint_)) << "SIGTERM left the mount behind";
  EXPECT_THAT(run->log(),
              HasSubstr("slowfs: mounted " + mountpoint_.string() + " over " + backing_.string()));
}

// Opens `path`, reads one byte and closes it; the seconds the open and the read took.
std::pair<double, double> open_and_read_one_byte(const fs::path& path) {
  const auto start = steady_clock::now();
  const int file = ::open(path.c_str(), O_RDONLY);
  const double opened = seconds_since(start);
  char byte = 0;
  const auto reading = steady_clock::now();
  EXPECT_EQ(::read(file, &byte, 1), 1);
  const double read = seconds_since(reading);
  ::close(file);
  return {opened, read};
}

TEST_F(SlowFsTest, ChargesTheReadLatencyPerFileReadEvenForAFileReadBefore) {
  write_file(backing_ / "data.bin", random_bytes(4096));
  auto run = mount({"--read-latency", "50ms"});
  ASSERT_TRUE(run);
  for (int time = 1; time <= 2; ++time) {  // the second time pays again: no page cache
    const auto [opened, read] = open_and_read_one_byte(mountpoint_ / "data.bin");
    EXPECT_GE(opened + read, 0.045) << "open and first read " << time;
  }
}

TEST_F(SlowFsTest, ManyReadsWaitTheirLatencyAtTheSameTime) {
  // More reads at once than libfuse serves by default (10 threads): as remote storage serves
  // them, they all wait the latency together rather than in turns (the first bench on slowfs
  // found a fanout's eleventh request waiting a latency more).
  constexpr int kReads = 24;
  for (int i = 0; i < kReads; ++i) {
    write_file(backing_ / ("data" + std::to_string(i) + ".bin"), random_bytes(64));
  }
  auto run = mount({"--read-latency", "500ms"});
  ASSERT_TRUE(run);
  const auto start = steady_clock::now();
  std::vector<std::thread> readers;
  for (int i = 0; i < kReads; ++i) {
    readers.emplace_back(
        [this, i] { open_and_read_one_byte(mountpoint_ / ("data" + std::to_string(i) + ".bin")); });
  }
  for (auto& reader : readers) {
    reader.join();
  }
  const double took = seconds_since(start);
  EXPECT_GE(took, 0.49);
  // In turns of 10, the 24 would take three latencies (1.5 s).
  EXPECT_LT(took, 1.2) << kReads << " reads at once waited in turns";
}

TEST_F(SlowFsTest, PerRequestChargesTheLatencyPerOpenAndPerRead) {
  write_file(backing_ / "data.bin", random_bytes(4096));
  auto run = mount({"--read-latency", "50ms", "--per-request"});
  ASSERT_TRUE(run);
  for (int time = 1; time <= 2; ++time) {
    const auto [opened, read] = open_and_read_one_byte(mountpoint_ / "data.bin");
    EXPECT_GE(opened, 0.045) << "open " << time << " (the open latency is the read latency's)";
    EXPECT_GE(read, 0.045) << "read " << time;
  }
}

TEST_F(SlowFsTest, ChargesTheWriteLatencyPerFileWritten) {
  auto run = mount({"--read-latency", "0", "--write-latency", "50ms"});
  ASSERT_TRUE(run);
  for (int time = 1; time <= 2; ++time) {  // each file written (opened again) pays again
    const int file = ::open((mountpoint_ / "written.bin").c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(file, 0);
    const auto start = steady_clock::now();
    EXPECT_EQ(::pwrite(file, "x", 1, time), 1);
    EXPECT_GE(seconds_since(start), 0.045) << "first write of opening " << time;
    EXPECT_EQ(::fsync(file), 0);
    ::close(file);
  }
  EXPECT_EQ(fs::file_size(backing_ / "written.bin"), 3U);
}

TEST_F(SlowFsTest, PerRequestChargesTheWriteLatencyPerWriteAndPerFsync) {
  auto run = mount({"--read-latency", "0", "--write-latency", "50ms", "--per-request"});
  ASSERT_TRUE(run);
  const int file = ::open((mountpoint_ / "written.bin").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(file, 0);
  for (int time = 1; time <= 2; ++time) {
    const auto start = steady_clock::now();
    EXPECT_EQ(::pwrite(file, "x", 1, time), 1);
    EXPECT_GE(seconds_since(start), 0.045) << "write " << time;
  }
  const auto syncing = steady_clock::now();
  EXPECT_EQ(::fsync(file), 0);
  EXPECT_GE(seconds_since(syncing), 0.045) << "fsync";
  ::close(file);
  EXPECT_EQ(fs::file_size(backing_ / "written.bin"), 3U);
}

TEST_F(SlowFsTest, ChargesTheBandwidthPerByte) {
  write_file(backing_ / "two.bin", random_bytes(2 << 20));
  auto run = mount({"--bandwidth", "10MB/s"});
  ASSERT_TRUE(run);
  const auto start = steady_clock::now();
  EXPECT_EQ(read_file(mountpoint_ / "two.bin").size(), 2U << 20);
  EXPECT_GE(seconds_since(start), 0.19) << "2 MiB at 10 MB/s take 0.21 s";
}

TEST_F(SlowFsTest, AFailureRateOfOneFailsReadsAndWritesWithEioAndLeavesTheFilesAlone) {
  write_file(backing_ / "kept.txt", "original");
  auto run = mount({"--failure-rate", "1"});
  ASSERT_TRUE(run);
  const int file = ::open((mountpoint_ / "kept.txt").c_str(), O_RDWR);
  ASSERT_GE(file, 0) << "opens do not fail";
  char buffer[16];
  EXPECT_EQ(::read(file, buffer, sizeof(buffer)), -1);
  EXPECT_EQ(errno, EIO);
  EXPECT_EQ(::pwrite(file, "changed", 7, 0), -1);
  EXPECT_EQ(errno, EIO);
  ::close(file);
  EXPECT_EQ(read_file(backing_ / "kept.txt"), "original");
}

TEST_F(SlowFsTest, SigtermEndsARunWithAReadInFlightAndUnmounts) {
  write_file(backing_ / "far.txt", "far away");
  auto run = mount({"--read-latency", "30s", "--open-latency", "0"});
  ASSERT_TRUE(run);
  std::thread reader([&] {
    const int file = ::open((mountpoint_ / "far.txt").c_str(), O_RDONLY);
    char buffer[16];
    if (file >= 0) {
      (void)::read(file, buffer, sizeof(buffer));  // data, or ENOTCONN once unmounted
      ::close(file);
    }
  });
  std::this_thread::sleep_for(milliseconds(300));
  // Not held up by the 30 s read: stop() would fall back to SIGKILL after 10 s (exit -1).
  EXPECT_EQ(run->stop(), 0) << run->log();
  reader.join();
  EXPECT_FALSE(mounted(mountpoint_));
  EXPECT_THAT(run->log(), HasSubstr("slowfs: unmounted " + mountpoint_.string()));
}

TEST_F(SlowFsTest, MountsAgainOverTheStaleMountOfAKilledRun) {
  write_file(backing_ / "kept.txt", "still here");
  auto killed = mount();
  ASSERT_TRUE(killed);
  const int open_file = ::open((mountpoint_ / "kept.txt").c_str(), O_RDONLY);
  ASSERT_GE(open_file, 0);
  killed->kill9();
  struct stat status {};
  EXPECT_EQ(::stat(mountpoint_.c_str(), &status), -1);
  EXPECT_EQ(errno, ENOTCONN) << "a killed run leaves a stale mount";

  auto again = mount();
  ASSERT_TRUE(again);
  EXPECT_THAT(again->log(), HasSubstr("stale mount"));
  EXPECT_EQ(read_file(mountpoint_ / "kept.txt"), "still here");
  ::close(open_file);
  EXPECT_EQ(again->stop(), 0) << again->log();
  EXPECT_FALSE(mounted(mountpoint_));
}

TEST_F(SlowFsTest, WithoutForegroundTheCommandReturnsOnceMountedAndUnmountingEndsIt) {
  struct Unmount {  // also when the test fails: an unmounted daemon ends by itself
    fs::path mountpoint;
    ~Unmount() {
      if (mounted(mountpoint)) {
        ::umount2(mountpoint.c_str(), MNT_DETACH);
      }
    }
  } unmount{mountpoint_};
  const auto result = testing::run_cli(SLUICE_BINARY, dir_.path(), "slowfs mnt --backing backing");
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("slowfs: mounted " + mountpoint_.string()));
  ASSERT_TRUE(mounted(mountpoint_)) << "the command returned before its mount was in place";
  write_file(mountpoint_ / "detached.txt", "served");
  EXPECT_EQ(read_file(backing_ / "detached.txt"), "served");
  EXPECT_EQ(std::system(("fusermount3 -u '" + mountpoint_.string() + "'").c_str()), 0);
  EXPECT_FALSE(mounted(mountpoint_));
}

// Bad options: exit code 1, as every sluice command, and the option named.
class SlowFsOptionsTest : public ::testing::Test {
 protected:
  testing::CliResult slowfs(const std::string& arguments) {
    return testing::run_cli(SLUICE_BINARY, dir_.path(), "slowfs " + arguments);
  }
  void SetUp() override {
    fs::create_directories(dir_ / "mnt");
    fs::create_directories(dir_ / "backing");
  }
  TempDir dir_;
};

TEST_F(SlowFsOptionsTest, AMissingBackingFolderIsNamed) {
  const auto result = slowfs("mnt --backing nowhere --foreground");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("--backing nowhere does not exist"));
  EXPECT_THAT(slowfs("mnt --foreground").output, HasSubstr("--backing"));
}

TEST_F(SlowFsOptionsTest, AMountpointThatIsNotAFolderIsNamed) {
  dir_.write("file", "x");
  auto result = slowfs("file --backing backing --foreground");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output,
              HasSubstr("mountpoint " + (dir_ / "file").string() + " is not a folder"));
  result = slowfs("absent --backing backing --foreground");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("does not exist; give an existing folder"));
}

TEST_F(SlowFsOptionsTest, NegativeLatenciesAreRefused) {
  for (const char* option : {"--read-latency", "--write-latency", "--open-latency"}) {
    const auto result = slowfs(std::string("mnt --backing backing ") + option + "=-5ms");
    EXPECT_EQ(result.exit_code, 1) << option;
    EXPECT_THAT(result.output, HasSubstr(std::string(option) + " '-5ms' is negative")) << option;
  }
  const auto result = slowfs("mnt --backing backing --read-latency 5 ");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("--read-latency '5' is not a duration"));
}

TEST_F(SlowFsOptionsTest, FailureRatesOutsideZeroToOneAndBadJittersAreRefused) {
  auto result = slowfs("mnt --backing backing --failure-rate 1.5");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("--failure-rate 1.5 is outside 0 to 1"));
  result = slowfs("mnt --backing backing --failure-rate=-0.1");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("--failure-rate -0.1 is outside 0 to 1"));
  result = slowfs("mnt --backing backing --jitter 150%");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("--jitter '150%' is outside 0% to 100%"));
  result = slowfs("mnt --backing backing --bandwidth fast");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("--bandwidth"));
}

// A machine without /dev/fuse: the command runs in a mount namespace of its own whose /dev is an
// empty tmpfs (root only; the checkout may sit in a folder no other user may enter, so running
// as another user would test that instead).
TEST_F(SlowFsOptionsTest, AMachineWithoutDevFuseIsToldFuseIsNotAvailable) {
  if (::geteuid() != 0 || std::system("command -v unshare >/dev/null 2>&1") != 0) {
    if (std::getenv("CI") != nullptr) {
      FAIL() << "NOT RUN IN CI: needs root and unshare (util-linux) to hide /dev/fuse";
    }
    GTEST_SKIP() << "SKIPPED: needs root and unshare (util-linux) to hide /dev/fuse";
  }
  const auto result =
      testing::run_cli("unshare", dir_.path(),
                       std::string("--mount sh -c \"mount -t tmpfs none /dev && exec '") +
                           SLUICE_BINARY + "' slowfs mnt --backing backing --foreground\"");
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_THAT(result.output, HasSubstr("FUSE is not available: /dev/fuse is missing"));
}

}  // namespace
}  // namespace sluice
