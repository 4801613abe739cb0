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

/// Reads a whole file; DatasetError naming the path when it is missing, a folder or unreadable.
SLUICE_API std::string read_file(const std::filesystem::path& path);

/// Creates the folders above `path` (none when it has no parent); DatasetError naming both the
/// folder and `path` when one cannot be created.
SLUICE_API void create_parent_folders(const std::filesystem::path& path);

/// Writes via a temp file in the same folder, fsync and rename, creating parent folders; a
/// reader never sees a partial file. DatasetError naming the path and the failed step with its
/// OS error ("cannot write 'x' (rename failed: Is a directory)").
SLUICE_API void write_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                                      FileAccess access = FileAccess::shared);

/// Like write_file_atomically, but never replaces an existing file: the check and the rename
/// are one step, so of two concurrent writers exactly one wins. False when `path` exists.
SLUICE_API bool write_new_file_atomically(const std::filesystem::path& path, std::string_view bytes,
                                          FileAccess access = FileAccess::shared);

}  // namespace sluice
