#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/export.hpp>
#include <sluice/core/storage.hpp>
#include <sluice/storage/s3_credentials.hpp>

namespace sluice {
class Registrar;
}

namespace sluice::s3 {

/// `s3://<bucket>/<key>`: the Storage of file datasets on S3 (or s3rver, MinIO...). A path is
/// `<bucket>/<key>`; folders are key prefixes ending in `/`.
///  - read: one GET into one buffer; write: PUT, or a multipart upload above
///    multipart_threshold. Both are atomic in S3: an object is visible only once complete, and a
///    failed multipart upload is aborted.
///  - write_new: HEAD, then PUT when there was no object. S3rver and the S3 this client targets
///    have no conditional PUT, so two runs saving the same version at the same moment race and
///    the last complete PUT wins; version stamps name the run, which makes this unlikely.
///  - list(folder): ListObjectsV2 with prefix `folder/` and delimiter `/`: the names of the
///    objects and "folders" (common prefixes, e.g. versions) directly under it, sorted.
///  - remove: one DELETE (no HEAD first). S3's DELETE is idempotent and answers 204 whether
///    or not the key existed, so remove returns true either way: the object is gone.
///  - claim: nothing. Two processes saving one unversioned S3 object race; the last complete
///    PUT wins (and readers see one whole object or the other).
///  - the first use of a bucket (read, write, exists, list) aborts the multipart uploads that
///    the upload journal (S3Options::upload_journal) records for dead processes of this host,
///    logging what it aborted and warning about what it could not.
/// Client errors (naming the URL, HTTP status, S3 code and what to do, never a credential)
/// become DatasetErrors.
class SLUICE_API S3Storage : public Storage {
 public:
  explicit S3Storage(S3Options options);
  ~S3Storage() override;

  std::string read(const std::string& path) const override;
  void write(const std::string& path, std::string_view bytes) const override;
  bool write_new(const std::string& path, std::string_view bytes) const override;
  bool exists(const std::string& path) const override;
  std::vector<std::string> list(const std::string& folder) const override;
  bool remove(const std::string& path) const override;
  std::string url(const std::string& path) const override { return "s3://" + path; }

  S3Client& client() const { return *client_; }

 private:
  /// Once per bucket: S3Client::abort_dead_uploads, logged; never fails the caller.
  void clean_up_dead_uploads(const std::string& bucket) const;

  std::unique_ptr<S3Client> client_;
  mutable std::mutex cleaned_mutex_;
  mutable std::set<std::string> cleaned_buckets_;
  mutable std::atomic<const std::string*> last_cleaned_{nullptr};  // in cleaned_buckets_
};

/// The options of an `s3://` catalog entry: its `fs_args` over its credentials (resolved with
/// resolve_s3_options: the entry's credentials, else the AWS environment, else
/// ~/.aws/credentials). fs_args: endpoint_url, region_name (or region), client_kwargs:
/// {endpoint_url, region_name} (as s3fs takes them), addressing_style (auto, path, virtual),
/// multipart_threshold, multipart_chunksize, max_concurrency, connect_timeout, read_timeout,
/// retries: {max_attempts, base_delay, max_delay, max_total_time}, upload_journal (a folder;
/// default $XDG_STATE_HOME/sluice/s3-uploads, else ~/.local/state/sluice/s3-uploads). ConfigError
/// naming the entry for a bad bucket or option.
SLUICE_API S3Options s3_options_of(const StorageContext& context,
                                   const Environment& environment = process_environment());

/// The storage of `s3://` for one catalog entry.
SLUICE_API std::shared_ptr<const Storage> make_s3_storage(const StorageContext& context);

/// Registers the `s3` storage scheme (what the s3 plugin does).
SLUICE_API void register_s3(Registrar& registrar);

}  // namespace sluice::s3
