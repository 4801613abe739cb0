#include "slowfs_command.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include <sluice/core/error.hpp>
#include <sluice/core/util/units.hpp>

#include "slowfs.hpp"

namespace sluice::cli {
namespace fs = std::filesystem;
namespace {

// A latency: a duration parse_duration() reads, refused with its option named when negative.
std::chrono::nanoseconds latency(const std::string& text, const char* option) {
  if (!text.empty() && text.front() == '-') {
    throw ConfigError(
        fmt::format("{} '{}' is negative; a latency is 0 or more: 20ms, 1s, 0", option, text));
  }
  return parse_duration(text, option);
}

// "10%" or "0.1": a fraction of the latency, from 0 to 1.
double jitter(const std::string& text) {
  std::string_view number = text;
  const bool percent = !number.empty() && number.back() == '%';
  if (percent) {
    number.remove_suffix(1);
  }
  double value = 0;
  const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || error != std::errc() || end != number.data() + number.size() ||
      !std::isfinite(value)) {
    throw ConfigError(fmt::format(
        "--jitter '{}' is not a fraction; write a percentage or a fraction of the latency: 10%, "
        "0.1",
        text));
  }
  value = percent ? value / 100 : value;
  if (value < 0 || value > 1) {
    throw ConfigError(fmt::format(
        "--jitter '{}' is outside 0% to 100%: the latency varies by at most all of itself", text));
  }
  return value;
}

fs::path existing_folder(const std::string& text, const char* what) {
  std::error_code error;
  const fs::path folder = fs::absolute(text, error);
  const fs::file_status status = fs::status(folder, error);
  if (!fs::is_directory(status)) {
    throw ConfigError(fmt::format("{} {} {}; give an existing folder (mkdir -p {})", what, text,
                                  fs::exists(status) ? "is not a folder" : "does not exist", text));
  }
  return fs::weakly_canonical(folder);
}

slowfs::SlowFsMount mount_of(const SlowFsFlags& flags) {
  slowfs::SlowFsMount mount;
  // The mountpoint is checked by slowfs::serve, after it has cleared a stale mount there.
  mount.mountpoint = fs::absolute(flags.mountpoint).lexically_normal();
  if (mount.mountpoint.filename().empty()) {  // "mnt/": as /proc/self/mounts names it
    mount.mountpoint = mount.mountpoint.parent_path();
  }
  mount.backing = existing_folder(flags.backing, "--backing");
  if (mount.backing == mount.mountpoint) {
    throw ConfigError(fmt::format(
        "--backing {} is the mountpoint itself; keep the files in another folder", flags.backing));
  }
  slowfs::SlowFsProfile& profile = mount.profile;
  profile.read_latency = latency(flags.read_latency, "--read-latency");
  profile.write_latency = flags.write_latency.empty()
                              ? profile.read_latency
                              : latency(flags.write_latency, "--write-latency");
  profile.per_request = flags.per_request;
  // Per request, an open is a request too; per file access, its latency is the read's or write's.
  profile.open_latency = !flags.open_latency.empty() ? latency(flags.open_latency, "--open-latency")
                         : flags.per_request         ? profile.read_latency
                                                     : std::chrono::nanoseconds{0};
  if (!flags.bandwidth.empty() && flags.bandwidth != "unlimited") {
    profile.bandwidth = parse_rate(flags.bandwidth, "--bandwidth");
    if (profile.bandwidth <= 0) {
      throw ConfigError(fmt::format(
          "--bandwidth '{}' is zero; give a rate (50MB/s, 1GiB/s) or leave it out for unlimited",
          flags.bandwidth));
    }
  }
  if (!flags.jitter.empty() &&
      (std::isalpha(static_cast<unsigned char>(flags.jitter.back())) != 0)) {
    profile.jitter_up_to = latency(flags.jitter, "--jitter");  // a duration, as sluice bench's
  } else {
    profile.jitter = jitter(flags.jitter);
  }
  if (!(flags.failure_rate >= 0 && flags.failure_rate <= 1)) {
    throw ConfigError(fmt::format(
        "--failure-rate {} is outside 0 to 1: give the fraction of reads and writes that fail "
        "with EIO (0.01 for 1%)",
        flags.failure_rate));
  }
  profile.failure_rate = flags.failure_rate;
  profile.seed = flags.seed;
  mount.foreground = flags.foreground;
  return mount;
}

}  // namespace

CLI::App* add_slowfs_command(CLI::App& app, SlowFsFlags& flags) {
  CLI::App* slowfs = app.add_subcommand(
      "slowfs",
      "Mount a folder through FUSE with the latency and bandwidth of remote storage (until "
      "SIGINT or SIGTERM)");
  slowfs->add_option("mountpoint", flags.mountpoint, "An existing folder to mount at")->required();
  slowfs->add_option("--backing", flags.backing, "The folder holding the files")->required();
  slowfs->add_option("--read-latency", flags.read_latency,
                     "Per file read, at its first read request: 20ms (default 0)");
  slowfs->add_option("--write-latency", flags.write_latency,
                     "Per file written, at its first write request (default: the read latency)");
  slowfs->add_flag("--per-request", flags.per_request,
                   "Charge the latencies per read and write request and per fsync instead (the "
                   "kernel's requests are at most 128 KiB)");
  slowfs->add_option("--open-latency", flags.open_latency,
                     "Per open and create (default: 0; with --per-request the read latency)");
  slowfs->add_option("--bandwidth", flags.bandwidth,
                     "Added per byte read or written: 50MB/s, 1GiB/s (default: unlimited)");
  slowfs->add_option("--jitter", flags.jitter,
                     "Each delay varies uniformly by ± this fraction: 10%; or, a duration, waits "
                     "up to this much more: 5ms (default 0)");
  slowfs->add_option("--failure-rate", flags.failure_rate,
                     "The fraction of reads and writes that fail with EIO: 0.01 (default 0)");
  slowfs->add_option("--seed", flags.seed, "Of the jitter and the failures (default 0)");
  slowfs->add_flag("--foreground", flags.foreground,
                   "Stay attached until SIGINT or SIGTERM (default: detach once mounted)");
  return slowfs;
}

int run_slowfs(const SlowFsFlags& flags) {
  return slowfs::serve(mount_of(flags));
}

}  // namespace sluice::cli
