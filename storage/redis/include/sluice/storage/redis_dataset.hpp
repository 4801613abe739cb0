#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <sluice/core/codec.hpp>
#include <sluice/core/dataset.hpp>
#include <sluice/core/dataset_registry.hpp>

namespace sluice {

class Registrar;

/// Where a RedisDataset keeps its value, and how it talks to the server.
struct RedisOptions {
  /// The manifest key; the chunks live at `<key>:<write id>:<n>`.
  std::string key;
  /// redis://[user:password@]host:port/db
  std::string url = "redis://127.0.0.1:6379/0";
  /// Override the URL's user and password (from credentials.yml).
  std::string username;
  std::string password;
  /// Expiry of the value (manifest and chunks); zero keeps it.
  std::chrono::milliseconds ttl{0};
  /// The value is stored in chunks of this many bytes.
  std::uint64_t chunk_size = std::uint64_t{1} << 20;
  /// Commands in flight at once when writing and reading chunks.
  int pipeline = 8;
  /// Connect and per-command timeout.
  std::chrono::milliseconds timeout{10000};
  /// Fixes the codec by name (empty: by the value's type).
  std::string codec;
};

/// A value in Redis, through the codecs, in the bytes a BinaryDataset writes
/// (encode_binary_frame). Stored as chunks written with windowed pipelining under a fresh key set,
/// then switched to by writing the manifest `<key>` last (SET ... GET, atomic), then the chunks it
/// replaced are deleted: a reader sees the old value or the new one, never a mix, and a value
/// above Redis's 512 MiB single-value cap (proto-max-bulk-len) is fine. Chunks of a write that
/// never finishes expire after an hour.
///
/// Thread-safe: one connection per dataset, used under a mutex; a broken connection is dropped
/// and the next call reconnects. Errors name the dataset, the key and the URL without its
/// password, and say what to do; the password never appears in an error, a log line or describe().
class RedisDataset : public Dataset {
 public:
  RedisDataset(std::string name, RedisOptions options, const CodecRegistry& codecs);
  ~RedisDataset() override;

  Value load() override;
  void save(const Value& value) override;
  bool exists() const override;
  void release() override;
  std::string dataset_type() const override { return "RedisDataset"; }
  std::string describe() const override;

  /// The URL with the password left out: redis://user@host:port/db.
  const std::string& safe_url() const { return safe_url_; }

  struct Connection;  // hiredis, in the .cpp

 private:
  Connection& connection() const;

  std::string name_;
  RedisOptions options_;
  const CodecRegistry& codecs_;
  std::string host_;
  int port_ = 6379;
  int db_ = 0;
  std::string safe_url_;
  mutable std::mutex mutex_;
  mutable std::unique_ptr<Connection> connection_;
};

/// Builds a RedisDataset from a catalog entry: `key` (required), `url`, `ttl` (a duration,
/// "10min"), `chunk_size` (bytes, "1MiB"), `pipeline` (1..1024), `timeout` (a duration),
/// `codec`, and `credentials` with `username` and `password`.
std::shared_ptr<Dataset> make_redis_dataset(const DatasetContext& context);

/// Registers the dataset type RedisDataset.
void register_redis(Registrar& registrar);

}  // namespace sluice
