#pragma once

// A redis-server of its own for a test or a benchmark: Debian's binary on a free loopback port,
// persistence off, in a scratch folder; stopped (SIGKILL, reaped) by the destructor, also when the
// test fails. Header-only, no hiredis: readiness is a PING over a plain socket.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/loopback.hpp"

extern char** environ;

namespace sluice::testing {

/// The redis-server binary on PATH (or /usr/bin, /usr/sbin), or nullopt.
inline std::optional<std::filesystem::path> find_redis_server() {
  return find_program("redis-server", {"/usr/bin", "/usr/sbin"});
}

/// What to say when redis-server is missing (tests FAIL with it under CI, else skip).
inline const char* kRedisMissing =
    "redis-server is not installed; run scripts/setup.sh (it installs Debian's redis-server)";

/// Why no redis-server can run here, or "" (for SLUICE_REQUIRE_SERVER).
inline std::string redis_missing() {
  return find_redis_server() ? "" : kRedisMissing;
}

class RedisServer {
 public:
  /// Starts a server; `extra` are more arguments (e.g. {"--requirepass", "s3cret"}).
  RedisServer(std::filesystem::path binary, std::filesystem::path folder,
              std::vector<std::string> extra = {})
      : binary_(std::move(binary)), folder_(std::move(folder)), extra_(std::move(extra)) {
    for (int attempt = 0; attempt < 20; ++attempt) {
      port_ = free_loopback_port();
      if (start()) {
        return;
      }
    }
    throw std::runtime_error("could not start redis-server on a free loopback port");
  }
  ~RedisServer() { stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url(int db = 0) const {
    return "redis://127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
  }
  bool running() const { return pid_ > 0; }

  /// Kills the server and waits for it.
  void stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }
  /// Starts it again on the same port (empty: persistence is off).
  void restart() {
    stop();
    for (int attempt = 0; attempt < 50; ++attempt) {
      if (start()) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("could not restart redis-server on port " + std::to_string(port_));
  }

 private:
  // True once the server answers PING (any reply: +PONG, or -NOAUTH with a password).
  bool answers() const {
    const int fd = connect_loopback(port_);
    if (fd < 0)
      return false;
    const char ping[] = "PING\r\n";
    char reply[64] = {};
    const bool ok = ::send(fd, ping, sizeof ping - 1, MSG_NOSIGNAL) == sizeof ping - 1 &&
                    ::read(fd, reply, 1) == 1 && (reply[0] == '+' || reply[0] == '-');
    ::close(fd);
    return ok;
  }

  bool start() {
    std::vector<std::string> args{binary_.string(),
                                  "--port",
                                  std::to_string(port_),
                                  "--bind",
                                  "127.0.0.1",
                                  "--save",
                                  "",
                                  "--appendonly",
                                  "no",
                                  "--dir",
                                  folder_.string(),
                                  "--daemonize",
                                  "no",
                                  "--loglevel",
                                  "warning",
                                  "--logfile",
                                  (folder_ / "redis.log").string()};
    args.insert(args.end(), extra_.begin(), extra_.end());
    std::vector<char*> argv;
    for (auto& arg : args)
      argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    if (::posix_spawn(&pid, binary_.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot run " + binary_.string());
    }
    pid_ = pid;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (answers()) {
        return true;
      }
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: port taken, try another
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop();
    return false;
  }

  std::filesystem::path binary_;
  std::filesystem::path folder_;
  std::vector<std::string> extra_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace sluice::testing
