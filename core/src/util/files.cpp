#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

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

void create_parent_folders(const fs::path& path) {
  if (!path.has_parent_path()) {
    return;
  }
  std::error_code error;
  fs::create_directories(path.parent_path(), error);
  if (error) {
    throw DatasetError(fmt::format("cannot create folder '{}' for '{}': {}",
                                   path.parent_path().string(), path.string(), error.message()));
  }
}

namespace {

[[noreturn]] void throw_write_error(const fs::path& path, const char* step, int error) {
  throw DatasetError(
      fmt::format("cannot write '{}' ({} failed: {})", path.string(), step, std::strerror(error)));
}

// Writes `bytes` to a fresh temp file next to `path` (creating the folders) and fsyncs it.
fs::path write_temp_file(const fs::path& path, std::string_view bytes, FileAccess access) {
  static std::atomic<unsigned> counter{0};
  create_parent_folders(path);
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
  if (::fsync(fd) != 0) {
    fail("fsync");
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

void write_file_atomically(const fs::path& path, std::string_view bytes, FileAccess access) {
  const fs::path temp = write_temp_file(path, bytes, access);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw_write_error(path, "rename", saved);
  }
}

bool write_new_file_atomically(const fs::path& path, std::string_view bytes, FileAccess access) {
  return publish_without_replacing(write_temp_file(path, bytes, access), path);
}

}  // namespace sluice
