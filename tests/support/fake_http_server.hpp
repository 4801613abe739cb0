#pragma once

#include <atomic>
#include <cctype>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sluice::testing {

/// A request as the fake server received it; header names lower-cased.
struct HttpRequest {
  std::string method;
  std::string target;  // path and query, as sent
  std::map<std::string, std::string> headers;
  std::string body;

  std::string header(const std::string& name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? std::string() : found->second;
  }
};

/// What the fake server does with a request: answer, or reset the connection (RST, no answer).
struct HttpReply {
  int status = 200;
  std::string body = {};
  std::map<std::string, std::string> headers = {};
  bool reset = false;
};

/// A tiny HTTP/1.1 server on a free loopback port for fault injection: every request goes to
/// the handler (from the server's one thread), and each connection closes after its answer.
/// Stopped and joined in the destructor.
class FakeHttpServer {
 public:
  using Handler = std::function<HttpReply(const HttpRequest&)>;

  explicit FakeHttpServer(Handler handler) : handler_(std::move(handler)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int yes = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        ::listen(listener_, 64) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ::close(listener_);
      throw std::runtime_error("the fake HTTP server could not listen on loopback");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeHttpServer() {
    stopping_ = true;
    thread_.join();
    ::close(listener_);
  }
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  /// Every request received so far.
  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void serve() {
    while (!stopping_) {
      pollfd ready{listener_, POLLIN, 0};
      if (::poll(&ready, 1, 20) <= 0)
        continue;
      const int connection = ::accept(listener_, nullptr, nullptr);
      if (connection < 0)
        continue;
      handle(connection);
    }
  }

  static bool read_request(int connection, HttpRequest& request) {
    std::string data;
    char buffer[65536];
    std::size_t header_end = std::string::npos;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
      const ssize_t got = ::recv(connection, buffer, sizeof(buffer), 0);
      if (got <= 0)
        return false;
      data.append(buffer, static_cast<std::size_t>(got));
    }
    const std::string head = data.substr(0, header_end);
    std::size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const auto space = request_line.find(' ');
    request.method = request_line.substr(0, space);
    request.target = request_line.substr(space + 1, request_line.rfind(' ') - space - 1);
    while (line_end != std::string::npos && line_end < head.size()) {
      const std::size_t next = head.find("\r\n", line_end + 2);
      const std::string line = head.substr(
          line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name)
          c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const auto value_begin = line.find_first_not_of(' ', colon + 1);
        request.headers[name] = value_begin == std::string::npos ? "" : line.substr(value_begin);
      }
      line_end = next;
    }
    const std::size_t length = request.headers.contains("content-length")
                                   ? std::stoul(request.headers["content-length"])
                                   : 0;
    request.body = data.substr(header_end + 4);
    while (request.body.size() < length) {
      const ssize_t got = ::recv(connection, buffer, sizeof(buffer), 0);
      if (got <= 0)
        return false;
      request.body.append(buffer, static_cast<std::size_t>(got));
    }
    return true;
  }

  void handle(int connection) {
    HttpRequest request;
    if (!read_request(connection, request)) {
      ::close(connection);
      return;
    }
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    const HttpReply reply = handler_(request);
    if (reply.reset) {
      const linger abort_on_close{1, 0};
      ::setsockopt(connection, SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close));
      ::close(connection);
      return;
    }
    std::string answer = "HTTP/1.1 " + std::to_string(reply.status) + " Fake\r\n";
    for (const auto& [name, value] : reply.headers)
      answer += name + ": " + value + "\r\n";
    if (request.method != "HEAD" || !reply.headers.contains("Content-Length"))
      answer += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
    answer += "Connection: close\r\n\r\n";
    if (request.method != "HEAD")
      answer += reply.body;
    std::size_t sent = 0;
    while (sent < answer.size()) {
      const ssize_t wrote =
          ::send(connection, answer.data() + sent, answer.size() - sent, MSG_NOSIGNAL);
      if (wrote <= 0)
        break;
      sent += static_cast<std::size_t>(wrote);
    }
    ::close(connection);
  }

  Handler handler_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<HttpRequest> requests_;
};

/// An S3 error answer as S3 writes it.
inline HttpReply s3_error(int status, const std::string& code, const std::string& message) {
  return {status,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + code + "</Code><Message>" +
              message + "</Message><RequestId>fake</RequestId></Error>",
          {{"Content-Type", "application/xml"}},
          false};
}

}  // namespace sluice::testing
