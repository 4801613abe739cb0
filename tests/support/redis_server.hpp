#pragma once

// A redis-server of its own for a test or a benchmark: Debian's binary on a free loopback port,
// persistence off, in a scratch folder; stopped (SIGKILL, reaped) by the destructor, also when the
// test fails. Header-only, no hiredis: readiness is a PING over a plain socket.

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
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

/// A plain-socket RESP connection to a loopback redis-server (no password), for what a test reads
/// from the server itself: commands and their replies, the lines of MONITOR.
class RedisConnection {
 public:
  explicit RedisConnection(int port) : fd_(connect_loopback(port)) {
    if (fd_ < 0)
      throw std::runtime_error("redis-server does not answer on port " + std::to_string(port));
  }
  ~RedisConnection() { ::close(fd_); }
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  /// Sends a command; its reply is a string (simple, bulk or an integer's digits), nullopt for
  /// nil; an error or an array throws.
  std::optional<std::string> command(const std::vector<std::string>& args) {
    std::string request = "*" + std::to_string(args.size()) + "\r\n";
    for (const std::string& arg : args)
      request += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size()))
      throw std::runtime_error("redis-server closed the connection");
    const std::string head = line();
    if (head.starts_with("+") || head.starts_with(":"))
      return head.substr(1);
    if (head.starts_with("$-1"))
      return std::nullopt;
    if (head.starts_with("$")) {
      const std::size_t size = std::stoul(head.substr(1));
      while (buffer_.size() < size + 2)
        fill();
      std::string bulk = buffer_.substr(0, size);
      buffer_.erase(0, size + 2);
      return bulk;
    }
    throw std::runtime_error("redis-server answered " + args.front() + " with " + head);
  }

  /// The next line the server sends, without its CRLF (waits up to 10 s).
  std::string line() {
    std::size_t end = 0;
    while ((end = buffer_.find("\r\n")) == std::string::npos)
      fill();
    std::string text = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    return text;
  }

 private:
  void fill() {
    pollfd ready{fd_, POLLIN, 0};
    char chunk[65536];
    const ssize_t got = ::poll(&ready, 1, 10000) == 1 ? ::read(fd_, chunk, sizeof chunk) : -1;
    if (got <= 0)
      throw std::runtime_error("redis-server sent nothing for 10 s, or closed the connection");
    buffer_.append(chunk, static_cast<std::size_t>(got));
  }

  int fd_;
  std::string buffer_;
};

/// The keys a redis-server was asked to GET, seen through MONITOR from construction on.
class RedisMonitor {
 public:
  explicit RedisMonitor(int port) : port_(port), monitor_(port) { monitor_.command({"MONITOR"}); }

  /// The keys of the GET commands the server ran since the last call (or construction).
  std::vector<std::string> gets() {
    // MONITOR shows commands in the order the server runs them: once the mark's PING shows, the
    // commands of every run that has ended have shown too.
    const std::string mark = "sluice-monitor-mark-" + std::to_string(++marks_);
    RedisConnection(port_).command({"PING", mark});
    std::vector<std::string> keys;
    for (;;) {
      // +<time> [<db> <client>] "<command>" "<arg>" ...
      const std::string text = monitor_.line();
      const std::size_t args = text.find("] \"");
      if (args == std::string::npos)
        continue;
      std::size_t at = args + 2;
      const std::string command = quoted(text, at);
      const std::string first = quoted(text, at);
      if ((command == "PING" || command == "ping") && first == mark)
        return keys;
      if (command == "GET" || command == "get")
        keys.push_back(first);
    }
  }

 private:
  // The quoted, escaped argument at `at` ("a\"b\x00"), and moves `at` past it.
  static std::string quoted(const std::string& text, std::size_t& at) {
    std::string value;
    if (at >= text.size() || text[at] != '"')
      return value;
    for (++at; at < text.size() && text[at] != '"'; ++at) {
      if (text[at] == '\\' && at + 1 < text.size()) {
        const char escaped = text[++at];
        if (escaped == 'x' && at + 2 < text.size()) {
          value += static_cast<char>(std::stoi(text.substr(at + 1, 2), nullptr, 16));
          at += 2;
        } else {
          value += escaped == 'n' ? '\n' : escaped == 'r' ? '\r' : escaped == 't' ? '\t' : escaped;
        }
      } else {
        value += text[at];
      }
    }
    at += 2;  // the closing quote and the space after it
    return value;
  }

  int port_;
  RedisConnection monitor_;
  int marks_ = 0;
};

/// The bytes a RedisDataset stored at `key`, read raw: its manifest "sluice-redis/1 <write id>
/// <chunks> <bytes>" names the chunks <key>:<write id>:<n>, concatenated here; nullopt if none.
inline std::optional<std::string> redis_dataset_bytes(int port, const std::string& key) {
  RedisConnection redis(port);
  const std::optional<std::string> manifest = redis.command({"GET", key});
  if (!manifest)
    return std::nullopt;
  std::istringstream fields(*manifest);
  std::string tag, write_id;
  std::size_t chunks = 0;
  fields >> tag >> write_id >> chunks;
  if (tag != "sluice-redis/1")
    throw std::runtime_error("'" + key + "' holds no RedisDataset manifest: " + *manifest);
  std::string bytes;
  for (std::size_t n = 0; n < chunks; ++n) {
    const auto chunk = redis.command({"GET", key + ":" + write_id + ":" + std::to_string(n)});
    if (!chunk)
      throw std::runtime_error("chunk " + std::to_string(n) + " of '" + key + "' is missing");
    bytes += *chunk;
  }
  return bytes;
}

}  // namespace sluice::testing
