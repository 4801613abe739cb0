#pragma once

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/loopback.hpp"
#include "support/source_dir.hpp"
#include "support/temp_dir.hpp"

extern char** environ;

namespace sluice::testing {

/// s3rver (storage/s3/testing, installed by scripts/setup.sh) on a free loopback port with a
/// scratch folder and one bucket; killed in the destructor, and with the test process if that
/// dies first (PR_SET_PDEATHSIG). Its credentials are S3RVER / S3RVER.
///
/// Its request log goes to requests.log in the scratch folder, so a test can count the reads:
/// s3rver 3.7.1 logs each response through koa-logger as "info: <METHOD> <path> <status> ...",
/// but cuts the method and path off (message.slice(16)) unless the line is coloured, hence
/// FORCE_COLOR=1 and object_gets() strips the colour codes.
///
/// stop() and restart() keep the port and the folder: the objects survive a restart.
class S3rver {
 public:
  static constexpr const char* access_key = "S3RVER";
  static constexpr const char* secret_key = "S3RVER";

  /// Where s3rver.js is, or why it cannot run: "" when it can.
  static std::string missing() {
    if (!std::filesystem::exists(script()))
      return "s3rver is not installed (" + script().string() +
             " is missing): run scripts/setup.sh, which runs npm ci --prefix storage/s3/testing";
    if (node().empty())
      return "node is not on PATH: run scripts/setup.sh, which installs Debian's nodejs";
    return "";
  }

  explicit S3rver(std::string bucket) : bucket_(std::move(bucket)) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_loopback_port();
      if (start())
        return;
    }
    throw std::runtime_error("s3rver did not start on a free loopback port in 5 attempts");
  }
  ~S3rver() { stop(); }
  S3rver(const S3rver&) = delete;
  S3rver& operator=(const S3rver&) = delete;

  int port() const { return port_; }
  const std::string& bucket() const { return bucket_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  /// The keys of the objects of the bucket that were read (GET /<bucket>/<key>, a listing
  /// GET /<bucket>?... is not an object read) since the last call, in the order s3rver answered.
  std::vector<std::string> object_gets() {
    mark_log();
    std::vector<std::string> keys;
    std::ifstream log(log_path());
    log.seekg(static_cast<std::streamoff>(log_read_));
    const std::string prefix = "/" + bucket_ + "/";
    std::string line;
    while (std::getline(log, line)) {
      log_read_ += line.size() + 1;
      std::istringstream words(strip_colours(line));
      std::string level, method, path;
      words >> level >> method >> path;
      if (level == "info:" && method == "GET" && path.starts_with(prefix)) {
        const std::string key = path.substr(prefix.size(), path.find('?') - prefix.size());
        if (!key.starts_with(kMarkPrefix))
          keys.push_back(key);
      }
    }
    return keys;
  }

  /// Kills the server (as a crash or a stopped machine would); the folder stays.
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  /// Starts it again on the same port with the same folder.
  void restart() {
    stop();
    if (!start())
      throw std::runtime_error("s3rver did not start again on port " + std::to_string(port_));
  }

  /// Multipart uploads in progress, as s3rver keeps them: one folder each under
  /// <bucket>/._S3rver_uploads (s3rver cannot list or abort them over HTTP).
  std::size_t uploads_in_progress() const {
    const auto folder = scratch_.path() / "data" / bucket_ / "._S3rver_uploads";
    if (!std::filesystem::exists(folder))
      return 0;
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(folder),
                                                  std::filesystem::directory_iterator()));
  }

 private:
  static std::filesystem::path script() {
    return source_dir() / "storage/s3/testing/node_modules/s3rver/bin/s3rver.js";
  }
  static constexpr const char* kMarkPrefix = ".sluice-log-mark-";

  std::filesystem::path log_path() const { return scratch_.path() / "requests.log"; }

  static std::string strip_colours(const std::string& line) {
    std::string plain;
    for (std::size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '\x1b') {
        while (i < line.size() && line[i] != 'm')
          ++i;
      } else {
        plain += line[i];
      }
    }
    return plain;
  }

  // s3rver logs a response after sending it: a HEAD of a mark object, answered after every
  // earlier request, is logged after them; once its line is in the log, so are theirs.
  void mark_log() {
    const std::string mark = kMarkPrefix + std::to_string(++marks_);
    const int fd = connect_loopback(port_);
    if (fd < 0)
      throw std::runtime_error("s3rver does not answer on port " + std::to_string(port_));
    const std::string request = "HEAD /" + bucket_ + "/" + mark +
                                " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char reply[512];
    while (::read(fd, reply, sizeof reply) > 0) {
    }
    ::close(fd);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      std::ifstream log(log_path());
      const std::string text((std::istreambuf_iterator<char>(log)), {});
      if (text.find(mark) != std::string::npos)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    throw std::runtime_error("s3rver's request log " + log_path().string() + " never showed " +
                             mark);
  }

  static std::string node() {
    const auto found = find_program("node");
    return found ? found->string() : "";
  }

  bool start() {
    const std::string node_path = node();
    const std::string script_path = script().string();
    const std::string port = std::to_string(port_);
    const std::string directory = (scratch_.path() / "data").string();
    // s3rver 3.7.1 makes continuation tokens with DES, which Node 20's OpenSSL 3 keeps in
    // its legacy provider.
    std::vector<std::string> args = {node_path,   "--openssl-legacy-provider",
                                     script_path, "--address",
                                     "127.0.0.1", "--port",
                                     port,        "--directory",
                                     directory,   "--configure-bucket",
                                     bucket_};
    std::vector<char*> argv;
    for (std::string& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    std::vector<std::string> environment = {"FORCE_COLOR=1"};
    for (char** variable = environ; *variable != nullptr; ++variable)
      if (!std::string_view(*variable).starts_with("FORCE_COLOR="))
        environment.emplace_back(*variable);
    std::vector<char*> envp;
    for (std::string& variable : environment)
      envp.push_back(variable.data());
    envp.push_back(nullptr);
    const int log = ::open(log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0)
      throw std::runtime_error("cannot write " + log_path().string());
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent)
        ::_exit(127);
      ::dup2(log, STDOUT_FILENO);
      ::dup2(log, STDERR_FILENO);
      ::execve(node_path.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
    ::close(log);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;  // exited: the port was taken meanwhile, or node failed
        return false;
      }
      if (loopback_port_answers(port_))
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop();
    return false;
  }

  std::string bucket_;
  TempDir scratch_;  // data/ (s3rver's --directory) and requests.log
  std::size_t log_read_ = 0;
  int marks_ = 0;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace sluice::testing

/// In a test: skips (fails when CI is set) when s3rver cannot run.
#define SLUICE_REQUIRE_S3RVER() SLUICE_REQUIRE_SERVER(::sluice::testing::S3rver::missing())
