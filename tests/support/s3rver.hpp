#pragma once

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/loopback.hpp"
#include "support/source_dir.hpp"
#include "support/temp_dir.hpp"

namespace sluice::testing {

/// s3rver (storage/s3/testing, installed by scripts/setup.sh) on a free loopback port with a
/// scratch folder and one bucket; killed in the destructor, and with the test process if that
/// dies first (PR_SET_PDEATHSIG). Its credentials are S3RVER / S3RVER. stop() and restart()
/// keep the port and the folder: the objects survive a restart.
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
    const auto folder = data_.path() / bucket_ / "._S3rver_uploads";
    if (!std::filesystem::exists(folder))
      return 0;
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(folder),
                                                  std::filesystem::directory_iterator()));
  }

 private:
  static std::filesystem::path script() {
    return source_dir() / "storage/s3/testing/node_modules/s3rver/bin/s3rver.js";
  }
  static std::string node() {
    const auto found = find_program("node");
    return found ? found->string() : "";
  }

  bool start() {
    const std::string node_path = node();
    const std::string script_path = script().string();
    const std::string port = std::to_string(port_);
    const std::string directory = data_.path().string();
    // s3rver 3.7.1 makes continuation tokens with DES, which Node 20's OpenSSL 3 keeps in
    // its legacy provider.
    std::vector<std::string> args = {node_path,   "--openssl-legacy-provider",
                                     script_path, "--address",
                                     "127.0.0.1", "--port",
                                     port,        "--directory",
                                     directory,   "--configure-bucket",
                                     bucket_,     "--silent"};
    std::vector<char*> argv;
    for (std::string& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent)
        ::_exit(127);
      ::execv(node_path.c_str(), argv.data());
      ::_exit(127);
    }
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
  TempDir data_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace sluice::testing

/// In a test: skips (fails when CI is set) when s3rver cannot run.
#define SLUICE_REQUIRE_S3RVER() SLUICE_REQUIRE_SERVER(::sluice::testing::S3rver::missing())
