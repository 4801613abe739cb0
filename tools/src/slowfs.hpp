#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

namespace sluice::slowfs {

/// What `sluice slowfs` charges: remote storage as a FUSE passthrough to a local folder.
/// By default as an object store, one latency per file access: the read latency once per opened
/// file, at its first read, and the write latency once per opened file, at its first write (the
/// cost of a GET or a PUT), whatever the size of the kernel's requests (128 KiB each through
/// FUSE). With `per_request`, every read and write request and every fsync pays its latency.
struct SlowFsProfile {
  std::chrono::nanoseconds read_latency{0};
  std::chrono::nanoseconds write_latency{0};
  std::chrono::nanoseconds open_latency{0};  // per open and create
  bool per_request = false;
  double bandwidth = 0;                      // bytes per second, added per byte; 0: unlimited
  double jitter = 0;                         // each charge varies uniformly by ± this fraction
  std::chrono::nanoseconds jitter_up_to{0};  // each charge waits up to this much more, uniformly
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

/// The type of the filesystem mounted at `folder` ("fuse.slowfs"), as /proc/self/mounts lists
/// it (the last one, which is on top), or empty when nothing is mounted there.
std::string mounted_type(const std::filesystem::path& folder);

/// Mounts `mount.backing` at `mount.mountpoint` with the delays of `mount.profile`, prints one
/// line on stdout once mounted, and serves requests on several threads until SIGINT, SIGTERM or
/// SIGHUP (or `fusermount3 -u`); then unmounts. A stale mount left at the mountpoint by a killed
/// run ("Transport endpoint is not connected") is detached first. Error when FUSE is missing or
/// refuses the mount. Returns the exit code.
int serve(const SlowFsMount& mount);

}  // namespace sluice::slowfs
