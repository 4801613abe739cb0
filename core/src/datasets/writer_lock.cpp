#include "writer_lock.hpp"

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <string>

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sluice/core/error.hpp>
#include <sluice/core/log.hpp>

namespace sluice::detail {
namespace fs = std::filesystem;
namespace {

class WriterLock {
 public:
  WriterLock(fs::path path, int fd) : path_(std::move(path)), fd_(fd), owner_(::getpid()) {}
  ~WriterLock() {
    // Unlinked while still locked: whoever opened the old file sees it is gone and retries. A
    // forked child holds no flock of its own, so it leaves the file to its parent.
    if (owner_ == ::getpid()) {
      ::unlink(path_.c_str());
    }
    ::close(fd_);
  }
  /// A forked child inherits the object but not the right to write as its parent's run.
  bool owned_by_this_process() const { return owner_ == ::getpid(); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  fs::path path_;
  int fd_;
  pid_t owner_;
};

std::string holder_of(int fd) {
  char buffer[512];
  const ssize_t n = ::pread(fd, buffer, sizeof buffer, 0);
  return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}

bool still_linked(int fd, const fs::path& path) {
  struct stat opened {};
  struct stat current {};
  return ::fstat(fd, &opened) == 0 && ::stat(path.c_str(), &current) == 0 &&
         opened.st_dev == current.st_dev && opened.st_ino == current.st_ino;
}

}  // namespace

std::shared_ptr<const void> claim_for_writing(const fs::path& file, std::string_view run_id,
                                              Durability durability) {
  // The claims this process holds, by lock file. Each lock file has a mutex of its own, so claims
  // of different files do their (on a remote filesystem, slow) file operations at once; the
  // map's mutex is never held across them.
  struct Entry {
    std::weak_ptr<WriterLock> lock;
    std::shared_ptr<std::mutex> claiming = std::make_shared<std::mutex>();
  };
  static std::mutex mutex;
  static std::map<std::string, Entry> held;
  fs::path path = file;
  path.replace_filename(fmt::format(".{}.lock", file.filename().string()));
  std::error_code error;
  const std::string key = fs::absolute(path, error).lexically_normal().string();
  std::shared_ptr<std::mutex> claiming;
  {
    const std::lock_guard guard(mutex);
    Entry& entry = held[key];
    if (auto existing = entry.lock.lock(); existing && existing->owned_by_this_process()) {
      return existing;
    }
    claiming = entry.claiming;
  }
  const std::lock_guard claim_guard(*claiming);
  {
    const std::lock_guard guard(mutex);  // another thread may have claimed it meanwhile
    if (auto existing = held[key].lock.lock(); existing && existing->owned_by_this_process()) {
      return existing;
    }
  }
  create_parent_folders(path, durability);  // a durable save's folders survive a crash
  for (;;) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      throw DatasetError(fmt::format("cannot create the lock file '{}' for '{}': {}", path.string(),
                                     file.string(), std::strerror(errno)));
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int saved = errno;
      const std::string holder = holder_of(fd);
      ::close(fd);
      if (saved == EWOULDBLOCK) {
        throw DatasetError(fmt::format(
            "cannot save '{}': {} is writing it at the same time (lock file '{}'). Concurrent "
            "runs must not share unversioned files, or the files would mix both runs' data: "
            "wait for that run to finish, or add 'versioned: true' to the dataset so that "
            "every run writes its own version",
            file.string(), holder.empty() ? std::string("another process") : holder,
            path.string()));
      }
      throw DatasetError(fmt::format("cannot lock '{}' for '{}': {}", path.string(), file.string(),
                                     std::strerror(saved)));
    }
    if (!still_linked(fd, path)) {
      ::close(fd);  // the previous holder removed it after we opened it: lock the new one
      continue;
    }
    const std::string me = run_id.empty() ? fmt::format("process {}", ::getpid())
                                          : fmt::format("run {} (pid {})", run_id, ::getpid());
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, me.data(), me.size(), 0) != static_cast<ssize_t>(me.size())) {
      // The lock holds without the note; another run's message just names no run.
      logger().debug("could not note the run in '{}': {}", path.string(), std::strerror(errno));
    }
    auto lock = std::make_shared<WriterLock>(path, fd);
    const std::lock_guard guard(mutex);
    for (auto it = held.begin(); it != held.end();) {
      // Entries of released locks go, unless a claim of theirs is under way.
      it = it->first != key && it->second.lock.expired() && it->second.claiming.use_count() == 1
               ? held.erase(it)
               : std::next(it);
    }
    held[key].lock = lock;
    return lock;
  }
}

}  // namespace sluice::detail
