#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/std.h>
#include <unistd.h>

#include <sluice/core/clock.hpp>
#include <sluice/core/datasets/file_dataset.hpp>
#include <sluice/core/error.hpp>

#include "writer_lock.hpp"

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

// Writes `bytes` to a fresh temp file next to `path` (creating the folders) and fsyncs it.
fs::path write_temp_file(const fs::path& path, std::string_view bytes) {
  static std::atomic<unsigned> counter{0};
  std::error_code error;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), error);
    if (error) {
      throw DatasetError(fmt::format("cannot create folder '{}' for '{}': {}",
                                     path.parent_path().string(), path.string(), error.message()));
    }
  }
  fs::path temp = path;
  temp.replace_filename(
      fmt::format(".{}.tmp-{}-{}", path.filename().string(), ::getpid(), counter.fetch_add(1)));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw_write_error(path, "open", errno);
  }
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int saved = errno;
      ::close(fd);
      fs::remove(temp, error);
      throw_write_error(path, "write", saved);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int saved = errno;
    fs::remove(temp, error);
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

void write_file_atomically(const fs::path& path, std::string_view bytes) {
  const fs::path temp = write_temp_file(path, bytes);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    std::error_code ignored;
    fs::remove(temp, ignored);
    throw_write_error(path, "rename", saved);
  }
}

bool write_new_file_atomically(const fs::path& path, std::string_view bytes) {
  return publish_without_replacing(write_temp_file(path, bytes), path);
}

FileDataset::FileDataset(fs::path filepath, Versioning versioning)
    : filepath_(std::move(filepath)), versioning_(std::move(versioning)) {
  if (filepath_.empty()) {
    throw ConfigError("a file dataset needs a non-empty filepath");
  }
  if (versioning_.enabled && versioning_.save_version.empty()) {
    versioning_.save_version = make_run_id(system_clock());
  }
}

fs::path FileDataset::load_path() const {
  if (!versioning_.enabled) {
    return filepath_;
  }
  if (!versioning_.load_version.empty()) {
    return filepath_ / versioning_.load_version / filepath_.filename();
  }
  if (saved_.load()) {
    return save_path();  // this run's version, not a newer one another run saved since
  }
  // Version stamps sort by time as text, so the greatest name with the file in it is the latest.
  std::string latest;
  std::error_code error;
  for (fs::directory_iterator it(filepath_, error), end; !error && it != end; it.increment(error)) {
    const std::string version = it->path().filename().string();
    if (version > latest && fs::exists(it->path() / filepath_.filename())) {
      latest = version;
    }
  }
  if (latest.empty()) {
    throw DatasetError(
        fmt::format("no saved versions of '{}' under '{}'; run the node that "
                    "produces it first, or check the filepath",
                    filepath_.filename().string(), filepath_.string()));
  }
  return filepath_ / latest / filepath_.filename();
}

fs::path FileDataset::save_path() const {
  if (!versioning_.enabled) {
    return filepath_;
  }
  return filepath_ / versioning_.save_version / filepath_.filename();
}

Value FileDataset::load() {
  const fs::path path = load_path();
  return decode(read_file(path), path);
}

void FileDataset::save(const Value& value) {
  const fs::path path = save_path();
  if (!versioning_.enabled) {
    {
      const std::lock_guard guard(claim_mutex_);
      if (!claim_) {
        claim_ = detail::claim_for_writing(path, versioning_.save_version);
      }
    }
    write_file_atomically(path, encode(value));
    return;
  }
  if (!write_new_file_atomically(path, encode(value))) {
    throw DatasetError(fmt::format(
        "version '{}' of '{}' already exists; versions are never overwritten (save under a new "
        "version)",
        versioning_.save_version, filepath_.string()));
  }
  saved_.store(true);
}

bool FileDataset::exists() const {
  try {
    return fs::is_regular_file(load_path());
  } catch (const DatasetError&) {
    return false;
  }
}

std::string FileDataset::describe() const {
  std::string options = fmt::format("filepath={}", filepath_.string());
  if (versioning_.enabled) {
    options +=
        fmt::format(", version={}", versioning_.load_version.empty() ? std::string("latest")
                                                                     : versioning_.load_version);
  }
  if (std::string extra = describe_options(); !extra.empty()) {
    options += ", " + extra;
  }
  return fmt::format("{}({})", dataset_type(), options);
}

}  // namespace sluice
