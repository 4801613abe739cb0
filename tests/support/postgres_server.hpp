#pragma once

// A PostgreSQL server of its own for a test: Debian's binaries (/usr/lib/postgresql/<version>/bin),
// a cluster made by initdb in a scratch folder (trust authentication, user `sluice`, fsync off),
// listening on a free loopback port and a socket in that folder. The server refuses to run as
// root, so under root the cluster belongs to the `postgres` user Debian's package creates and
// the commands run through runuser. Stopped (pg_ctl -m immediate) by the destructor, also when
// the test fails.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

#include <pwd.h>
#include <unistd.h>

#include "support/loopback.hpp"

namespace sluice::testing {

/// The folder of initdb and pg_ctl (the newest version installed), or nullopt.
inline std::optional<std::filesystem::path> find_postgres_bindir() {
  namespace fs = std::filesystem;
  std::optional<fs::path> newest;
  int newest_version = -1;
  std::error_code ignored;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ignored)) {
    const fs::path bin = entry.path() / "bin";
    const int version = std::atoi(entry.path().filename().c_str());
    if (fs::exists(bin / "initdb") && fs::exists(bin / "pg_ctl") && version > newest_version) {
      newest = bin;
      newest_version = version;
    }
  }
  return newest;
}

/// Why no PostgreSQL server can run here, or "" (for SLUICE_REQUIRE_SERVER).
inline std::string postgres_missing() {
  if (!find_postgres_bindir()) {
    return "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); run "
           "scripts/setup.sh (it installs Debian's postgresql)";
  }
  if (::geteuid() == 0 && ::getpwnam("postgres") == nullptr) {
    return "running as root, and there is no 'postgres' user to run the server as (Debian's "
           "postgresql package creates it); run scripts/setup.sh";
  }
  return "";
}

class PostgresServer {
 public:
  explicit PostgresServer(std::filesystem::path folder)
      : bin_(*find_postgres_bindir()), folder_(std::move(folder) / "postgres") {
    namespace fs = std::filesystem;
    fs::create_directories(folder_);
    if (::geteuid() == 0) {
      const passwd* user = ::getpwnam("postgres");
      if (user == nullptr || ::chown(folder_.c_str(), user->pw_uid, user->pw_gid) != 0) {
        throw std::runtime_error("cannot give " + folder_.string() + " to the postgres user");
      }
      as_user_ = "runuser -u postgres -- ";
    }
    run(quoted(bin_ / "initdb") + " -D " + quoted(folder_ / "data") +
            " -A trust -U sluice -E UTF8 --locale=C --no-sync",
        "initdb");
    for (int attempt = 0; attempt < 10; ++attempt) {
      port_ = free_loopback_port();
      if (start_server()) {
        return;
      }
    }
    throw std::runtime_error("could not start PostgreSQL on a free loopback port; see " +
                             (folder_ / "server.log").string());
  }
  ~PostgresServer() { stop(); }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  /// A URL of the `postgres` database; `password` is written into it (trust ignores it).
  std::string url(const std::string& password = {}) const {
    return "postgresql://sluice" + (password.empty() ? "" : ":" + password) +
           "@127.0.0.1:" + std::to_string(port_) + "/postgres";
  }

  void stop() {
    if (running_) {
      run(quoted(bin_ / "pg_ctl") + " -D " + quoted(folder_ / "data") + " -m immediate -w stop",
          "pg_ctl stop");
      running_ = false;
    }
  }
  /// Starts it again on the same port.
  void start() {
    if (!running_ && !start_server()) {
      throw std::runtime_error("could not restart PostgreSQL on port " + std::to_string(port_));
    }
  }

 private:
  static std::string quoted(const std::filesystem::path& path) { return "'" + path.string() + "'"; }

  void run(const std::string& command, const char* what) const {
    const std::string log = (folder_ / "commands.log").string();
    const std::string line = as_user_ + command + " >>'" + log + "' 2>&1";
    if (std::system(line.c_str()) != 0) {
      std::ifstream in(log);
      std::stringstream text;
      text << in.rdbuf();
      throw std::runtime_error(std::string(what) + " failed: " + line + "\n" + text.str());
    }
  }

  bool start_server() {
    const std::string options = "-p " + std::to_string(port_) +
                                " -c listen_addresses=127.0.0.1 -c fsync=off -k " +
                                folder_.string();
    const std::string line = as_user_ + quoted(bin_ / "pg_ctl") + " -D " +
                             quoted(folder_ / "data") + " -w -t 30 -l " +
                             quoted(folder_ / "server.log") + " -o '" + options + "' start" +
                             " >>'" + (folder_ / "commands.log").string() + "' 2>&1";
    running_ = std::system(line.c_str()) == 0 && loopback_port_answers(port_);
    return running_;
  }

  std::filesystem::path bin_;
  std::filesystem::path folder_;
  std::string as_user_;
  int port_ = 0;
  bool running_ = false;
};

}  // namespace sluice::testing
