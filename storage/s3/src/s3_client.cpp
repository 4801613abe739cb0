#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <cmath>
#include <exception>
#include <iterator>
#include <mutex>
#include <random>
#include <thread>
#include <utility>

#include <curl/curl.h>
#include <fmt/format.h>
#include <openssl/evp.h>

#include <sluice/storage/s3_client.hpp>

#include "upload_journal.hpp"
#include "xml.hpp"

namespace sluice::s3 {

S3Error::S3Error(const std::string& message, long http_status, std::string code)
    : Error(message), http_status_(http_status), code_(std::move(code)) {}
S3Error::~S3Error() = default;

namespace {

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 0xf];
  }
  return out;
}

/// RFC 3986 percent-encoding as SigV4 wants it; '/' kept in object keys.
std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
        (byte >= '0' && byte <= '9') || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += c;
    } else {
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0xf];
    }
  }
  return out;
}

std::string trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos)
    return {};
  const auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size())
    return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) !=
        std::tolower(static_cast<unsigned char>(prefix[i])))
      return false;
  }
  return true;
}

using Query = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string_view operation = {};  // S3's name for it: "GetObject", "PutObject"...
  std::string_view method = {};
  std::string_view bucket = {};
  std::string_view key = {};
  Query query = {};
  std::string_view body = {};
  /// HEAD of a missing key: a 404 answer is a result, not an error.
  bool not_found_is_result = false;
  /// A listing's prefix, named in its errors (the request itself goes to the bucket).
  std::string_view listed_prefix = {};
};

struct Response {
  long status = 0;
  std::string body;
  std::string etag;
  std::optional<std::uint64_t> content_length;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* response = static_cast<Response*>(user);
  response->body.append(data, size * count);
  return size * count;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* response = static_cast<Response*>(user);
  const std::string_view line(data, size * count);
  if (starts_with_nocase(line, "HTTP/")) {
    response->etag.clear();
    response->content_length.reset();
  } else if (starts_with_nocase(line, "etag:")) {
    response->etag = trim(line.substr(5));
  } else if (starts_with_nocase(line, "content-length:")) {
    const std::string value = trim(line.substr(15));
    std::uint64_t length = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (error == std::errc() && end == value.data() + value.size()) {
      response->content_length = length;
      // The body is received into this one buffer: no second copy, no regrowth.
      response->body.reserve(static_cast<std::size_t>(length));
    }
  }
  return size * count;
}

bool transient(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_COULDNT_RESOLVE_HOST:
      return true;
    default:
      return false;
  }
}

bool retryable_answer(long status, const std::string& code) {
  if (code == "NotImplemented")
    return false;
  return status >= 500 || status == 429 || code == "SlowDown" || code == "RequestTimeout" ||
         code == "InternalError";
}

/// What to do about an S3 error code (or, without one, the HTTP status).
std::string advice(long status, const std::string& code, std::string_view bucket) {
  if (code == "NoSuchBucket")
    return fmt::format(
        "Create the bucket '{}' (e.g. `aws s3 mb s3://{}`, with --endpoint-url for a local "
        "server) or correct the bucket name in the filepath.",
        bucket, bucket);
  if (code == "NoSuchKey" || (code.empty() && status == 404))
    return "Check the key, or run the node that writes this object first.";
  if (code == "InvalidAccessKeyId")
    return "The endpoint does not know this access key id: check the credentials (the catalog "
           "entry's credentials:, AWS_ACCESS_KEY_ID or ~/.aws/credentials) and endpoint_url.";
  if (code == "SignatureDoesNotMatch")
    return "The secret access key does not match the access key id, or the region is wrong: "
           "check the secret and the region.";
  if (code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired")
    return "The session token is expired or invalid: refresh the temporary credentials.";
  if (code == "AccessDenied" || status == 403)
    return "The credentials lack permission for this bucket or key: check the bucket policy "
           "and which credentials are used.";
  if (code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || status == 301)
    return "The bucket is in another region: set region (or endpoint_url) to the bucket's.";
  if (code == "NoSuchUpload")
    return "The multipart upload was completed or aborted already.";
  if (code == "NotImplemented")
    return "The endpoint does not implement this operation.";
  if (code == "EntityTooSmall")
    return "Every part but the last must be at least 5 MiB: raise part_size.";
  if (status >= 500 || status == 429 || code == "SlowDown")
    return "The server is overloaded or failing: try again later, or raise retry.max_attempts "
           "and retry.max_total_time.";
  return "See S3's documentation of this error code.";
}

std::string plural(int count, std::string_view word) {
  return fmt::format("{} {}{}", count, word, count == 1 ? "" : "s");
}

}  // namespace

struct S3Client::Impl {
  S3Options options;
  std::string endpoint;  // scheme://host[:port], no trailing slash
  bool path_style = true;
  std::string sigv4;
  std::mutex pool_mutex;
  std::vector<CURL*> idle;
  std::mutex random_mutex;
  std::mt19937_64 random{std::random_device{}()};

  explicit Impl(S3Options opts) : options(std::move(opts)) {
    init_curl_once();
    endpoint = options.endpoint_url.empty()
                   ? fmt::format("https://s3.{}.amazonaws.com", options.region)
                   : options.endpoint_url;
    while (!endpoint.empty() && endpoint.back() == '/')
      endpoint.pop_back();
    if (endpoint.find("://") == std::string::npos)
      throw ConfigError(fmt::format(
          "S3 endpoint_url '{}' has no scheme: write it as http://host:port or https://host",
          options.endpoint_url));
    path_style = options.addressing == Addressing::path ||
                 (options.addressing == Addressing::automatic && !options.endpoint_url.empty());
    sigv4 = fmt::format("aws:amz:{}:s3", options.region);
    if (options.part_size == 0)
      throw ConfigError("S3 part_size is 0: give at least 5 MiB (S3's minimum part size)");
    if (options.retry.max_attempts < 1)
      options.retry.max_attempts = 1;
    if (options.parallel_parts < 1)
      options.parallel_parts = 1;
  }

  ~Impl() {
    for (CURL* handle : idle)
      curl_easy_cleanup(handle);
  }

  CURL* acquire() {
    {
      std::lock_guard lock(pool_mutex);
      if (!idle.empty()) {
        CURL* handle = idle.back();
        idle.pop_back();
        curl_easy_reset(handle);
        return handle;
      }
    }
    CURL* handle = curl_easy_init();
    if (handle == nullptr)
      throw S3Error("S3: libcurl could not create a handle (out of memory?)", 0, "");
    return handle;
  }

  void release(CURL* handle) {
    std::lock_guard lock(pool_mutex);
    idle.push_back(handle);
  }

  std::string url(std::string_view bucket, std::string_view key, const Query& query) const {
    std::string out;
    if (path_style) {
      out = fmt::format("{}/{}", endpoint, uri_encode(bucket, false));
      if (!key.empty())
        out += "/" + uri_encode(key, true);
    } else {
      const auto scheme_end = endpoint.find("://") + 3;
      out = fmt::format("{}{}.{}/{}", endpoint.substr(0, scheme_end), bucket,
                        endpoint.substr(scheme_end), uri_encode(key, true));
    }
    Query sorted = query;
    std::sort(sorted.begin(), sorted.end());
    char separator = '?';
    for (const auto& [name, value] : sorted) {
      out += separator;
      out += uri_encode(name, false) + "=" + uri_encode(value, false);
      separator = '&';
    }
    return out;
  }

  std::string where(const Request& request) const {
    return fmt::format("s3://{}/{}", request.bucket,
                       request.key.empty() ? request.listed_prefix : request.key);
  }

  CURLcode perform_once(CURL* handle, const Request& request, const std::string& target,
                        const std::string& payload_hash, Response& response, char* error_buffer) {
    curl_slist* headers = nullptr;
    const auto add = [&headers](const std::string& header) {
      headers = curl_slist_append(headers, header.c_str());
    };
    add("x-amz-content-sha256: " + payload_hash);
    add("Expect:");
    if (!options.credentials.session_token.empty())
      add("x-amz-security-token: " + options.credentials.session_token);
    const std::string method(request.method);
    curl_easy_setopt(handle, CURLOPT_URL, target.c_str());
    curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.timeouts.connect.count()));
    curl_easy_setopt(handle, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(handle, CURLOPT_LOW_SPEED_TIME,
                     std::max(1L, static_cast<long>(options.timeouts.stall.count() / 1000)));
    curl_easy_setopt(handle, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(handle, CURLOPT_USERNAME, options.credentials.access_key_id.c_str());
    curl_easy_setopt(handle, CURLOPT_PASSWORD, options.credentials.secret_access_key.c_str());
    curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(handle, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(handle, CURLOPT_HEADERDATA, &response);
    if (method == "HEAD") {
      curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
    } else if (method == "PUT" || method == "POST") {
      add("Content-Type: application/octet-stream");
      // The payload is sent from the caller's buffer, not copied.
      curl_easy_setopt(handle, CURLOPT_POST, 1L);
      // Never null: with null POSTFIELDS libcurl would read the body from stdin.
      curl_easy_setopt(handle, CURLOPT_POSTFIELDS,
                       request.body.data() != nullptr ? request.body.data() : "");
      curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      if (method == "PUT")
        curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, "PUT");
    } else if (method != "GET") {
      curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
    const CURLcode code = curl_easy_perform(handle);
    curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
    curl_slist_free_all(headers);
    return code;
  }

  std::chrono::milliseconds backoff(int retry) {
    const auto& retry_options = options.retry;
    const double cap = std::min<double>(
        static_cast<double>(retry_options.max_delay.count()),
        static_cast<double>(retry_options.base_delay.count()) * std::pow(2.0, retry));
    std::lock_guard lock(random_mutex);
    std::uniform_real_distribution<double> jitter(0.0, std::max(cap, 0.0));
    return std::chrono::milliseconds(static_cast<std::int64_t>(jitter(random)));
  }

  [[noreturn]] void fail(const Request& request, long status, const std::string& code,
                         const std::string& failure, int attempts, Clock::duration elapsed) const {
    // S3's own message usually ends its sentence already ("... does not exist.").
    const bool ends_sentence = !failure.empty() && (failure.back() == '.' || failure.back() == '!');
    std::string message =
        fmt::format("S3 {} of {} failed (endpoint {}, region {}): {}{}", request.operation,
                    where(request), endpoint, options.region, failure, ends_sentence ? "" : ".");
    if (attempts > 1)
      message += fmt::format(" Gave up after {} in {:.1f} s.", plural(attempts, "attempt"),
                             std::chrono::duration<double>(elapsed).count());
    if (status == 0 && code.empty())
      message += " Check that endpoint_url is right and the server is running and reachable.";
    else
      message += " " + advice(status, code, request.bucket);
    if (status == 403 || status == 400) {
      const std::string& source = options.credentials.source;
      message +=
          fmt::format(" Credentials used: {}.", source.empty() ? "given in S3Options" : source);
    }
    throw S3Error(message, status, code);
  }

  Response perform(const Request& request) {
    const std::string target = url(request.bucket, request.key, request.query);
    const std::string payload_hash = sha256_hex(request.body);
    const Clock& clock = options.clock ? *options.clock : system_clock();
    const auto start = clock.now();
    for (int attempt = 1;; ++attempt) {
      Response response;
      char error_buffer[CURL_ERROR_SIZE] = {};
      CURL* handle = acquire();
      CURLcode code = CURLE_OK;
      try {
        code = perform_once(handle, request, target, payload_hash, response, error_buffer);
      } catch (...) {
        release(handle);
        throw;
      }
      release(handle);

      std::string failure;
      std::string s3_code;
      bool retry = false;
      if (code == CURLE_OK) {
        // CompleteMultipartUpload can answer 200 with an error in the body.
        const bool error_in_body = response.status == 200 &&
                                   request.operation == "CompleteMultipartUpload" &&
                                   xml::contains(response.body, "Error");
        if (response.status < 300 && !error_in_body)
          return response;
        if (response.status == 404 && request.not_found_is_result)
          return response;
        s3_code = xml::text(response.body, "Code");
        const std::string s3_message = xml::text(response.body, "Message");
        failure = fmt::format("HTTP {}", response.status);
        if (!s3_code.empty())
          failure += " " + s3_code;
        if (!s3_message.empty())
          failure += ": " + s3_message;
        else if (s3_code.empty() && request.method == "HEAD" && response.status == 403)
          failure += " (a HEAD answer has no body: AccessDenied or a bad signature)";
        retry = retryable_answer(response.status, s3_code);
      } else {
        failure = fmt::format("no answer: {} ({})", curl_easy_strerror(code),
                              error_buffer[0] != '\0' ? error_buffer : "no details");
        retry = transient(code);
      }
      const auto elapsed = clock.now() - start;
      if (!retry || attempt >= options.retry.max_attempts)
        fail(request, code == CURLE_OK ? response.status : 0, s3_code, failure, attempt, elapsed);
      const auto delay = backoff(attempt - 1);
      if (elapsed + delay > options.retry.max_total_time)
        fail(request, code == CURLE_OK ? response.status : 0, s3_code, failure, attempt, elapsed);
      clock.sleep_for(delay);
    }
  }
};

S3Client::S3Client(S3Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
S3Client::~S3Client() = default;

const S3Options& S3Client::options() const {
  return impl_->options;
}

std::string S3Client::object_url(std::string_view bucket, std::string_view key) const {
  return impl_->url(bucket, key, {});
}

void S3Client::put_object(std::string_view bucket, std::string_view key, std::string_view data) {
  const S3Options& options = impl_->options;
  if (data.size() < options.multipart_threshold || data.size() <= options.part_size) {
    impl_->perform(
        {.operation = "PutObject", .method = "PUT", .bucket = bucket, .key = key, .body = data});
    return;
  }
  const std::string upload_id = create_multipart_upload(bucket, key);
  std::filesystem::path journal_entry;
  if (!options.upload_journal.empty()) {
    try {
      journal_entry =
          UploadJournal(options.upload_journal)
              .record(impl_->endpoint, std::string(bucket), std::string(key), upload_id);
    } catch (const Error&) {
      try {
        abort_multipart_upload(bucket, key, upload_id);
      } catch (const Error&) {
        // The journal's error is the one to report.
      }
      throw;
    }
  }
  const std::size_t count = (data.size() + options.part_size - 1) / options.part_size;
  std::vector<CompletedPart> parts(count);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex error_mutex;
  std::exception_ptr first_error;
  const auto upload = [&] {
    while (!failed.load()) {
      const std::size_t index = next.fetch_add(1);
      if (index >= count)
        return;
      try {
        const int number = static_cast<int>(index) + 1;
        parts[index] = {number,
                        upload_part(bucket, key, upload_id, number,
                                    data.substr(index * options.part_size, options.part_size))};
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!first_error)
          first_error = std::current_exception();
        failed = true;
      }
    }
  };
  {
    std::vector<std::jthread> workers;
    const std::size_t extra =
        std::min<std::size_t>(static_cast<std::size_t>(options.parallel_parts), count) - 1;
    for (std::size_t i = 0; i < extra; ++i)
      workers.emplace_back(upload);
    upload();
  }
  try {
    if (first_error)
      std::rethrow_exception(first_error);
    complete_multipart_upload(bucket, key, upload_id, parts);
  } catch (...) {
    try {
      abort_multipart_upload(bucket, key, upload_id);
      UploadJournal::forget(journal_entry);
    } catch (const Error&) {
      // The upload's own error is the one to report; the journal keeps the orphan for
      // abort_dead_uploads, and list_multipart_uploads finds it.
    }
    throw;
  }
  UploadJournal::forget(journal_entry);
}

std::string S3Client::get_object(std::string_view bucket, std::string_view key) {
  return impl_->perform({.operation = "GetObject", .method = "GET", .bucket = bucket, .key = key})
      .body;
}

std::optional<ObjectInfo> S3Client::head_object(std::string_view bucket, std::string_view key) {
  Response response = impl_->perform({.operation = "HeadObject",
                                      .method = "HEAD",
                                      .bucket = bucket,
                                      .key = key,
                                      .not_found_is_result = true});
  if (response.status == 404)
    return std::nullopt;
  return ObjectInfo{std::string(key), response.content_length.value_or(0), response.etag, {}};
}

bool S3Client::exists(std::string_view bucket, std::string_view key) {
  return head_object(bucket, key).has_value();
}

ListPage S3Client::list_objects_v2(std::string_view bucket, const ListOptions& options) {
  Query query{{"list-type", "2"}};
  if (!options.prefix.empty())
    query.emplace_back("prefix", options.prefix);
  if (!options.delimiter.empty())
    query.emplace_back("delimiter", options.delimiter);
  if (!options.continuation_token.empty())
    query.emplace_back("continuation-token", options.continuation_token);
  if (options.max_keys > 0)
    query.emplace_back("max-keys", std::to_string(options.max_keys));
  const Response response = impl_->perform({.operation = "ListObjectsV2",
                                            .method = "GET",
                                            .bucket = bucket,
                                            .query = std::move(query),
                                            .listed_prefix = options.prefix});
  ListPage page;
  for (const std::string_view block : xml::blocks(response.body, "Contents")) {
    ObjectInfo info;
    info.key = xml::text(block, "Key");
    info.etag = xml::text(block, "ETag");
    info.last_modified = xml::text(block, "LastModified");
    const std::string size = xml::text(block, "Size");
    std::from_chars(size.data(), size.data() + size.size(), info.size);
    page.objects.push_back(std::move(info));
  }
  for (const std::string_view block : xml::blocks(response.body, "CommonPrefixes"))
    page.common_prefixes.push_back(xml::text(block, "Prefix"));
  if (xml::text(response.body, "IsTruncated") == "true")
    page.next_continuation_token = xml::text(response.body, "NextContinuationToken");
  return page;
}

std::vector<ObjectInfo> S3Client::list_all_objects(std::string_view bucket,
                                                   std::string_view prefix) {
  std::vector<ObjectInfo> objects;
  ListOptions options{.prefix = std::string(prefix)};
  do {
    ListPage page = list_objects_v2(bucket, options);
    std::move(page.objects.begin(), page.objects.end(), std::back_inserter(objects));
    options.continuation_token = std::move(page.next_continuation_token);
  } while (!options.continuation_token.empty());
  return objects;
}

void S3Client::delete_object(std::string_view bucket, std::string_view key) {
  impl_->perform({.operation = "DeleteObject", .method = "DELETE", .bucket = bucket, .key = key});
}

std::string S3Client::create_multipart_upload(std::string_view bucket, std::string_view key) {
  const Response response = impl_->perform({.operation = "CreateMultipartUpload",
                                            .method = "POST",
                                            .bucket = bucket,
                                            .key = key,
                                            .query = {{"uploads", ""}}});
  std::string upload_id = xml::text(response.body, "UploadId");
  if (upload_id.empty())
    throw S3Error(fmt::format("S3 CreateMultipartUpload of s3://{}/{} (endpoint {}): the answer "
                              "has no UploadId; the endpoint may not support multipart uploads "
                              "(set multipart_threshold above the largest object)",
                              bucket, key, impl_->endpoint),
                  response.status, "");
  return upload_id;
}

std::string S3Client::upload_part(std::string_view bucket, std::string_view key,
                                  std::string_view upload_id, int part_number,
                                  std::string_view data) {
  Response response = impl_->perform(
      {.operation = "UploadPart",
       .method = "PUT",
       .bucket = bucket,
       .key = key,
       .query = {{"partNumber", std::to_string(part_number)}, {"uploadId", std::string(upload_id)}},
       .body = data});
  return std::move(response.etag);
}

void S3Client::complete_multipart_upload(std::string_view bucket, std::string_view key,
                                         std::string_view upload_id,
                                         const std::vector<CompletedPart>& parts) {
  std::string body = "<CompleteMultipartUpload>";
  for (const CompletedPart& part : parts)
    body += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", part.part_number,
                        xml::escape(part.etag));
  body += "</CompleteMultipartUpload>";
  impl_->perform({.operation = "CompleteMultipartUpload",
                  .method = "POST",
                  .bucket = bucket,
                  .key = key,
                  .query = {{"uploadId", std::string(upload_id)}},
                  .body = body});
}

void S3Client::abort_multipart_upload(std::string_view bucket, std::string_view key,
                                      std::string_view upload_id) {
  impl_->perform({.operation = "AbortMultipartUpload",
                  .method = "DELETE",
                  .bucket = bucket,
                  .key = key,
                  .query = {{"uploadId", std::string(upload_id)}}});
}

std::vector<MultipartUpload> S3Client::list_multipart_uploads(std::string_view bucket,
                                                              std::string_view prefix) {
  std::vector<MultipartUpload> uploads;
  std::string key_marker;
  std::string upload_id_marker;
  while (true) {
    Query query{{"uploads", ""}};
    if (!prefix.empty())
      query.emplace_back("prefix", std::string(prefix));
    if (!key_marker.empty())
      query.emplace_back("key-marker", key_marker);
    if (!upload_id_marker.empty())
      query.emplace_back("upload-id-marker", upload_id_marker);
    const Response response = impl_->perform({.operation = "ListMultipartUploads",
                                              .method = "GET",
                                              .bucket = bucket,
                                              .query = std::move(query),
                                              .listed_prefix = prefix});
    for (const std::string_view block : xml::blocks(response.body, "Upload"))
      uploads.push_back(
          {xml::text(block, "Key"), xml::text(block, "UploadId"), xml::text(block, "Initiated")});
    if (xml::text(response.body, "IsTruncated") != "true")
      return uploads;
    key_marker = xml::text(response.body, "NextKeyMarker");
    upload_id_marker = xml::text(response.body, "NextUploadIdMarker");
    if (key_marker.empty() && upload_id_marker.empty())
      return uploads;
  }
}

std::size_t S3Client::abort_multipart_uploads(std::string_view bucket, std::string_view prefix) {
  const std::vector<MultipartUpload> uploads = list_multipart_uploads(bucket, prefix);
  for (const MultipartUpload& upload : uploads)
    abort_multipart_upload(bucket, upload.key, upload.upload_id);
  return uploads.size();
}

DeadUploadCleanup S3Client::abort_dead_uploads(std::string_view bucket) {
  DeadUploadCleanup cleanup;
  if (impl_->options.upload_journal.empty())
    return cleanup;
  const UploadJournal journal(impl_->options.upload_journal);
  for (JournalEntry& entry : journal.dead_uploads(impl_->endpoint, std::string(bucket))) {
    if (!UploadJournal::claim(entry))
      continue;  // another process is cleaning it up
    try {
      abort_multipart_upload(bucket, entry.key, entry.upload_id);
    } catch (const S3Error& error) {
      if (error.code() != "NoSuchUpload") {
        UploadJournal::release(entry);
        cleanup.failures.push_back(fmt::format(
            "could not abort the multipart upload {} of s3://{}/{}, left by process {} on {} "
            "(started {}), which died during the upload: {} The upload stays in the journal ({}) "
            "for a later run; abort it by hand (`aws s3api abort-multipart-upload --bucket {} "
            "--key {} --upload-id {}`) or let a bucket lifecycle rule "
            "(AbortIncompleteMultipartUpload) remove it.",
            entry.upload_id, bucket, entry.key, entry.pid, entry.host, entry.initiated,
            error.what(), impl_->options.upload_journal.string(), bucket, entry.key,
            entry.upload_id));
        continue;
      }
    }
    UploadJournal::forget(entry.file);
    cleanup.aborted.push_back({entry.key, entry.upload_id, entry.initiated});
  }
  return cleanup;
}

}  // namespace sluice::s3
