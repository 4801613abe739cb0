// `sluice slowfs`: a FUSE 3 passthrough to a local folder that sleeps in its handlers, so a file
// dataset on it sees the latency and bandwidth of remote storage. Every file is opened with
// direct_io and attributes are never cached: a second read of a file pays again, as it would
// over the network. The loop is multithreaded, so concurrent requests overlap.

#define FUSE_USE_VERSION 312

#include "slowfs.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_set>

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <fuse3/fuse.h>
#include <fuse3/fuse_lowlevel.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sluice/core/error.hpp>

namespace sluice::slowfs {
namespace fs = std::filesystem;
namespace {

using Seconds = std::chrono::duration<double>;

// Requests served (and delayed) at the same time at most: one thread each.
constexpr unsigned kMaxRequestsAtOnce = 1024;

// The delays of one mount; shared by the handler threads.
class Charges {
 public:
  explicit Charges(const SlowFsProfile& profile) : profile_(profile), random_(profile.seed) {}

  // Sleeps `latency` plus `bytes` at the bandwidth, varied by the jitter. True when the
  // request is to fail (only when `may_fail`).
  bool charge(std::chrono::nanoseconds latency, std::size_t bytes, bool may_fail) {
    double seconds = Seconds(latency).count();
    if (profile_.bandwidth > 0) {
      seconds += static_cast<double>(bytes) / profile_.bandwidth;
    }
    double factor = 1;
    bool fails = false;
    {
      const std::lock_guard lock(mutex_);
      if (profile_.jitter > 0) {
        factor = std::uniform_real_distribution<double>(1 - profile_.jitter,
                                                        1 + profile_.jitter)(random_);
      }
      if (profile_.jitter_up_to.count() > 0 && seconds > 0) {
        seconds += std::uniform_real_distribution<double>(
            0, Seconds(profile_.jitter_up_to).count())(random_);
      }
      if (may_fail && profile_.failure_rate > 0) {
        fails = std::uniform_real_distribution<double>(0, 1)(random_) < profile_.failure_rate;
      }
    }
    if (seconds > 0) {
      sleep(std::chrono::duration_cast<std::chrono::nanoseconds>(Seconds(seconds * factor)));
    }
    return fails;
  }

  // Once `session` has exited (SIGINT, SIGTERM), delays end early: a 10 s latency does not
  // hold up the unmount.
  void stop_with(fuse_session* session) { session_ = session; }

  const SlowFsProfile& profile() const { return profile_; }

 private:
  // In slices, so that the end of the session is seen within one.
  void sleep(std::chrono::nanoseconds delay) const {
    constexpr auto slice = std::chrono::milliseconds(50);
    const auto deadline = std::chrono::steady_clock::now() + delay;
    for (auto now = std::chrono::steady_clock::now(); now < deadline;
         now = std::chrono::steady_clock::now()) {
      fuse_session* session = session_;
      if (session != nullptr && fuse_session_exited(session) != 0) {
        return;
      }
      std::this_thread::sleep_until(std::min(deadline, now + slice));
    }
  }

  SlowFsProfile profile_;
  std::atomic<fuse_session*> session_{nullptr};
  std::mutex mutex_;
  std::mt19937_64 random_;
};

// An open file: its backing descriptor, and whether its read and write latencies were charged
// (once per file access, unless per_request).
struct Handle {
  explicit Handle(int fd) : descriptor(fd) {}
  int descriptor;
  std::atomic<bool> read_charged{false};
  std::atomic<bool> write_charged{false};
};

Handle& handle_of(const fuse_file_info* file) {
  return *reinterpret_cast<Handle*>(static_cast<std::uintptr_t>(file->fh));
}

int descriptor_of(const fuse_file_info* file) {
  return handle_of(file).descriptor;
}

// Whether a read or write request on an open file pays its latency (and may fail): every
// request, or only the first of its kind on the open file.
bool charged_access(const Charges& charges, std::atomic<bool>& charged) {
  return !charged.exchange(true) || charges.profile().per_request;
}

// What the handlers reach through fuse_get_context()->private_data.
struct State {
  State(int folder, const SlowFsProfile& profile) : backing(folder), charges(profile) {}
  ~State() {
    // Files still open at the unmount (a run stopped mid-read) were never released.
    for (Handle* handle : open_files) {
      ::close(handle->descriptor);
      delete handle;
    }
    if (backing >= 0) {
      ::close(backing);
    }
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  Handle* open_file(int descriptor) {
    auto handle = std::make_unique<Handle>(descriptor);
    const std::lock_guard lock(open_files_mutex);
    open_files.insert(handle.get());
    return handle.release();
  }
  void close_file(Handle* handle) {
    {
      const std::lock_guard lock(open_files_mutex);
      open_files.erase(handle);
    }
    ::close(handle->descriptor);
    delete handle;
  }

  int backing;  // the backing folder, which every path is relative to
  Charges charges;
  std::mutex open_files_mutex;
  std::unordered_set<Handle*> open_files;
};

State& state() {
  return *static_cast<State*>(fuse_get_context()->private_data);
}

// FUSE paths start with '/'; the *at() calls take them relative to the backing folder.
const char* relative(const char* path) {
  return path[1] == '\0' ? "." : path + 1;
}

int result(int value) {
  return value < 0 ? -errno : 0;
}

void* slowfs_init(fuse_conn_info* /*connection*/, fuse_config* config) {
  // Remote storage: nothing cached by the kernel, neither data nor attributes nor names.
  config->direct_io = 1;
  config->kernel_cache = 0;
  config->auto_cache = 0;
  config->attr_timeout = 0;
  config->entry_timeout = 0;
  config->negative_timeout = 0;
  // Open files are read through their descriptors, so an unlinked open file needs no
  // .fuse_hidden copy, and handlers need no path for it.
  config->hard_remove = 1;
  config->nullpath_ok = 1;
  return fuse_get_context()->private_data;
}

int slowfs_getattr(const char* path, struct stat* status, fuse_file_info* file) {
  if (file != nullptr) {
    return result(::fstat(descriptor_of(file), status));
  }
  return result(::fstatat(state().backing, relative(path), status, AT_SYMLINK_NOFOLLOW));
}

int slowfs_access(const char* path, int mask) {
  return result(::faccessat(state().backing, relative(path), mask, 0));
}

// Folders stay open from opendir to releasedir: with nullpath_ok, readdir and fsyncdir get no
// path.
DIR* folder_of(const fuse_file_info* file) {
  return reinterpret_cast<DIR*>(static_cast<std::uintptr_t>(file->fh));
}

int slowfs_opendir(const char* path, fuse_file_info* file) {
  const int folder = ::openat(state().backing, relative(path), O_RDONLY | O_DIRECTORY);
  if (folder < 0) {
    return -errno;
  }
  DIR* entries = ::fdopendir(folder);
  if (entries == nullptr) {
    const int error = errno;
    ::close(folder);
    return -error;
  }
  file->fh = reinterpret_cast<std::uintptr_t>(entries);
  return 0;
}

int slowfs_readdir(const char* /*path*/, void* buffer, fuse_fill_dir_t fill, off_t /*offset*/,
                   fuse_file_info* file, fuse_readdir_flags /*flags*/) {
  DIR* entries = folder_of(file);
  ::rewinddir(entries);  // all entries at once (offset 0 to fill): each call lists them all
  while (const dirent* entry = ::readdir(entries)) {
    struct stat status {};
    status.st_ino = entry->d_ino;
    status.st_mode = static_cast<mode_t>(DTTOIF(entry->d_type));
    if (fill(buffer, entry->d_name, &status, 0, static_cast<fuse_fill_dir_flags>(0)) != 0) {
      break;
    }
  }
  return 0;
}

int slowfs_releasedir(const char* /*path*/, fuse_file_info* file) {
  ::closedir(folder_of(file));
  return 0;
}

// Files are never cached by the kernel: every read goes to read() below.
void uncached(fuse_file_info* file, int descriptor) {
  file->fh = reinterpret_cast<std::uintptr_t>(state().open_file(descriptor));
  file->direct_io = 1;
  file->keep_cache = 0;
}

int slowfs_open(const char* path, fuse_file_info* file) {
  State& fs = state();
  fs.charges.charge(fs.charges.profile().open_latency, 0, false);
  const int descriptor = ::openat(fs.backing, relative(path), file->flags);
  if (descriptor < 0) {
    return -errno;
  }
  uncached(file, descriptor);
  return 0;
}

int slowfs_create(const char* path, mode_t mode, fuse_file_info* file) {
  State& fs = state();
  fs.charges.charge(fs.charges.profile().open_latency, 0, false);
  const int descriptor = ::openat(fs.backing, relative(path), file->flags | O_CREAT, mode);
  if (descriptor < 0) {
    return -errno;
  }
  uncached(file, descriptor);
  return 0;
}

int slowfs_read(const char* /*path*/, char* buffer, size_t size, off_t offset,
                fuse_file_info* file) {
  State& fs = state();
  const ssize_t count = ::pread(descriptor_of(file), buffer, size, offset);
  if (count < 0) {
    return -errno;
  }
  // Failures are drawn per charged access: per request, or once per file read.
  const bool access = charged_access(fs.charges, handle_of(file).read_charged);
  if (fs.charges.charge(access ? fs.charges.profile().read_latency : std::chrono::nanoseconds{0},
                        static_cast<std::size_t>(count), access)) {
    return -EIO;
  }
  return static_cast<int>(count);
}

int slowfs_write(const char* /*path*/, const char* buffer, size_t size, off_t offset,
                 fuse_file_info* file) {
  State& fs = state();
  // A failed write never reaches the backing folder.
  const bool access = charged_access(fs.charges, handle_of(file).write_charged);
  if (fs.charges.charge(access ? fs.charges.profile().write_latency : std::chrono::nanoseconds{0},
                        size, access)) {
    return -EIO;
  }
  const ssize_t count = ::pwrite(descriptor_of(file), buffer, size, offset);
  return count < 0 ? -errno : static_cast<int>(count);
}

int slowfs_release(const char* /*path*/, fuse_file_info* file) {
  state().close_file(&handle_of(file));
  return 0;
}

int slowfs_fsync(const char* /*path*/, int data_only, fuse_file_info* file) {
  State& fs = state();
  if (fs.charges.profile().per_request) {
    fs.charges.charge(fs.charges.profile().write_latency, 0, false);
  }
  const int descriptor = descriptor_of(file);
  return result(data_only != 0 ? ::fdatasync(descriptor) : ::fsync(descriptor));
}

int slowfs_fsyncdir(const char* /*path*/, int /*data_only*/, fuse_file_info* file) {
  State& fs = state();
  if (fs.charges.profile().per_request) {
    fs.charges.charge(fs.charges.profile().write_latency, 0, false);
  }
  return result(::fsync(::dirfd(folder_of(file))));
}

int slowfs_mkdir(const char* path, mode_t mode) {
  return result(::mkdirat(state().backing, relative(path), mode));
}

int slowfs_rmdir(const char* path) {
  return result(::unlinkat(state().backing, relative(path), AT_REMOVEDIR));
}

int slowfs_unlink(const char* path) {
  return result(::unlinkat(state().backing, relative(path), 0));
}

int slowfs_rename(const char* from, const char* to, unsigned int flags) {
  const int backing = state().backing;
  return result(::renameat2(backing, relative(from), backing, relative(to), flags));
}

int slowfs_truncate(const char* path, off_t size, fuse_file_info* file) {
  if (file != nullptr) {
    return result(::ftruncate(descriptor_of(file), size));
  }
  const int descriptor = ::openat(state().backing, relative(path), O_WRONLY);
  if (descriptor < 0) {
    return -errno;
  }
  const int truncated = result(::ftruncate(descriptor, size));
  ::close(descriptor);
  return truncated;
}

int slowfs_utimens(const char* path, const timespec times[2], fuse_file_info* file) {
  if (file != nullptr) {
    return result(::futimens(descriptor_of(file), times));
  }
  return result(::utimensat(state().backing, relative(path), times, AT_SYMLINK_NOFOLLOW));
}

int slowfs_chmod(const char* path, mode_t mode, fuse_file_info* file) {
  if (file != nullptr) {
    return result(::fchmod(descriptor_of(file), mode));
  }
  return result(::fchmodat(state().backing, relative(path), mode, 0));
}

int slowfs_chown(const char* path, uid_t user, gid_t group, fuse_file_info* file) {
  if (file != nullptr) {
    return result(::fchown(descriptor_of(file), user, group));
  }
  return result(::fchownat(state().backing, relative(path), user, group, AT_SYMLINK_NOFOLLOW));
}

int slowfs_statfs(const char* /*path*/, struct statvfs* status) {
  return result(::fstatvfs(state().backing, status));
}

fuse_operations operations() {
  fuse_operations ops{};
  ops.init = slowfs_init;
  ops.getattr = slowfs_getattr;
  ops.access = slowfs_access;
  ops.opendir = slowfs_opendir;
  ops.readdir = slowfs_readdir;
  ops.releasedir = slowfs_releasedir;
  ops.open = slowfs_open;
  ops.create = slowfs_create;
  ops.read = slowfs_read;
  ops.write = slowfs_write;
  ops.release = slowfs_release;
  ops.fsync = slowfs_fsync;
  ops.fsyncdir = slowfs_fsyncdir;
  ops.mkdir = slowfs_mkdir;
  ops.rmdir = slowfs_rmdir;
  ops.unlink = slowfs_unlink;
  ops.rename = slowfs_rename;
  ops.truncate = slowfs_truncate;
  ops.utimens = slowfs_utimens;
  ops.chmod = slowfs_chmod;
  ops.chown = slowfs_chown;
  ops.statfs = slowfs_statfs;
  return ops;
}

// /proc/self/mounts writes spaces, tabs, new lines and backslashes in octal (\040).
std::string unescaped(const std::string& field) {
  std::string text;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      text += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      text += field[i];
    }
  }
  return text;
}

}  // namespace

std::string mounted_type(const fs::path& folder) {
  std::ifstream mounts("/proc/self/mounts");
  std::string device;
  std::string target;
  std::string type;
  std::string rest;
  std::string found;
  while (mounts >> device >> target >> type && std::getline(mounts, rest)) {
    if (unescaped(target) == folder.string()) {
      found = type;  // the last one listed is on top
    }
  }
  return found;
}

namespace {

// The program `name` on the PATH, or empty.
fs::path on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string folders = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= folders.size()) {
    const std::size_t end = std::min(folders.find(':', start), folders.size());
    const fs::path candidate = fs::path(folders.substr(start, end - start)) / name;
    if (end > start && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return {};
}

// FUSE needs /dev/fuse, and fusermount3 to mount and unmount without root.
void check_fuse_available() {
  if (::access("/dev/fuse", R_OK | W_OK) != 0) {
    throw Error(fmt::format(
        "slowfs: FUSE is not available: /dev/fuse {} ({}); load the fuse module (modprobe "
        "fuse), or in a container pass --device /dev/fuse --cap-add SYS_ADMIN",
        errno == ENOENT ? "is missing" : "cannot be opened", std::strerror(errno)));
  }
  if (::geteuid() != 0 && on_path("fusermount3").empty()) {
    throw Error(
        "slowfs: FUSE is not available to this user: fusermount3 is not on the PATH; install "
        "the Debian package fuse3 (apt-get install fuse3)");
  }
}

// Runs `fusermount3 -u -z folder`; true when it succeeded.
bool lazy_fusermount(const fs::path& folder) {
  const pid_t child = ::fork();
  if (child == 0) {
    ::execlp("fusermount3", "fusermount3", "-u", "-z", folder.c_str(), nullptr);
    ::_exit(127);
  }
  int status = 0;
  return child > 0 && ::waitpid(child, &status, 0) == child && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

// A run killed with SIGKILL leaves its mount behind: every access to it fails with ENOTCONN
// until it is unmounted. Detached lazily, so files still open on it do not stop the new mount.
void detach_stale_mount(const fs::path& mountpoint) {
  struct stat status {};
  if (::stat(mountpoint.c_str(), &status) == 0 || (errno != ENOTCONN && errno != ECONNABORTED)) {
    return;
  }
  std::fprintf(stderr,
               "slowfs: %s holds the stale mount of a run that was killed (Transport endpoint "
               "is not connected); unmounting it\n",
               mountpoint.c_str());
  const bool detached = (::geteuid() == 0 && ::umount2(mountpoint.c_str(), MNT_DETACH) == 0) ||
                        lazy_fusermount(mountpoint);
  if (!detached) {
    throw Error(fmt::format(
        "slowfs: the mountpoint {} holds the stale mount of a killed run (Transport endpoint is "
        "not connected) and it could not be unmounted; run `fusermount3 -u -z {}` and retry",
        mountpoint.string(), mountpoint.string()));
  }
}

// The mountpoint as /proc/self/mounts will name it (symbolic links resolved), once checked.
fs::path checked_mountpoint(const fs::path& mountpoint) {
  std::error_code error;
  const fs::file_status status = fs::status(mountpoint, error);
  if (!fs::is_directory(status)) {
    throw ConfigError(fmt::format(
        "slowfs: the mountpoint {} {}; give an existing folder (mkdir -p {})", mountpoint.string(),
        fs::exists(status) ? "is not a folder" : "does not exist", mountpoint.string()));
  }
  const fs::path resolved = fs::canonical(mountpoint);
  if (const std::string type = mounted_type(resolved); type.rfind("fuse", 0) == 0) {
    throw ConfigError(fmt::format(
        "slowfs: {} already holds a FUSE mount ({}; a sluice slowfs still running?); unmount it "
        "first (fusermount3 -u {}) or give another folder",
        resolved.string(), type, resolved.string()));
  }
  return resolved;
}

std::string described(const SlowFsProfile& profile) {
  const auto ms = [](std::chrono::nanoseconds duration) {
    return fmt::format("{:g} ms", std::chrono::duration<double, std::milli>(duration).count());
  };
  return fmt::format(
      "read latency {}, write latency {} ({}), open latency {}, bandwidth {}, jitter {}, failure "
      "rate {:g}",
      ms(profile.read_latency), ms(profile.write_latency),
      profile.per_request ? "per request and fsync" : "per file read or written",
      ms(profile.open_latency),
      profile.bandwidth > 0 ? fmt::format("{:g} MB/s", profile.bandwidth / 1e6) : "unlimited",
      profile.jitter_up_to.count() > 0 ? "up to " + ms(profile.jitter_up_to)
                                       : fmt::format("{:g}%", profile.jitter * 100),
      profile.failure_rate);
}

// A FUSE session: created, mounted, and unmounted and destroyed at scope exit.
class Session {
 public:
  Session(const fuse_operations& ops, State& fs, const fs::path& mountpoint) {
    char program[] = "sluice-slowfs";
    char option[] = "-o";
    char names[] = "fsname=slowfs,subtype=slowfs";
    char* argv[] = {program, option, names, nullptr};
    fuse_args args = FUSE_ARGS_INIT(3, argv);
    fuse_ = fuse_new(&args, &ops, sizeof(ops), &fs);
    fuse_opt_free_args(&args);  // what parsing the options allocated, if anything
    if (fuse_ == nullptr) {
      throw Error("slowfs: libfuse refused to start a filesystem (see its message above)");
    }
    if (fuse_mount(fuse_, mountpoint.c_str()) != 0) {
      fuse_destroy(fuse_);
      throw Error(fmt::format(
          "slowfs: FUSE refused to mount at {} (see the message above); mounting needs root or "
          "fusermount3, and in a container --device /dev/fuse --cap-add SYS_ADMIN",
          mountpoint.string()));
    }
  }
  ~Session() {
    fuse_unmount(fuse_);
    fuse_destroy(fuse_);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  fuse* get() const { return fuse_; }

 private:
  fuse* fuse_ = nullptr;
};

}  // namespace

int serve(const SlowFsMount& mount) {
  detach_stale_mount(mount.mountpoint);
  const fs::path mountpoint = checked_mountpoint(mount.mountpoint);
  check_fuse_available();
  State fs(::open(mount.backing.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC), mount.profile);
  if (fs.backing < 0) {
    throw ConfigError(fmt::format("slowfs: --backing {} cannot be opened: {}",
                                  mount.backing.string(), std::strerror(errno)));
  }
  const fuse_operations ops = operations();
  int exit_code = 0;
  {
    Session session(ops, fs, mountpoint);
    fuse_session* lowlevel = fuse_get_session(session.get());
    fs.charges.stop_with(lowlevel);
    if (fuse_set_signal_handlers(lowlevel) != 0) {
      throw Error("slowfs: could not install the handlers of SIGINT and SIGTERM");
    }
    std::printf("slowfs: mounted %s over %s (%s)\n", mountpoint.c_str(), mount.backing.c_str(),
                described(mount.profile).c_str());
    std::fflush(stdout);
    // Detached as FUSE filesystems are, unless --foreground: the caller's command returns once
    // the mount is in place.
    if (!mount.foreground && fuse_daemonize(0) != 0) {
      throw Error("slowfs: could not detach from the terminal; retry with --foreground");
    }
    // A request's delay is slept in the thread serving it, so the loop's threads bound how many
    // requests wait at once; libfuse's default bound (10) would make an eleventh wait a whole
    // latency more (a fanout's claims and writes, all at once). Storage serves them in parallel.
    const std::unique_ptr<fuse_loop_config, decltype(&fuse_loop_cfg_destroy)> config(
        fuse_loop_cfg_create(), &fuse_loop_cfg_destroy);
    if (!config) {
      throw Error("slowfs: out of memory configuring the FUSE loop");
    }
    fuse_loop_cfg_set_clone_fd(config.get(), 0);
    fuse_loop_cfg_set_idle_threads(config.get(), 16);
    fuse_loop_cfg_set_max_threads(config.get(), kMaxRequestsAtOnce);
    const int ended = fuse_loop_mt(session.get(), config.get());
    fuse_remove_signal_handlers(lowlevel);
    // The loop returns the number of the signal that ended it, 0 after `fusermount3 -u`.
    if (ended != 0 && ended != SIGINT && ended != SIGTERM && ended != SIGHUP) {
      std::fprintf(stderr, "slowfs: the FUSE loop failed: %s\n", std::strerror(std::abs(ended)));
      exit_code = 1;
    }
  }
  std::printf("slowfs: unmounted %s\n", mountpoint.c_str());
  std::fflush(stdout);
  return exit_code;
}

}  // namespace sluice::slowfs
