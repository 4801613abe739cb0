#pragma once

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

#include "support/fake_http_server.hpp"
#include "support/loopback.hpp"

namespace sluice::testing {

/// Holds S3 UploadPart requests while armed, so that a test can kill an uploader while its
/// parts are on their way. A held request waits until release() (or 30 s at most, so a failed
/// test never hangs).
class PartStall {
 public:
  void arm() {
    std::lock_guard lock(mutex_);
    armed_ = true;
  }
  /// Whether an UploadPart is held now.
  bool holding() {
    std::lock_guard lock(mutex_);
    return holding_ > 0;
  }
  /// Lets the held requests go on and disarms.
  void release() {
    std::lock_guard lock(mutex_);
    armed_ = false;
    changed_.notify_all();
  }
  /// Called by a handler for every request.
  void hold_if_a_part(const HttpRequest& request) {
    if (request.method != "PUT" || request.target.find("partNumber=") == std::string::npos)
      return;
    std::unique_lock lock(mutex_);
    if (!armed_)
      return;
    ++holding_;
    changed_.notify_all();
    changed_.wait_for(lock, std::chrono::seconds(30), [this] { return !armed_; });
    --holding_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool armed_ = false;
  int holding_ = 0;
};

/// Sends `request` to the HTTP server on loopback `port` (HTTP/1.0, one connection) and returns
/// its answer: a FakeHttpServer in front of a real server, to hold or inspect its traffic.
inline HttpReply forward_to(int port, const HttpRequest& request) {
  const int connection = connect_loopback(port);
  if (connection < 0)
    return {.reset = true};
  std::string out = request.method + " " + request.target + " HTTP/1.0\r\n";
  for (const auto& [name, value] : request.headers) {
    if (name != "connection")
      out += name + ": " + value + "\r\n";
  }
  out += "Connection: close\r\n\r\n" + request.body;
  for (std::size_t sent = 0; sent < out.size();) {
    const ssize_t wrote = ::send(connection, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (wrote <= 0)
      break;
    sent += static_cast<std::size_t>(wrote);
  }
  std::string in;
  char buffer[65536];
  for (ssize_t got; (got = ::recv(connection, buffer, sizeof(buffer), 0)) > 0;)
    in.append(buffer, static_cast<std::size_t>(got));
  ::close(connection);
  const auto head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos)
    return {.reset = true};
  HttpReply reply;
  reply.status = std::stoi(in.substr(in.find(' ') + 1, 3));
  reply.body = in.substr(head_end + 4);
  for (std::size_t line = in.find("\r\n") + 2; line < head_end;) {
    const std::size_t next = in.find("\r\n", line);
    const std::string text = in.substr(line, next - line);
    const auto colon = text.find(':');
    std::string name = text.substr(0, colon);
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // The fake server writes its own framing; a HEAD answer keeps the object's length.
    if (colon != std::string::npos && name != "connection" && name != "transfer-encoding" &&
        name != "keep-alive" && (name != "content-length" || request.method == "HEAD"))
      reply.headers[name == "content-length" ? "Content-Length" : name] =
          text.substr(text.find_first_not_of(' ', colon + 1));
    line = next + 2;
  }
  return reply;
}

/// An in-memory S3 with what a sluice run needs: objects (PUT, GET, HEAD, DELETE) and the
/// multipart API, ListMultipartUploads and AbortMultipartUpload included (which s3rver lacks).
class FakeS3 {
 public:
  HttpReply operator()(const HttpRequest& request) {
    stall.hold_if_a_part(request);
    std::lock_guard lock(mutex_);
    const auto question = request.target.find('?');
    const std::string path = request.target.substr(0, question);
    const std::string query =
        question == std::string::npos ? "" : request.target.substr(question + 1);
    const auto second_slash = path.find('/', 1);
    const std::string key = second_slash == std::string::npos ? "" : path.substr(second_slash + 1);
    const auto param = [&query](const std::string& name) {
      const auto at = ("&" + query).find("&" + name + "=");
      if (at == std::string::npos)
        return std::string();
      const auto begin = at + name.size() + 1;
      return query.substr(begin, query.find('&', begin) - begin);
    };
    const std::string upload_id = param("uploadId");
    if (request.method == "POST" && query == "uploads=") {
      const std::string id = "upload" + std::to_string(++next_id_);
      uploads_[id] = {key, {}};
      return {200, "<InitiateMultipartUploadResult><UploadId>" + id +
                       "</UploadId></InitiateMultipartUploadResult>"};
    }
    if (!upload_id.empty() && !uploads_.contains(upload_id))
      return s3_error(404, "NoSuchUpload", "The specified upload does not exist.");
    if (request.method == "PUT" && !upload_id.empty()) {
      if (fail_part_ == param("partNumber"))
        return s3_error(400, "InvalidPart", "The part was rejected.");
      uploads_[upload_id].parts[std::stoi(param("partNumber"))] = request.body;
      return {200, "", {{"ETag", "\"part" + param("partNumber") + "\""}}};
    }
    if (request.method == "POST" && !upload_id.empty()) {
      std::string object;
      for (const auto& [number, bytes] : uploads_[upload_id].parts)
        object += bytes;
      objects_[uploads_[upload_id].key] = std::move(object);
      uploads_.erase(upload_id);
      return {200, "<CompleteMultipartUploadResult/>"};
    }
    if (request.method == "DELETE" && !upload_id.empty()) {
      aborted_.push_back(upload_id);
      uploads_.erase(upload_id);
      return {204};
    }
    if (request.method == "GET" && ("&" + query + "&").find("&uploads=&") != std::string::npos) {
      std::string body = "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>";
      for (const auto& [id, upload] : uploads_)
        body += "<Upload><Key>" + upload.key + "</Key><UploadId>" + id + "</UploadId></Upload>";
      return {200, body + "</ListMultipartUploadsResult>"};
    }
    const auto object = objects_.find(key);
    if (request.method == "PUT") {
      objects_[key] = request.body;
      return {200, "", {{"ETag", "\"object\""}}};
    }
    if (request.method == "DELETE") {
      objects_.erase(key);
      return {204};
    }
    if (object == objects_.end())
      return request.method == "HEAD" ? HttpReply{404}
                                      : s3_error(404, "NoSuchKey", "The key does not exist.");
    if (request.method == "HEAD")
      return {200, "", {{"Content-Length", std::to_string(object->second.size())}}};
    if (request.method == "GET")
      return {200, object->second};
    return s3_error(400, "Unexpected", request.method + " " + request.target);
  }

  /// UploadPart of this part number answers 400 InvalidPart.
  void fail_part(std::string number) {
    std::lock_guard lock(mutex_);
    fail_part_ = std::move(number);
  }
  std::vector<std::string> aborted() {
    std::lock_guard lock(mutex_);
    return aborted_;
  }
  std::vector<std::string> uploads_in_progress() {
    std::lock_guard lock(mutex_);
    std::vector<std::string> ids;
    for (const auto& [id, upload] : uploads_)
      ids.push_back(id);
    return ids;
  }
  bool has_object(const std::string& key) {
    std::lock_guard lock(mutex_);
    return objects_.contains(key);
  }
  std::string object(const std::string& key) {
    std::lock_guard lock(mutex_);
    return objects_.at(key);
  }

  PartStall stall;

 private:
  struct Upload {
    std::string key;
    std::map<int, std::string> parts;
  };
  std::mutex mutex_;
  int next_id_ = 0;
  std::string fail_part_;
  std::map<std::string, Upload> uploads_;
  std::map<std::string, std::string> objects_;
  std::vector<std::string> aborted_;
};

}  // namespace sluice::testing
