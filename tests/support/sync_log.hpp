#pragma once

#include <filesystem>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <sluice/core/util/files.hpp>

namespace sluice::testing {

// Records every fsync the writes make while it lives: (what was synced, whether a folder).
class SyncLog {
 public:
  SyncLog() {
    std::lock_guard guard(mutex());
    entries().clear();
    detail::set_sync_observer(&record);
  }
  ~SyncLog() { detail::set_sync_observer(nullptr); }
  SyncLog(const SyncLog&) = delete;
  SyncLog& operator=(const SyncLog&) = delete;

  std::vector<std::pair<std::string, bool>> take() {
    std::lock_guard guard(mutex());
    return std::exchange(entries(), {});
  }

 private:
  static void record(const std::filesystem::path& synced, bool is_folder) {
    std::lock_guard guard(mutex());
    entries().emplace_back(synced.string(), is_folder);
  }
  static std::mutex& mutex() {
    static std::mutex instance;
    return instance;
  }
  static std::vector<std::pair<std::string, bool>>& entries() {
    static std::vector<std::pair<std::string, bool>> instance;
    return instance;
  }
};

}  // namespace sluice::testing
