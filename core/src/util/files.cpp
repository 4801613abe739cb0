#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <vector>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sluice/core/error.hpp>
#include <sluice/core/util/files.hpp>

namespace sluice {
namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
  std::error_code ignored;
  if (fs::is_directory(path, ignored)) {
    throw DatasetError(fmt::format(
        "'{}' is a directory, not a file; point filepath at a file (or, if the folder holds "
        "versions saved with 'versioned: true', add 'versioned: true' to the entry)",
        path.string()));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw DatasetError(fmt::format("cannot open '{}': {}", path.string(),
                                   fs::exists(path) ? std::strerror(errno) : "no such file"));
  }
  std::string bytes;
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size < 0) {
    throw DatasetError(
        fmt::format("cannot read '{}': its size is unknown (not a regular file?)", path.string()));
  }
  bytes.resize(static_cast<std::size_t>(size));
  in.seekg(0, std::ios::beg);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!in) {
    throw DatasetError(fmt::format("cannot read '{}': {}", path.string(), std::strerror(errno)));
  }
  return bytes;
}

namespace {

[[noreturn]] void throw_write_error(const fs::path& path, const char* step, int error) {
  throw DatasetError(
      fmt::format("cannot write '{}' ({} failed: {})", path.string(), step, std::strerror(error)));
}

std::atomic<detail::SyncObserver> sync_observer{nullptr};

void observe_sync(const fs::path& synced, bool is_folder) {
  if (const auto observer = sync_observer.load(std::memory_order_acquire)) {
    observer(synced, is_folder);
  }
}

// The folders a write of `path` adds an entry to, found before it creates any: the file's own
// folder, then, while a folder does not exist yet, the folder above it (which will hold it).
// A new name is durable only once the folder holding it is synced, so a file in a folder the
// write creates needs every one of these synced (fsync(2): "an explicit fsync() on a file
// descriptor for the directory is also needed"). A folder that another writer creates at the
// same moment is synced by that writer.
std::vector<fs::path> folders_to_sync(const fs::path& path) {
  std::vector<fs::path> folders;
  std::error_code ignored;
  for (fs::path folder = path.parent_path();; folder = folder.parent_path()) {
    folders.push_back(folder.empty() ? fs::path(".") : folder);
    if (folder.empty() || folder == folder.parent_path() || fs::exists(folder, ignored)) {
      return folders;
    }
  }
}

// fsync of a folder, after the rename into it. A file system that cannot sync folders
// (EINVAL, ENOTSUP: some FUSE and network file systems) gives what it can.
void sync_folder(const fs::path& path, const fs::path& folder) {
  auto fail = [&](int error) {
    throw DatasetError(fmt::format(
        "cannot write '{}' durably (fsync of its folder '{}' failed: {}); the new file is in "
        "place but may not survive a crash; check the disk, or set `fs_args: {{fsync: false}}` "
        "on the dataset if it need not survive one",
        path.string(), folder.string(), std::strerror(error)));
  };
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    fail(errno);
  }
  const int result = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  if (result != 0 && saved != EINVAL && saved != ENOTSUP) {
    fail(saved);
  }
  if (result == 0) {
    observe_sync(folder, true);
  }
}

// Creates the folders above `path`; `folders` is folders_to_sync(path) (or empty: no syncs).
// Syncs the folders that hold the new ones at once (all of `folders` but the first, which
// holds the file: it is synced after the rename).
void create_folders(const fs::path& path, const std::vector<fs::path>& folders) {
  if (!path.has_parent_path()) {
    return;
  }
  std::error_code error;
  fs::create_directories(path.parent_path(), error);
  if (error) {
    throw DatasetError(fmt::format("cannot create folder '{}' for '{}': {}",
                                   path.parent_path().string(), path.string(), error.message()));
  }
  for (std::size_t i = 1; i < folders.size(); ++i) {
    sync_folder(path, folders[i]);
  }
}

// Writes `bytes` to a fresh temp file next to `path` (creating the folders, and syncing the
// `folders` that hold new ones) and, unless `durability` is none, fsyncs it.
fs::path write_temp_file(const fs::path& path, std::string_view bytes, FileAccess access,
                         Durability durability, const std::vector<fs::path>& folders) {
  static std::atomic<unsigned> counter{0};
  create_folders(path, folders);
  fs::path temp = path;
  temp.replace_filename(
      fmt::format(".{}.tmp-{}-{}", path.filename().string(), ::getpid(), counter.fetch_add(1)));
  const mode_t mode = access == FileAccess::owner_only ? 0600 : 0644;
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    throw_write_error(path, "open", errno);
  }
  std::error_code ignored;
  auto fail = [&](const char* step) {
    const int saved = errno;
    ::close(fd);
    fs::remove(temp, ignored);
    throw_write_error(path, step, saved);
  };
  // The umask may have taken bits away; owner-only files get exactly 0600.
  if (access == FileAccess::owner_only && ::fchmod(fd, mode) != 0) {
    fail("chmod");
  }
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      fail("write");
    }
    written += static_cast<std::size_t>(n);
  }
  if (durability != Durability::none) {
    if (::fsync(fd) != 0) {
      fail("fsync");
    }
    observe_sync(path, false);
  }
  if (::close(fd) != 0) {
    const int saved = errno;
    fs::remove(temp, ignored);
    throw_write_error(path, "fsync", saved);
  }
  return temp;
}

// Moves `temp` to `path` unless `path` exists, in one step: renameat2(RENAME_NOREPLACE), or
// link() where the file system lacks it. False when `path` exists.
bool publish_without_replacing(const fs::path& temp, const fs::path& path) {
  std::error_code ignored;
  if (::renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) == 0) {
    return true;
  }
  int saved = errno;
  if (saved == EINVAL || saved == ENOSYS || saved == ENOTSUP) {
    if (::link(temp.c_str(), path.c_str()) == 0) {
      fs::remove(temp, ignored);
      return true;
    }
    saved = errno;
  }
  fs::remove(temp, ignored);
  if (saved == EEXIST) {
    return false;
  }
  throw_write_error(path, "rename", saved);
}

}  // namespace

void write_file_atomically(const fs::path& path, std::string_view bytes, FileAccess access,
                           Durability durability) {
  std::vector<fs::path> folders;
  if (durability == Durability::file_and_folder) {
    folders = folders_to_sync(path);
  }
  const fs::path temp = write_temp_file(path, bytes, access, durability, folders);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw_write_error(path, "rename", saved);
  }
  if (!folders.empty()) {
    sync_folder(path, folders.front());
  }
}

bool write_new_file_atomically(const fs::path& path, std::string_view bytes, FileAccess access,
                               Durability durability) {
  std::vector<fs::path> folders;
  if (durability == Durability::file_and_folder) {
    folders = folders_to_sync(path);
  }
  if (!publish_without_replacing(write_temp_file(path, bytes, access, durability, folders), path)) {
    return false;
  }
  if (!folders.empty()) {
    sync_folder(path, folders.front());
  }
  return true;
}

void create_parent_folders(const fs::path& path, Durability durability) {
  create_folders(path, durability == Durability::file_and_folder ? folders_to_sync(path)
                                                                 : std::vector<fs::path>());
}

void detail::set_sync_observer(detail::SyncObserver observer) {
  sync_observer.store(observer, std::memory_order_release);
}

}  // namespace sluice
