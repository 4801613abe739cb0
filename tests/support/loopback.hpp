#pragma once

// What the fixtures that start real servers (redis-server, s3rver) share: a free port on
// 127.0.0.1, whether something answers there, finding a program on PATH, and the rule for a
// missing server (a test FAILs under CI, skips elsewhere: never a silent skip in CI).

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sluice::testing {

inline sockaddr_in loopback_address(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  return address;
}

/// A port on 127.0.0.1 nothing listens on right now (the kernel's pick for port 0).
inline int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address = loopback_address(0);
  socklen_t length = sizeof(address);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) {
      ::close(fd);
    }
    throw std::runtime_error("no free loopback port");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

/// A socket connected to 127.0.0.1:port, or -1.
inline int connect_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return -1;
  }
  const sockaddr_in address = loopback_address(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Whether something accepts TCP connections on 127.0.0.1:port.
inline bool loopback_port_answers(int port) {
  const int fd = connect_loopback(port);
  if (fd < 0) {
    return false;
  }
  ::close(fd);
  return true;
}

/// The executable `name` in a folder of PATH, then in `also`, or nullopt.
inline std::optional<std::filesystem::path> find_program(
    const std::string& name, std::initializer_list<const char*> also = {}) {
  const char* path = std::getenv("PATH");
  std::string folders = path == nullptr ? "" : path;
  for (const char* folder : also) {
    folders += std::string(":") + folder;
  }
  std::size_t begin = 0;
  while (begin <= folders.size()) {
    const std::size_t end = std::min(folders.find(':', begin), folders.size());
    if (end > begin) {
      const auto candidate = std::filesystem::path(folders.substr(begin, end - begin)) / name;
      if (::access(candidate.c_str(), X_OK) == 0) {
        return candidate;
      }
    }
    begin = end + 1;
  }
  return std::nullopt;
}

}  // namespace sluice::testing

/// When `missing` (why a server cannot run) is not empty: FAIL under CI, else skip, saying why.
#define SLUICE_REQUIRE_SERVER(missing)            \
  do {                                            \
    const std::string sluice_missing = (missing); \
    if (!sluice_missing.empty()) {                \
      if (std::getenv("CI") != nullptr)           \
        FAIL() << sluice_missing;                 \
      GTEST_SKIP() << sluice_missing;             \
    }                                             \
  } while (false)
