#include "slowfs_mount.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sluice/core/error.hpp>

#include "slowfs.hpp"

namespace sluice::cli {

namespace fs = std::filesystem;

namespace {

std::string microseconds(Clock::duration duration) {
  return fmt::format("{}us",
                     std::chrono::duration_cast<std::chrono::microseconds>(duration).count());
}

std::string file_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  while (!all.empty() && (all.back() == '\n' || all.back() == ' ')) {
    all.pop_back();
  }
  return all;
}

void lazy_unmount(const fs::path& mountpoint) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    ::execlp("fusermount3", "fusermount3", "-u", "-z", mountpoint.c_str(), nullptr);
    ::_exit(127);
  }
  if (pid > 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
}

}  // namespace

SlowfsMount::SlowfsMount(const bench::StorageProfile& profile) {
  static int counter = 0;
  const std::string name = fmt::format("sluice-slowfs-{}-{}", ::getpid(), ++counter);
  std::error_code error;
  root_ = fs::temp_directory_path() / name;
  fs::path backing_parent = root_;
  if (fs::is_directory("/dev/shm", error)) {
    backing_parent = fs::path("/dev/shm") / name;
  }
  mountpoint_ = root_ / "mnt";
  backing_ = backing_parent / "backing";
  log_ = root_ / "slowfs.log";
  fs::create_directories(mountpoint_);
  fs::create_directories(backing_);

  const fs::path self = fs::read_symlink("/proc/self/exe", error);
  if (error) {
    throw Error(
        fmt::format("--storage slowfs: cannot find the sluice binary to start "
                    "`sluice slowfs` with (/proc/self/exe: {})",
                    error.message()));
  }
  std::vector<std::string> arguments = {self.string(),     "slowfs",
                                        "--foreground",    mountpoint_.string(),
                                        "--backing",       backing_.string(),
                                        "--read-latency",  microseconds(profile.read_latency),
                                        "--write-latency", microseconds(profile.write_latency)};
  if (profile.bandwidth > 0) {
    arguments.insert(arguments.end(), {"--bandwidth", fmt::format("{:.0f}/s", profile.bandwidth)});
  }
  if (profile.jitter > Clock::duration::zero()) {
    arguments.insert(arguments.end(), {"--jitter", microseconds(profile.jitter)});
  }
  if (profile.failure_rate > 0) {
    arguments.insert(arguments.end(), {"--failure-rate", fmt::format("{}", profile.failure_rate),
                                       "--seed", fmt::format("{}", profile.seed)});
  }
  std::vector<char*> argv;
  for (auto& argument : arguments) {
    argv.push_back(argument.data());
  }
  argv.push_back(nullptr);

  child_ = ::fork();
  if (child_ < 0) {
    throw Error("--storage slowfs: cannot start `sluice slowfs` (fork failed)");
  }
  if (child_ == 0) {
    // The filesystem ends (and unmounts) with the bench, also when the bench is killed.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    const int log = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log >= 0) {
      ::dup2(log, STDOUT_FILENO);
      ::dup2(log, STDERR_FILENO);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!!slowfs::mounted_type(mountpoint_).empty()) {
    int status = 0;
    if (::waitpid(child_, &status, WNOHANG) == child_) {
      child_ = -1;
      const std::string said = file_text(log_);
      stop();
      throw Error(fmt::format(
          "--storage slowfs: `sluice slowfs` exited before its filesystem was mounted{}{}; "
          "check that FUSE works here (/dev/fuse, the fuse3 package's fusermount3), or drop "
          "--storage slowfs to simulate storage",
          said.empty() ? "" : ": ", said));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      const std::string said = file_text(log_);
      stop();
      throw Error(
          fmt::format("--storage slowfs: the filesystem was not mounted at {} within 10 s{}{}",
                      mountpoint_.string(), said.empty() ? "" : "; it said: ", said));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

SlowfsMount::~SlowfsMount() {
  stop();
}

void SlowfsMount::stop() noexcept {
  if (child_ > 0) {
    ::kill(child_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (::waitpid(child_, &status, WNOHANG) != child_) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(child_, SIGKILL);
        ::waitpid(child_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    child_ = -1;
  }
  if (!mountpoint_.empty() && !slowfs::mounted_type(mountpoint_).empty()) {
    lazy_unmount(mountpoint_);
  }
  std::error_code ignored;
  if (!backing_.empty()) {
    fs::remove_all(backing_.parent_path(), ignored);
  }
  if (!root_.empty()) {
    fs::remove_all(root_, ignored);
  }
}

}  // namespace sluice::cli
