#include <algorithm>
#include <utility>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/error.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/storage/s3_storage.hpp>

namespace sluice::s3 {

namespace {

struct Location {
  std::string bucket;
  std::string key;
};

Location split(const std::string& path) {
  const auto slash = path.find('/');
  if (slash == std::string::npos) {
    return {path, ""};
  }
  return {path.substr(0, slash), path.substr(slash + 1)};
}

/// Runs a client call, turning its S3Error (which names the URL, the status, S3's code and
/// what to do, and no credential) into the DatasetError the Storage contract promises.
template <class Action>
auto guarded(Action&& action) {
  try {
    return action();
  } catch (const S3Error& error) {
    throw DatasetError(error.what());
  }
}

/// "dataset 'x' (CSVDataset)" of "catalog.yml:3:13: dataset 'x' (CSVDataset): option 'filepath'".
std::string entry_name(const std::string& where) {
  const auto begin = where.find("dataset '");
  std::string name = begin == std::string::npos ? where : where.substr(begin);
  if (const auto option = name.find(": option '"); option != std::string::npos) {
    name.resize(option);
  }
  return name;
}

std::chrono::milliseconds millis(std::chrono::nanoseconds duration) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(duration);
}

}  // namespace

S3Storage::S3Storage(S3Options options) : client_(std::make_unique<S3Client>(std::move(options))) {}

S3Storage::~S3Storage() = default;

void S3Storage::clean_up_dead_uploads(const std::string& bucket) const {
  // The common case, every operation after the first on the storage's one bucket: one atomic
  // load and a string comparison, no lock. The string is a node of cleaned_buckets_, which
  // never erases.
  if (const std::string* last = last_cleaned_.load(std::memory_order_acquire);
      last != nullptr && *last == bucket) {
    return;
  }
  {
    const std::lock_guard lock(cleaned_mutex_);
    const auto [cleaned, inserted] = cleaned_buckets_.insert(bucket);
    last_cleaned_.store(&*cleaned, std::memory_order_release);
    if (!inserted) {
      return;
    }
  }
  try {
    const DeadUploadCleanup cleanup = client_->abort_dead_uploads(bucket);
    for (const MultipartUpload& upload : cleanup.aborted) {
      logger().info(
          "S3: aborted the multipart upload {} of s3://{}/{} (started {}) that a "
          "process killed during the upload left",
          upload.upload_id, bucket, upload.key, upload.initiated);
    }
    for (const std::string& failure : cleanup.failures) {
      logger().warn("S3: {}", failure);
    }
  } catch (const std::exception& error) {
    logger().warn(
        "S3: the multipart uploads left by killed processes in s3://{} could not be "
        "cleaned up: {}",
        bucket, error.what());
  }
}

std::string S3Storage::read(const std::string& path) const {
  const auto [bucket, key] = split(path);
  clean_up_dead_uploads(bucket);
  return guarded([&] { return client_->get_object(bucket, key); });
}

void S3Storage::write(const std::string& path, std::string_view bytes) const {
  const auto [bucket, key] = split(path);
  clean_up_dead_uploads(bucket);
  guarded([&] { client_->put_object(bucket, key, bytes); });
}

bool S3Storage::write_new(const std::string& path, std::string_view bytes) const {
  const auto [bucket, key] = split(path);
  clean_up_dead_uploads(bucket);
  return guarded([&] {
    // No conditional PUT: between this HEAD and the PUT another run may write the same key
    // (see the class comment); version stamps name the run, so it takes the same version.
    if (client_->exists(bucket, key)) {
      return false;
    }
    client_->put_object(bucket, key, bytes);
    return true;
  });
}

bool S3Storage::exists(const std::string& path) const {
  const auto [bucket, key] = split(path);
  clean_up_dead_uploads(bucket);
  return guarded([&] { return client_->exists(bucket, key); });
}

std::vector<std::string> S3Storage::list(const std::string& folder) const {
  const auto [bucket, key] = split(folder);
  clean_up_dead_uploads(bucket);
  ListOptions options;
  options.prefix = key.empty() || key.ends_with('/') ? key : key + "/";
  options.delimiter = "/";
  std::vector<std::string> names;
  guarded([&] {
    do {
      ListPage page = client_->list_objects_v2(bucket, options);
      for (const ObjectInfo& object : page.objects) {
        if (object.key.size() > options.prefix.size()) {
          names.push_back(object.key.substr(options.prefix.size()));
        }
      }
      for (const std::string& prefix : page.common_prefixes) {
        std::string name = prefix.substr(options.prefix.size());
        if (name.ends_with('/')) {
          name.pop_back();
        }
        if (!name.empty()) {
          names.push_back(std::move(name));
        }
      }
      options.continuation_token = std::move(page.next_continuation_token);
    } while (!options.continuation_token.empty());
  });
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

bool S3Storage::remove(const std::string& path) const {
  const auto [bucket, key] = split(path);
  // One DELETE, no HEAD first: S3 answers 204 whether or not the key was there, so this
  // cannot tell (see the class comment) and reports the object gone.
  guarded([&] { client_->delete_object(bucket, key); });
  return true;
}

S3Options s3_options_of(const StorageContext& context, const Environment& environment) {
  const auto [bucket, key] = split(context.path);
  if (bucket.empty() || key.empty() || key.ends_with('/')) {
    throw ConfigError(
        fmt::format("{}: '{}' needs a bucket and a key: s3://<bucket>/<key>, for instance "
                    "s3://my-bucket/data/companies.csv",
                    context.where, context.url));
  }
  OptionReader fs_args(context.options, entry_name(context.where) + ", fs_args");
  std::optional<std::string> endpoint_url = fs_args.optional_string("endpoint_url");
  std::optional<std::string> region = fs_args.optional_string("region_name");
  if (auto aws_region = fs_args.optional_string("region")) {
    if (region) {
      throw ConfigError(fmt::format(
          "{}: 'region' and 'region_name' both give the region (s3fs's and AWS's names of the "
          "same setting): keep one",
          fs_args.where("region")));
    }
    region = std::move(aws_region);
  }
  if (const Param* client_kwargs = fs_args.optional_map("client_kwargs")) {
    OptionReader client(*client_kwargs, entry_name(context.where) + ", fs_args.client_kwargs");
    auto client_endpoint = client.optional_string("endpoint_url");
    auto client_region = client.optional_string("region_name");
    client.finish();
    if ((client_endpoint && endpoint_url) || (client_region && region)) {
      throw ConfigError(fmt::format(
          "{}: client_kwargs gives the {} a second time (it is also in fs_args): keep one",
          fs_args.where("client_kwargs"),
          client_endpoint && endpoint_url ? "endpoint_url" : "region"));
    }
    if (client_endpoint) {
      endpoint_url = std::move(client_endpoint);
    }
    if (client_region) {
      region = std::move(client_region);
    }
  }
  S3Options defaults;
  const std::string addressing =
      fs_args.choice("addressing_style", {"auto", "path", "virtual"}, "auto");
  defaults.addressing = addressing == "path"      ? Addressing::path
                        : addressing == "virtual" ? Addressing::virtual_host
                                                  : Addressing::automatic;
  defaults.multipart_threshold = fs_args.bytes("multipart_threshold", defaults.multipart_threshold);
  defaults.part_size = fs_args.bytes("multipart_chunksize", defaults.part_size);
  if (defaults.part_size < (5u << 20)) {
    throw ConfigError(
        fmt::format("{}: S3 parts are at least 5 MiB (all but the last); give 5MiB or more",
                    fs_args.where("multipart_chunksize")));
  }
  defaults.parallel_parts =
      static_cast<int>(fs_args.integer("max_concurrency", defaults.parallel_parts, 1, 64));
  defaults.timeouts.connect =
      millis(fs_args.duration("connect_timeout", defaults.timeouts.connect));
  defaults.timeouts.stall = millis(fs_args.duration("read_timeout", defaults.timeouts.stall));
  if (const Param* retries = fs_args.optional_map("retries")) {
    OptionReader retry(*retries, entry_name(context.where) + ", fs_args.retries");
    defaults.retry.max_attempts =
        static_cast<int>(retry.integer("max_attempts", defaults.retry.max_attempts, 1, 100));
    defaults.retry.base_delay = millis(retry.duration("base_delay", defaults.retry.base_delay));
    defaults.retry.max_delay = millis(retry.duration("max_delay", defaults.retry.max_delay));
    defaults.retry.max_total_time =
        millis(retry.duration("max_total_time", defaults.retry.max_total_time));
    retry.finish();
  }
  std::optional<std::string> upload_journal = fs_args.optional_string("upload_journal");
  fs_args.finish();

  // The credentials (and any endpoint and region they carry) as every AWS tool finds them;
  // what fs_args says explicitly wins over them and over the environment.
  S3Options options = resolve_s3_options(context.credentials, context.credentials_name, environment,
                                         std::move(defaults), entry_name(context.where));
  if (endpoint_url) {
    options.endpoint_url = *endpoint_url;
  }
  if (region) {
    options.region = *region;
  }
  if (upload_journal) {
    options.upload_journal = *upload_journal;
  } else if (auto state = environment("XDG_STATE_HOME"); state && !state->empty()) {
    options.upload_journal = std::filesystem::path(*state) / "sluice/s3-uploads";
  } else if (auto home = environment("HOME"); home && !home->empty()) {
    options.upload_journal = std::filesystem::path(*home) / ".local/state/sluice/s3-uploads";
  }
  return options;
}

std::shared_ptr<const Storage> make_s3_storage(const StorageContext& context) {
  return std::make_shared<const S3Storage>(s3_options_of(context));
}

void register_s3(Registrar& registrar) {
  registrar.add_storage("s3", make_s3_storage);
}

}  // namespace sluice::s3
