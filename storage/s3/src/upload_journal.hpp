#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace sluice::s3 {

/// One multipart upload in flight, as the journal file records it.
struct JournalEntry {
  std::string endpoint;
  std::string bucket;
  std::string key;
  std::string upload_id;
  std::string initiated;  // UTC, ISO 8601
  /// The process that started it: host name, boot id, pid namespace (containers on one host
  /// share the boot id, not their pids), pid and the pid's start time (clock ticks after boot),
  /// so a reused pid is not mistaken for the uploader.
  std::string host;
  std::string boot_id;
  std::string pid_namespace;
  long pid = 0;
  unsigned long long pid_start = 0;
  std::filesystem::path file;
};

/// A folder of small files, one per multipart upload in flight: written once the upload has an
/// id and before any part is sent, removed once it is completed or aborted. What stays belongs
/// to a process that died in between (kill -9, a crash, a lost machine).
class UploadJournal {
 public:
  explicit UploadJournal(std::filesystem::path folder) : folder_(std::move(folder)) {}

  /// Records an upload of this process; the file to forget() it with. Throws DatasetError when
  /// the folder cannot be written (the upload must not go on unrecorded).
  std::filesystem::path record(const std::string& endpoint, const std::string& bucket,
                               const std::string& key, const std::string& upload_id) const;
  /// Removes a recorded upload (completed or aborted). Never throws.
  static void forget(const std::filesystem::path& file) noexcept;

  /// The uploads to `endpoint`/`bucket` whose process is gone: started on this host, in this
  /// pid namespace, by a pid that no longer runs, or runs a different program start, or before
  /// the last boot. Entries of live processes, of other hosts and of other pid namespaces
  /// (another container) are left out: nobody can tell them dead from here.
  std::vector<JournalEntry> dead_uploads(const std::string& endpoint,
                                         const std::string& bucket) const;
  /// Takes `entry` for this process (an atomic rename), so that of two processes cleaning up at
  /// once only one aborts it. False when another took it first.
  static bool claim(JournalEntry& entry) noexcept;
  /// Gives a claimed entry back (its abort failed; a later run tries again).
  static void release(const JournalEntry& entry) noexcept;

 private:
  std::filesystem::path folder_;
};

}  // namespace sluice::s3
