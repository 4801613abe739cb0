#include "upload_journal.hpp"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <sluice/core/error.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/core/util/json.hpp>

namespace sluice::s3 {

namespace {

constexpr std::string_view kSuffix = ".upload";

std::string first_line(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0)
    return "";
  return name;
}

std::string boot_id() {
  return first_line("/proc/sys/kernel/random/boot_id");
}

/// "pid:[4026531836]": which pid namespace this process sees pids in.
std::string pid_namespace() {
  std::error_code error;
  return std::filesystem::read_symlink("/proc/self/ns/pid", error).string();
}

/// Field 22 of /proc/<pid>/stat (after the parenthesised command name, which may hold spaces);
/// 0 when the process does not exist.
unsigned long long start_time_of(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto name_end = stat.rfind(')');
  if (name_end == std::string::npos)
    return 0;
  std::istringstream fields(stat.substr(name_end + 2));
  std::string field;
  // Fields 3 to 21, then the start time.
  for (int i = 3; i <= 21 && fields >> field; ++i) {
  }
  unsigned long long start = 0;
  fields >> start;
  return start;
}

bool is_gone(const JournalEntry& entry, const std::string& this_host, const std::string& this_boot,
             const std::string& this_namespace) {
  if (entry.host != this_host || entry.pid_namespace != this_namespace)
    return false;
  if (entry.boot_id != this_boot)
    return true;
  if (::kill(static_cast<pid_t>(entry.pid), 0) != 0 && errno == ESRCH)
    return true;
  const unsigned long long start = start_time_of(entry.pid);
  return start != 0 && start != entry.pid_start;
}

std::string claimed_name(const std::filesystem::path& file) {
  return file.string() + ".aborting-" + std::to_string(::getpid());
}

}  // namespace

std::filesystem::path UploadJournal::record(const std::string& endpoint, const std::string& bucket,
                                            const std::string& key,
                                            const std::string& upload_id) const {
  static std::atomic<unsigned> counter{0};
  const long pid = ::getpid();
  const unsigned long long pid_start = start_time_of(pid);
  const Json entry = {{"endpoint", endpoint},
                      {"bucket", bucket},
                      {"key", key},
                      {"upload_id", upload_id},
                      {"initiated", fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                                                fmt::gmtime(std::chrono::system_clock::to_time_t(
                                                    std::chrono::system_clock::now())))},
                      {"host", host_name()},
                      {"boot_id", boot_id()},
                      {"pid_namespace", pid_namespace()},
                      {"pid", pid},
                      {"pid_start", pid_start}};
  const std::filesystem::path file =
      folder_ / fmt::format("{}-{}-{}{}", pid, pid_start, counter.fetch_add(1), kSuffix);
  write_file_atomically(file, json_text(entry));
  return file;
}

void UploadJournal::forget(const std::filesystem::path& file) noexcept {
  std::error_code ignored;
  std::filesystem::remove(file, ignored);
}

std::vector<JournalEntry> UploadJournal::dead_uploads(const std::string& endpoint,
                                                      const std::string& bucket) const {
  std::vector<JournalEntry> dead;
  std::error_code error;
  std::filesystem::directory_iterator files(folder_, error);
  if (error)
    return dead;
  const std::string this_host = host_name();
  const std::string this_boot = boot_id();
  const std::string this_namespace = pid_namespace();
  for (const auto& file : files) {
    if (file.path().extension() != kSuffix)
      continue;
    JournalEntry entry;
    try {
      const Json json = read_json_file(file.path(), "remove the file");
      entry = {json.at("endpoint").get<std::string>(),
               json.at("bucket").get<std::string>(),
               json.at("key").get<std::string>(),
               json.at("upload_id").get<std::string>(),
               json.at("initiated").get<std::string>(),
               json.at("host").get<std::string>(),
               json.at("boot_id").get<std::string>(),
               json.at("pid_namespace").get<std::string>(),
               json.at("pid").get<long>(),
               json.at("pid_start").get<unsigned long long>(),
               file.path()};
    } catch (const std::exception&) {
      continue;  // being written (the rename makes that rare) or not ours to judge
    }
    if (entry.endpoint == endpoint && entry.bucket == bucket &&
        is_gone(entry, this_host, this_boot, this_namespace))
      dead.push_back(std::move(entry));
  }
  return dead;
}

bool UploadJournal::claim(JournalEntry& entry) noexcept {
  const std::string claimed = claimed_name(entry.file);
  if (std::rename(entry.file.c_str(), claimed.c_str()) != 0)
    return false;
  entry.file = claimed;
  return true;
}

void UploadJournal::release(const JournalEntry& entry) noexcept {
  const std::string name = entry.file.string();
  const auto mark = name.rfind(".aborting-");
  if (mark != std::string::npos)
    std::rename(name.c_str(), name.substr(0, mark).c_str());
}

}  // namespace sluice::s3
