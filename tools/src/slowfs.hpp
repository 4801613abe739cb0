#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>

namespace sluice::slowfs {

/// What `sluice slowfs` charges: remote storage as a FUSE passthrough to a local folder.
struct SlowFsProfile {
  std::chrono::nanoseconds read_latency{0};
  std::chrono::nanoseconds write_latency{0};
  std::chrono::nanoseconds open_latency{0};  // per open and create
  double bandwidth = 0;                      // bytes per second, added per byte; 0: unlimited
  double jitter = 0;                         // each charge varies uniformly by ± this fraction
  double failure_rate = 0;                   // the fraction of reads and writes that fail (EIO)
  std::uint64_t seed = 0;                    // of the jitter and the failures
};

/// Where, over what, and how slowly.
struct SlowFsMount {
  std::filesystem::path mountpoint;  // an existing folder
  std::filesystem::path backing;     // an existing folder: the files
  SlowFsProfile profile;
  bool foreground = false;  // false: detach once mounted, as FUSE filesystems do
};

/// Mounts `mount.backing` at `mount.mountpoint` with the delays of `mount.profile`, prints one
/// line on stdout once mounted, and serves requests on several threads until SIGINT, SIGTERM or
/// SIGHUP (or `fusermount3 -u`); then unmounts. A stale mount left at the mountpoint by a killed
/// run ("Transport endpoint is not connected") is detached first. Error when FUSE is missing or
/// refuses the mount. Returns the exit code.
int serve(const SlowFsMount& mount);

}  // namespace sluice::slowfs
