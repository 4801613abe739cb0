#pragma once

// `sluice bench --storage slowfs`: a `sluice slowfs` filesystem mounted for one point of the
// bench, over a scratch folder, and unmounted when it goes (also after a failure).

#include <filesystem>
#include <string>

#include <sys/types.h>

#include <sluice/bench/slow_storage.hpp>

namespace sluice::cli {

/// Starts this binary's `sluice slowfs` in a child process with `profile`'s latencies,
/// bandwidth, jitter and failure rate over a fresh backing folder (in /dev/shm when it exists,
/// so the backing medium adds no disk time of its own, as the simulated storage keeps its data in
/// memory), and waits until the mount is up. Error (naming the filesystem's own message) when it
/// does not come up within 10 s. The destructor stops the filesystem, unmounts it if the child
/// left it mounted, and removes both folders.
class SlowfsMount {
 public:
  explicit SlowfsMount(const bench::StorageProfile& profile);
  ~SlowfsMount();
  SlowfsMount(const SlowfsMount&) = delete;
  SlowfsMount& operator=(const SlowfsMount&) = delete;

  /// Where the slow filesystem is mounted.
  const std::filesystem::path& mountpoint() const { return mountpoint_; }

 private:
  void stop() noexcept;

  std::filesystem::path root_, mountpoint_, backing_, log_;
  pid_t child_ = -1;
};

}  // namespace sluice::cli
