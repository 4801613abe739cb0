#pragma once

// The iris project's intermediates on the servers the tests start (s3rver, redis-server): the
// catalog entries and credentials.yml that put them there, what a run stored (read back raw), and
// how often a run read each of them back (GETs, counted by the servers).

#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <sluice/storage/s3_client.hpp>

#include "support/redis_server.hpp"
#include "support/s3rver.hpp"

namespace sluice::testing {

/// The five intermediates of the iris pipeline, each with where a local run keeps it (under data/).
struct IrisIntermediate {
  std::string name;
  std::string path;
};

inline const std::vector<IrisIntermediate>& iris_intermediates() {
  static const std::vector<IrisIntermediate> intermediates = {
      {"X_train", "05_model_input/X_train.bin"},
      {"X_test", "05_model_input/X_test.bin"},
      {"y_train", "05_model_input/y_train.bin"},
      {"y_test", "05_model_input/y_test.bin"},
      {"y_pred", "07_model_output/y_pred.bin"}};
  return intermediates;
}

/// The iris intermediates on an s3rver (at s3://<bucket>/<path>, as a BinaryDataset) and/or a
/// redis-server (at the key iris:<name>, as a RedisDataset); either server may be absent.
class IrisOnServers {
 public:
  /// The credentials.yml entry of the s3rver's keys.
  static constexpr const char* s3_credentials = "iris_s3";

  IrisOnServers(S3rver* s3, RedisServer* redis) : s3_(s3), redis_(redis) {
    if (s3_ != nullptr) {
      s3::S3Options options;
      options.endpoint_url = s3_->endpoint();
      options.credentials = {S3rver::access_key, S3rver::secret_key, "", "test"};
      client_.emplace(options);
    }
    if (redis_ != nullptr && redis_password_.empty())
      monitor_.emplace(redis_->port());
  }

  /// A Redis server started with --requirepass: the entries name credentials `iris_redis`, and
  /// nothing is read back or counted from it (the raw connection has no password).
  IrisOnServers(RedisServer* redis, std::string password)
      : s3_(nullptr), redis_(redis), redis_password_(std::move(password)) {}

  /// credentials.yml with the servers' keys.
  std::string credentials_yml() const {
    std::string yml;
    if (s3_ != nullptr)
      yml += fmt::format("{}:\n  key: {}\n  secret: {}\n", s3_credentials, S3rver::access_key,
                         S3rver::secret_key);
    if (!redis_password_.empty())
      yml += fmt::format("iris_redis:\n  password: {}\n", redis_password_);
    return yml;
  }

  /// A catalog entry putting the intermediate `name` on S3 (with the endpoint and credentials).
  std::string s3_entry(const std::string& name) const {
    return fmt::format(
        "{}:\n  type: BinaryDataset\n  filepath: s3://{}/{}\n  credentials: {}\n"
        "  fs_args:\n    endpoint_url: {}\n    region_name: eu-west-1\n",
        name, s3_->bucket(), path_of(name), s3_credentials, s3_->endpoint());
  }

  /// A catalog entry putting the intermediate `name` in Redis; `extra` are more lines of it.
  std::string redis_entry(const std::string& name, const std::string& extra = "") const {
    return fmt::format("{}:\n  type: RedisDataset\n  key: {}\n  url: {}\n{}{}", name,
                       redis_key(name), redis_->url(),
                       redis_password_.empty() ? "" : "  credentials: iris_redis\n", extra);
  }

  /// The catalog of every intermediate: those in `on_redis` in Redis, the others on S3.
  std::string catalog(const std::vector<std::string>& on_redis = {}) const {
    std::string yml;
    for (const auto& intermediate : iris_intermediates()) {
      const bool redis =
          std::find(on_redis.begin(), on_redis.end(), intermediate.name) != on_redis.end();
      yml += redis ? redis_entry(intermediate.name) : s3_entry(intermediate.name);
    }
    return yml;
  }

  /// reads() of a run that read nothing back.
  static std::map<std::string, std::size_t> no_reads() {
    std::map<std::string, std::size_t> none;
    for (const auto& intermediate : iris_intermediates())
      none[intermediate.name] = 0;
    return none;
  }

  static std::string redis_key(const std::string& name) { return "iris:" + name; }
  static const std::string& path_of(const std::string& name) {
    for (const auto& intermediate : iris_intermediates())
      if (intermediate.name == name)
        return intermediate.path;
    throw std::invalid_argument("'" + name + "' is not an iris intermediate");
  }

  s3::S3Client& s3_client() { return *client_; }

  /// The bytes each intermediate has on the servers (raw: the object, the RedisDataset's chunks),
  /// nullopt where it has none (on S3 where there is no s3rver, in Redis where there is none).
  std::map<std::string, std::optional<std::string>> stored() {
    const std::map<std::string, std::size_t> before = reads();
    std::map<std::string, std::optional<std::string>> bytes;
    for (const auto& [name, path] : iris_intermediates()) {
      std::optional<std::string> found;
      if (client_ && client_->exists(s3_->bucket(), path))
        found = client_->get_object(s3_->bucket(), path);
      if (!found && monitor_)
        found = redis_dataset_bytes(redis_->port(), redis_key(name));
      bytes[name] = found;
    }
    (void)reads();  // the reads just made are not a run's
    pending_ = before;
    return bytes;
  }

  /// Deletes every intermediate from the servers (a run that follows must write them again).
  void remove_all() {
    for (const auto& [name, path] : iris_intermediates()) {
      if (client_)
        client_->delete_object(s3_->bucket(), path);
      if (monitor_)
        RedisConnection(redis_->port()).command({"DEL", redis_key(name)});
    }
  }

  /// How often each intermediate was read back from the servers since the last call (stored()'s
  /// own reads left out): S3 object GETs, and GETs of the RedisDataset's manifest and chunks
  /// (<key>, <key>:<write id>:<n>).
  std::map<std::string, std::size_t> reads() {
    std::map<std::string, std::size_t> count;
    for (const auto& intermediate : iris_intermediates())
      count[intermediate.name] = pending_[intermediate.name];
    pending_.clear();
    if (s3_ != nullptr)
      for (const std::string& key : s3_->object_gets())
        for (const auto& [name, path] : iris_intermediates())
          count[name] += key == path ? 1 : 0;
    if (monitor_)
      for (const std::string& key : monitor_->gets())
        for (const auto& intermediate : iris_intermediates()) {
          const std::string own = redis_key(intermediate.name);
          count[intermediate.name] += key == own || key.starts_with(own + ":") ? 1 : 0;
        }
    return count;
  }

 private:
  S3rver* s3_;
  RedisServer* redis_;
  std::string redis_password_;
  std::optional<s3::S3Client> client_;
  std::optional<RedisMonitor> monitor_;
  std::map<std::string, std::size_t> pending_;  // reads() of before stored()
};

/// An s3rver with one bucket and a redis-server (no password), each on a free loopback port, and
/// the iris intermediates on them. Construct it after SLUICE_REQUIRE_S3RVER() and
/// SLUICE_REQUIRE_SERVER(redis_missing()).
struct S3AndRedis {
  explicit S3AndRedis(std::string bucket)
      : s3(std::move(bucket)),
        redis(*find_redis_server(), redis_folder.path()),
        iris(&s3, &redis) {}

  S3rver s3;
  TempDir redis_folder;
  RedisServer redis;
  IrisOnServers iris;
};

}  // namespace sluice::testing
