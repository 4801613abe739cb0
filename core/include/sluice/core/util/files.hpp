#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include <sluice/core/export.hpp>

namespace sluice {

/// Who may read a file written here.
enum class FileAccess {
  /// 0644 before the umask: the usual data file.
  shared,
  /// Exactly 0600 from the first byte on (a post-mortem bundle may hold secrets).
  owner_only,
};

/// What a write waits for before it returns (fsync(2)); see write_file_atomically.
enum class Durability {
  /// No fsync: the file is whole for readers at once, but a crash or power cut may lose it or
  /// leave the old version (scratch intermediates; `fs_args: {fsync: false}`).
  none,
  /// fsync of the file only: its bytes are on disk, but the rename that publishes it may still
  /// be lost in a crash. sluice's behaviour before issue 14, kept for the benchmark.
  file,
  /// fsync of the file, then of the folder that holds it after the rename, and of the folder
  /// above each folder the write created: the new name survives a crash. The default.
  file_and_folder,
};

/// Reads a whole file; DatasetError naming the path when it is missing, a folder or unreadable.
SLUICE_API std::string read_file(const std::filesystem::path& path);

/// Creates the folders above `path` (none when it has no parent); DatasetError naming both the
/// folder and `path` when one cannot be created. With file_and_folder, syncs the folder that
/// holds each new folder, so that the new folders survive a crash (not the folder of `path`:
/// the write of `path` syncs that after it is in place).
SLUICE_API void create_parent_folders(const std::filesystem::path& path,
                                      Durability durability = Durability::none);

/// Writes via a temp file in the same folder, then (by `durability`) fsync of the file, rename,
/// fsync of the folder; creates parent folders. A reader never sees a partial file, whatever
/// the durability. DatasetError naming the path and the failed step with its OS error
/// ("cannot write 'x' (rename failed: Is a directory)"). Every durable write of sluice goes
/// through here or write_new_file_atomically.
SLUICE_API void write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                                      FileAccess access = FileAccess::shared,
                                      Durability durability = Durability::file_and_folder);

/// Like write_file_atomically, but never replaces an existing file: the check and the rename
/// are one step, so of two concurrent writers exactly one wins. False when `path` exists.
SLUICE_API bool write_new_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                                          FileAccess access = FileAccess::shared,
                                          Durability durability = Durability::file_and_folder);

namespace detail {
/// Called after each successful fsync of a write with what was synced (the temp file, or a
/// folder); null (the default) calls nothing. A test seam: set it before writing, reset it
/// after; not for concurrent use with other tests.
using SyncObserver = void (*)(const std::filesystem::path& synced, bool is_folder);
SLUICE_API void set_sync_observer(SyncObserver observer);
}  // namespace detail

}  // namespace sluice
