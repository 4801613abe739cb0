#include <algorithm>
#include <charconv>
#include <ctime>
#include <random>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <sluice/core/binary_frame.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/core/util/text.hpp>
#include <sluice/storage/redis_dataset.hpp>

namespace sluice {
namespace {

constexpr std::string_view kManifestTag = "sluice-redis/1";
// Chunks of a write that never reaches its manifest (a killed run) expire after this long.
constexpr std::chrono::milliseconds kPendingExpiry = std::chrono::hours(1);
// A reader that finds a chunk gone because a writer replaced the value meanwhile starts over.
constexpr int kLoadAttempts = 5;

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct Manifest {
  std::string write_id;
  std::uint64_t chunks = 0;
  std::uint64_t bytes = 0;

  std::string text() const {
    return fmt::format("{} {} {} {}", kManifestTag, write_id, chunks, bytes);
  }
  bool operator==(const Manifest&) const = default;
};

std::optional<Manifest> parse_manifest(std::string_view text) {
  const std::vector<std::string> parts = split(std::string(text), ' ');
  if (parts.size() != 4 || parts[0] != kManifestTag || parts[1].empty()) {
    return std::nullopt;
  }
  Manifest manifest;
  manifest.write_id = parts[1];
  for (auto [part, out] : {std::pair{&parts[2], &manifest.chunks}, {&parts[3], &manifest.bytes}}) {
    const auto [end, error] = std::from_chars(part->data(), part->data() + part->size(), *out);
    if (error != std::errc() || end != part->data() + part->size()) {
      return std::nullopt;
    }
  }
  return manifest;
}

std::string fresh_write_id() {
  static std::mutex mutex;
  static std::mt19937_64 generator{std::random_device{}()};
  const std::lock_guard guard(mutex);
  return fmt::format("{:016x}", generator());
}

timeval to_timeval(std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  return tv;
}

// The first word of an error reply ("WRONGPASS", "NOAUTH", "ERR").
std::string error_code(const redisReply& reply) {
  const std::string_view text(reply.str, reply.len);
  return std::string(text.substr(0, text.find(' ')));
}

// hiredis writes with write(2): a server that went away would raise SIGPIPE and kill the process.
// Blocks it in this thread while the guard lives and swallows one raised meanwhile, so the error
// comes back as EPIPE, reported like any lost connection; the process's own handling is untouched.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    already_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    if (!already_pending_) {
      const timespec zero{};
      while (sigtimedwait(&pipe_, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_{};
  sigset_t old_{};
  bool already_pending_ = false;
};

}  // namespace

/// One hiredis connection, and the pipelined commands of one operation.
struct RedisDataset::Connection {
  redisContext* context = nullptr;
  const RedisDataset& dataset;

  explicit Connection(const RedisDataset& owner) : dataset(owner) {}
  ~Connection() {
    if (context != nullptr) {
      redisFree(context);
    }
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  [[noreturn]] void fail(const std::string& what, const std::string& todo) const {
    throw DatasetError(fmt::format("dataset '{}' (RedisDataset, key '{}' on {}): {}; {}",
                                   dataset.name_, dataset.options_.key, dataset.safe_url_, what,
                                   todo));
  }

  [[noreturn]] void fail_io() const {
    const std::string detail = context->errstr[0] != '\0' ? context->errstr : "connection closed";
    const bool timed_out = detail.find("temporarily unavailable") != std::string::npos ||
                           detail.find("timed out") != std::string::npos;
    fail(fmt::format("lost the connection to the Redis server ({})", detail),
         timed_out ? "the server did not answer within 'timeout'; check that it is not overloaded "
                     "or raise the dataset's 'timeout'"
                   : "check that redis-server is still running at that address, then run again");
  }

  void connect() {
    const auto& options = dataset.options_;
    context =
        redisConnectWithTimeout(dataset.host_.c_str(), dataset.port_, to_timeval(options.timeout));
    if (context == nullptr) {
      fail("cannot allocate a Redis connection", "the process is out of memory");
    }
    if (context->err != 0) {
      fail(fmt::format("cannot connect to the Redis server ({})", context->errstr),
           fmt::format("start redis-server (e.g. redis-server --port {} --bind {}) or check the "
                       "dataset's 'url'",
                       dataset.port_, dataset.host_));
    }
    redisSetTimeout(context, to_timeval(options.timeout));
    if (!options.password.empty()) {
      std::vector<std::string> auth{"AUTH"};
      if (!options.username.empty()) {
        auth.push_back(options.username);
      }
      auth.push_back(options.password);
      Reply reply = command(auth, /*check=*/false);
      if (reply->type == REDIS_REPLY_ERROR) {
        // Redis's text is left out: the reply to AUTH is no place to risk echoing a secret.
        fail(fmt::format("the Redis server refused the credentials ({})", error_code(*reply)),
             "check the 'username' and 'password' of the dataset's 'credentials' in "
             "credentials.yml (or the user in 'url')");
      }
    }
    if (dataset.db_ != 0) {
      command({"SELECT", std::to_string(dataset.db_)});
    }
  }

  void append(const std::vector<std::string_view>& args) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    if (redisAppendCommandArgv(context, static_cast<int>(argv.size()), argv.data(),
                               lengths.data()) != REDIS_OK) {
      fail_io();
    }
  }

  // The next reply; an error reply is a DatasetError unless `check` is false.
  Reply reply(bool check = true) {
    void* raw = nullptr;
    if (redisGetReply(context, &raw) != REDIS_OK || raw == nullptr) {
      fail_io();
    }
    Reply reply(static_cast<redisReply*>(raw));
    if (check && reply->type == REDIS_REPLY_ERROR) {
      const std::string code = error_code(*reply);
      if (code == "NOAUTH") {
        fail("the Redis server requires authentication (NOAUTH)",
             "add 'credentials' with a 'password' (and 'username' for an ACL user) to the "
             "dataset, defined in credentials.yml");
      }
      if (code == "NOPERM") {
        fail("the Redis user may not run this command (NOPERM)",
             "grant the user access to the dataset's keys (ACL SETUSER) or use another user");
      }
      fail(fmt::format("Redis replied: {}", std::string_view(reply->str, reply->len)),
           "check the server's configuration (maxmemory, proto-max-bulk-len) and the key's type");
    }
    return reply;
  }

  Reply command(const std::vector<std::string>& args, bool check = true) {
    append({args.begin(), args.end()});
    return reply(check);
  }

  // Sends `count` commands, at most `window` in flight; `make(i)` builds command i and
  // `take(i, reply)` consumes its reply, in order.
  template <class Make, class Take>
  void pipelined(std::uint64_t count, Make make, Take take) {
    const auto window = static_cast<std::uint64_t>(std::max(1, dataset.options_.pipeline));
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    while (received < count) {
      while (sent < count && sent - received < window) {
        append(make(sent));
        ++sent;
      }
      take(received, reply());
      ++received;
    }
  }
};

RedisDataset::RedisDataset(std::string name, RedisOptions options, const CodecRegistry& codecs)
    : name_(std::move(name)), options_(std::move(options)), codecs_(codecs) {
  const std::string where = fmt::format("dataset '{}' (RedisDataset)", name_);
  if (options_.key.empty()) {
    throw ConfigError(where + ": 'key' must not be empty");
  }
  if (options_.chunk_size == 0) {
    throw ConfigError(where + ": 'chunk_size' must be at least 1 byte");
  }
  constexpr std::string_view kScheme = "redis://";
  std::string_view rest = options_.url;
  if (!rest.starts_with(kScheme)) {
    throw ConfigError(fmt::format(
        "{}: 'url' must start with redis:// (redis://[user:password@]host:port/db), not '{}'",
        where, rest.substr(0, rest.find("://") == std::string_view::npos ? 0 : rest.find("://"))));
  }
  rest.remove_prefix(kScheme.size());
  std::string user;
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = rest.substr(0, at);
    const auto colon = userinfo.find(':');
    user = std::string(userinfo.substr(0, colon));
    if (options_.username.empty()) {
      options_.username = user;
    }
    if (options_.password.empty() && colon != std::string_view::npos) {
      options_.password = std::string(userinfo.substr(colon + 1));
    }
    rest.remove_prefix(at + 1);
  }
  const auto slash = rest.find('/');
  const std::string_view host_port = rest.substr(0, slash);
  const std::string_view db = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  const auto colon = host_port.rfind(':');
  host_ = std::string(host_port.substr(0, colon));
  if (host_.empty()) {
    throw ConfigError(where + ": 'url' names no host; write redis://host:port/db");
  }
  const auto number = [&](std::string_view text, int& out, const char* what, int max) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (error != std::errc() || end != text.data() + text.size() || out < 0 || out > max) {
      throw ConfigError(
          fmt::format("{}: the {} in 'url' is '{}', not a number from 0 to {}; write "
                      "redis://host:port/db",
                      where, what, text, max));
    }
  };
  if (colon != std::string_view::npos) {
    number(host_port.substr(colon + 1), port_, "port", 65535);
  }
  if (!db.empty()) {
    number(db, db_, "database", 1 << 20);
  }
  safe_url_ = fmt::format("redis://{}{}{}:{}/{}", options_.username,
                          options_.username.empty() ? "" : "@", host_, port_, db_);
  if (!options_.codec.empty()) {
    codecs_.by_name(options_.codec);  // fails early, listing the known codecs
  }
}

RedisDataset::~RedisDataset() = default;

RedisDataset::Connection& RedisDataset::connection() const {
  if (!connection_) {
    auto fresh = std::make_unique<Connection>(*this);
    fresh->connect();
    connection_ = std::move(fresh);
  }
  return *connection_;
}

void RedisDataset::save(const Value& value) {
  const std::string where = fmt::format("key '{}' on {}", options_.key, safe_url_);
  const std::string bytes = encode_binary_frame(codecs_, value, options_.codec, where);
  const std::lock_guard guard(mutex_);
  const SigpipeGuard no_sigpipe;
  try {
    Connection& redis = connection();
    Manifest manifest;
    manifest.write_id = fresh_write_id();
    manifest.bytes = bytes.size();
    manifest.chunks =
        std::max<std::uint64_t>(1, (bytes.size() + options_.chunk_size - 1) / options_.chunk_size);
    const auto chunk_key = [&](const Manifest& of, std::uint64_t n) {
      return fmt::format("{}:{}:{}", options_.key, of.write_id, n);
    };
    const std::string pending = std::to_string((options_.ttl + kPendingExpiry).count());
    std::string key_text;
    redis.pipelined(
        manifest.chunks,
        [&](std::uint64_t n) {
          key_text = chunk_key(manifest, n);
          const std::string_view chunk =
              std::string_view(bytes).substr(n * options_.chunk_size, options_.chunk_size);
          return std::vector<std::string_view>{"SET", key_text, chunk, "PX", pending};
        },
        [](std::uint64_t, const Reply&) {});
    // The switch: the manifest names the new chunks; SET ... GET returns the one it replaced.
    std::vector<std::string> set{"SET", options_.key, manifest.text()};
    if (options_.ttl.count() > 0) {
      set.insert(set.end(), {"PX", std::to_string(options_.ttl.count())});
    }
    set.emplace_back("GET");
    const Reply old_reply = redis.command(set);
    const std::string ttl = std::to_string(options_.ttl.count());
    redis.pipelined(
        manifest.chunks,
        [&](std::uint64_t n) {
          key_text = chunk_key(manifest, n);
          return options_.ttl.count() > 0 ? std::vector<std::string_view>{"PEXPIRE", key_text, ttl}
                                          : std::vector<std::string_view>{"PERSIST", key_text};
        },
        [](std::uint64_t, const Reply&) {});
    if (old_reply->type == REDIS_REPLY_STRING) {
      if (const auto old = parse_manifest({old_reply->str, old_reply->len});
          old && old->write_id != manifest.write_id) {
        redis.pipelined(
            old->chunks,
            [&](std::uint64_t n) {
              key_text = chunk_key(*old, n);
              return std::vector<std::string_view>{"UNLINK", key_text};
            },
            [](std::uint64_t, const Reply&) {});
      }
    }
  } catch (...) {
    connection_.reset();  // replies may be pending: the next call starts afresh
    throw;
  }
}

Value RedisDataset::load() {
  const std::string where = fmt::format("key '{}' on {}", options_.key, safe_url_);
  std::string bytes;
  {
    const std::lock_guard guard(mutex_);
    const SigpipeGuard no_sigpipe;
    try {
      Connection& redis = connection();
      const auto read_manifest = [&]() -> std::optional<Manifest> {
        const Reply reply = redis.command({"GET", options_.key});
        if (reply->type == REDIS_REPLY_NIL) {
          return std::nullopt;
        }
        auto manifest = reply->type == REDIS_REPLY_STRING ? parse_manifest({reply->str, reply->len})
                                                          : std::nullopt;
        if (!manifest) {
          redis.fail("the key holds something a RedisDataset did not write",
                     "point 'key' at another key, or delete this one and run the node that "
                     "produces the dataset");
        }
        return manifest;
      };
      std::optional<Manifest> manifest = read_manifest();
      for (int attempt = 0;; ++attempt) {
        if (!manifest) {
          redis.fail("no value is saved there (never saved, deleted, or expired after 'ttl')",
                     "run the node that produces it first");
        }
        bytes.clear();
        bytes.reserve(manifest->bytes);
        bool complete = true;
        std::string key_text;
        redis.pipelined(
            manifest->chunks,
            [&](std::uint64_t n) {
              key_text = fmt::format("{}:{}:{}", options_.key, manifest->write_id, n);
              return std::vector<std::string_view>{"GET", key_text};
            },
            [&](std::uint64_t, const Reply& reply) {
              if (reply->type == REDIS_REPLY_STRING && complete) {
                bytes.append(reply->str, reply->len);
              } else {
                complete = false;
              }
            });
        if (complete && bytes.size() == manifest->bytes) {
          break;
        }
        // A writer replaced the value while this read it: read the new one.
        std::optional<Manifest> now = read_manifest();
        if (now == manifest || attempt + 1 == kLoadAttempts) {
          redis.fail("the value's chunks are missing or incomplete (deleted or expired)",
                     "run the node that produces it again");
        }
        manifest = std::move(now);
      }
    } catch (...) {
      connection_.reset();
      throw;
    }
  }
  return decode_binary_frame(codecs_, bytes, options_.codec, where);
}

bool RedisDataset::exists() const {
  const std::lock_guard guard(mutex_);
  const SigpipeGuard no_sigpipe;
  try {
    return connection().command({"EXISTS", options_.key})->integer > 0;
  } catch (...) {
    connection_.reset();
    throw;
  }
}

void RedisDataset::release() {
  const std::lock_guard guard(mutex_);
  connection_.reset();
}

std::string RedisDataset::describe() const {
  std::string text = fmt::format("RedisDataset(key={}, url={}", options_.key, safe_url_);
  if (options_.ttl.count() > 0) {
    text += fmt::format(", ttl={}ms", options_.ttl.count());
  }
  if (!options_.codec.empty()) {
    text += fmt::format(", codec={}", options_.codec);
  }
  return text + ")";
}

std::shared_ptr<Dataset> make_redis_dataset(const DatasetContext& context) {
  DatasetOptions reader(context, "RedisDataset");
  RedisOptions options;
  options.key = reader.required_string("key");
  options.url = reader.optional_string("url").value_or(options.url);
  const auto ttl = reader.duration("ttl", std::chrono::nanoseconds(0));
  options.ttl = std::chrono::ceil<std::chrono::milliseconds>(ttl);
  options.chunk_size = reader.bytes("chunk_size", options.chunk_size);
  if (options.chunk_size == 0) {
    throw ConfigError(reader.where("chunk_size") + ": must be at least 1 byte (default 1MiB)");
  }
  options.pipeline = static_cast<int>(reader.integer("pipeline_window", options.pipeline, 1, 1024));
  options.timeout =
      std::chrono::ceil<std::chrono::milliseconds>(reader.duration("timeout", options.timeout));
  if (options.timeout.count() <= 0) {
    throw ConfigError(reader.where("timeout") + ": must be positive");
  }
  options.codec = reader.optional_string("codec").value_or("");
  reader.finish();
  if (!context.credentials.is_null()) {
    OptionReader credentials(context.credentials,
                             fmt::format("the credentials of dataset '{}'", context.name));
    options.username = credentials.optional_string("username").value_or("");
    options.password = credentials.optional_string("password").value_or("");
    credentials.finish();
  }
  try {
    return std::make_shared<RedisDataset>(context.name, std::move(options), *context.codecs);
  } catch (const ConfigError& error) {
    const std::string mark = context.mark.str();
    throw ConfigError(fmt::format("{}{}{}", mark, mark.empty() ? "" : ": ", error.what()));
  }
}

void register_redis(Registrar& registrar) {
  registrar.add_dataset_type("RedisDataset", make_redis_dataset);
}

}  // namespace sluice
