#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/clock.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/export.hpp>

namespace sluice::s3 {

/// An access key pair and, for temporary credentials, a session token. Never logged, never in
/// an error message.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  /// Where they came from, for error messages: "credentials 'dev_s3' (conf/local/...:3:3)",
  /// "environment (AWS_ACCESS_KEY_ID)", "~/.aws/credentials profile 'default'"...
  std::string source;
};

/// How a bucket appears in the URL: `https://host/bucket/key` (path style) or
/// `https://bucket.host/key` (virtual-host style). `automatic`: path style for a custom
/// endpoint (s3rver, MinIO...), virtual-host style for AWS.
enum class Addressing { automatic, path, virtual_host };

/// Retries of 5xx answers, SlowDown/429, timeouts and connection resets: exponential backoff
/// with full jitter (a delay drawn from [0, min(max_delay, base_delay * 2^retry)]), at most
/// `max_attempts` attempts in all and no retry that would end after `max_total_time`. A 4xx
/// answer is never retried.
struct RetryOptions {
  int max_attempts = 5;
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{5000};
  std::chrono::milliseconds max_total_time{60000};
};

struct TimeoutOptions {
  std::chrono::milliseconds connect{5000};
  /// A transfer slower than 1 KiB/s for this long is a timeout (retried); large objects get
  /// all the time they need while they move.
  std::chrono::milliseconds stall{30000};
};

struct S3Options {
  /// Empty: AWS, `https://s3.<region>.amazonaws.com`.
  std::string endpoint_url;
  std::string region = "us-east-1";
  Addressing addressing = Addressing::automatic;
  Credentials credentials;
  RetryOptions retry;
  TimeoutOptions timeouts;
  /// put_object uploads an object of this size or more in parts (S3's minimum part size is
  /// 5 MiB, except for the last part).
  std::size_t multipart_threshold = 8u << 20;
  std::size_t part_size = 8u << 20;
  /// Parts uploaded at the same time.
  int parallel_parts = 4;
  /// A folder where put_object records each multipart upload while its parts are sent (one
  /// small file, removed once the upload is completed or aborted), so that a later process can
  /// abort what a killed one left: abort_dead_uploads(). Empty: not recorded.
  std::filesystem::path upload_journal;
  /// Backoff sleeps and the retry time bound go through this clock (null: real time).
  std::shared_ptr<const Clock> clock;
};

/// A failed S3 request: names the operation, the object (s3://bucket/key) and the endpoint,
/// the HTTP status and S3's error code and message, and what to do. Never holds a credential.
class SLUICE_API S3Error : public Error {
 public:
  S3Error(const std::string& message, long http_status, std::string code);
  ~S3Error() override;

  /// 0 when no answer came (connection refused, reset, timeout).
  long http_status() const { return http_status_; }
  /// S3's error code (`NoSuchBucket`, `AccessDenied`...), or "" when the answer had none.
  const std::string& code() const { return code_; }

 private:
  long http_status_;
  std::string code_;
};

struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;
  std::string last_modified;
};

struct ListOptions {
  std::string prefix = {};
  std::string delimiter = {};
  std::string continuation_token = {};
  /// 0: the server's default (1000).
  int max_keys = 0;
};

/// One page of ListObjectsV2.
struct ListPage {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes;
  /// Non-empty when there are more pages: pass it as ListOptions::continuation_token.
  std::string next_continuation_token;
};

struct MultipartUpload {
  std::string key;
  std::string upload_id;
  std::string initiated;
};

/// What abort_dead_uploads() did.
struct DeadUploadCleanup {
  std::vector<MultipartUpload> aborted;
  /// One message per upload that could not be aborted: it stays in the journal.
  std::vector<std::string> failures;
};

struct CompletedPart {
  int part_number = 0;
  std::string etag;
};

/// A small S3 client on libcurl. Requests are signed by libcurl (SigV4, `aws:amz:<region>:s3`)
/// with the payload's SHA-256 sent as `x-amz-content-sha256`. Thread-safe: concurrent calls
/// take handles from a pool.
class SLUICE_API S3Client {
 public:
  explicit S3Client(S3Options options);
  ~S3Client();
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  const S3Options& options() const;

  /// Stores `data` under `key`, in parts uploaded in parallel when it is at least
  /// multipart_threshold long. Visible only once complete; a failed multipart upload is aborted.
  void put_object(std::string_view bucket, std::string_view key, std::string_view data);
  /// The object's bytes, received into one buffer sized from Content-Length.
  std::string get_object(std::string_view bucket, std::string_view key);
  /// The object's size and ETag, or nullopt when there is no such key.
  std::optional<ObjectInfo> head_object(std::string_view bucket, std::string_view key);
  bool exists(std::string_view bucket, std::string_view key);
  ListPage list_objects_v2(std::string_view bucket, const ListOptions& options);
  /// Every object under `prefix`, following continuation tokens.
  std::vector<ObjectInfo> list_all_objects(std::string_view bucket, std::string_view prefix);
  /// Deleting a missing key succeeds, as in S3.
  void delete_object(std::string_view bucket, std::string_view key);

  /// Multipart upload, step by step (put_object does all of it).
  std::string create_multipart_upload(std::string_view bucket, std::string_view key);
  /// The part's ETag. Part numbers start at 1.
  std::string upload_part(std::string_view bucket, std::string_view key, std::string_view upload_id,
                          int part_number, std::string_view data);
  void complete_multipart_upload(std::string_view bucket, std::string_view key,
                                 std::string_view upload_id,
                                 const std::vector<CompletedPart>& parts);
  void abort_multipart_upload(std::string_view bucket, std::string_view key,
                              std::string_view upload_id);
  /// Uploads in progress under `prefix`: what a killed run left; abort them to clean up.
  std::vector<MultipartUpload> list_multipart_uploads(std::string_view bucket,
                                                      std::string_view prefix);
  /// Aborts every upload in progress under `prefix`; returns how many.
  std::size_t abort_multipart_uploads(std::string_view bucket, std::string_view prefix);
  /// Aborts the multipart uploads to this endpoint and `bucket` that options().upload_journal
  /// records for processes that are gone (a pid of this host that no longer runs, or runs
  /// another program, or ran before the last boot). Uploads of live processes, and of other
  /// hosts, are never touched. An upload S3 no longer knows (NoSuchUpload) counts as aborted.
  DeadUploadCleanup abort_dead_uploads(std::string_view bucket);

  /// The URL a request for `key` goes to (addressing and endpoint applied).
  std::string object_url(std::string_view bucket, std::string_view key) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::s3
