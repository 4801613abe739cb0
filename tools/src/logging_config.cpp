#include <cstdlib>
#include <mutex>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <sluice/core/config_loader.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/util/json.hpp>
#include <sluice/core/util/text.hpp>
#include <sluice/tools/logging_config.hpp>

namespace sluice {
namespace {

constexpr const char* kPattern = "[%Y-%m-%d %H:%M:%S] %^%-7l%$ %v";

std::mutex& state_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::optional<std::string>& command_line_level() {
  static std::optional<std::string> level;
  return level;
}

// spdlog's level for a name; ConfigError naming `where` for another word.
spdlog::level::level_enum level_of(const std::string& name, const std::string& where) {
  const std::string word = name == "warn" ? "warning" : name;
  for (const auto level :
       {spdlog::level::trace, spdlog::level::debug, spdlog::level::info, spdlog::level::warn,
        spdlog::level::err, spdlog::level::critical, spdlog::level::off}) {
    const std::string label = level == spdlog::level::warn ? "warning"
                              : level == spdlog::level::err
                                  ? "error"
                                  : spdlog::level::to_string_view(level).data();
    if (word == label || (level == spdlog::level::err && word == "err")) {
      return level;
    }
  }
  throw ConfigError(fmt::format(
      "{}: the log level '{}' is unknown; write trace, debug, info, warning, error, critical or "
      "off",
      where, name));
}

// One JSON object a line, the message escaped as JSON strings are.
class JsonLinesFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& message, spdlog::memory_buf_t& out) override {
    const auto time =
        std::chrono::duration_cast<std::chrono::milliseconds>(message.time.time_since_epoch())
            .count();
    Json line = Json::object();
    line["time"] =
        fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z",
                    fmt::gmtime(std::chrono::system_clock::to_time_t(message.time)), time % 1000);
    const auto level = spdlog::level::to_string_view(message.level);
    line["level"] = std::string(level.data(), level.size());
    line["logger"] = std::string(message.logger_name.data(), message.logger_name.size());
    // Invalid UTF-8 is replaced, not thrown on: a log line never fails.
    line["message"] = std::string(message.payload.data(), message.payload.size());
    const std::string text =
        line.dump(-1, ' ', false, nlohmann::detail::error_handler_t::replace) + "\n";
    out.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonLinesFormatter>();
  }
};

void apply_levels_locked(spdlog::logger& target) {
  if (const char* env = std::getenv("SPDLOG_LEVEL"); env != nullptr && *env != '\0') {
    // SPDLOG_LEVEL=debug, or per logger: SPDLOG_LEVEL=sluice=debug,other=warn.
    std::string text = env;
    std::string level;
    for (const auto& part : split(text, ',')) {
      const auto equals = part.find('=');
      if (equals == std::string::npos) {
        level = part;
      } else if (part.substr(0, equals) == target.name()) {
        level = part.substr(equals + 1);
      }
    }
    if (!level.empty()) {
      target.set_level(level_of(level, "SPDLOG_LEVEL"));
    }
  }
  if (const auto& level = command_line_level()) {
    target.set_level(level_of(*level, "--log-level"));
  }
}

}  // namespace

void LoggingConfig::set_command_line_level(std::optional<std::string> level) {
  std::lock_guard lock(state_mutex());
  if (level) {
    level_of(*level, "--log-level");  // refused now, not at the first log line
  }
  command_line_level() = std::move(level);
}

void LoggingConfig::apply_levels() {
  std::lock_guard lock(state_mutex());
  apply_levels_locked(logger());
}

void LoggingConfig::apply_file(const std::filesystem::path& logging_yml,
                               const std::filesystem::path& project_root) {
  std::lock_guard lock(state_mutex());
  if (!std::filesystem::is_regular_file(logging_yml)) {
    apply_levels_locked(logger());
    return;
  }
  const Param config = load_yaml_file(logging_yml);
  OptionReader reader(config, "logging configuration");
  const auto where = [&](const std::string& key) { return reader.where(key); };
  const auto level = level_of(reader.optional_string("level").value_or("info"), where("level"));
  const std::string pattern = reader.optional_string("pattern").value_or(kPattern);
  std::vector<spdlog::sink_ptr> sinks;
  const Param* console = reader.optional_raw("console");
  if (console == nullptr || console->is_map()) {
    static const Param kNone;
    OptionReader options(console != nullptr ? *console : kNone, "logging console");
    const std::string stream = options.choice("stream", {"stdout", "stderr"}, "stdout");
    spdlog::sink_ptr sink;
    if (stream == "stdout") {
      sink = std::make_shared<spdlog::sinks::stdout_color_sink_mt>();
    } else {
      sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    }
    sink->set_level(
        level_of(options.optional_string("level").value_or("trace"), options.where("level")));
    sink->set_pattern(pattern);
    options.finish();
    sinks.push_back(std::move(sink));
  } else if (console->kind() != Param::Kind::boolean || console->as_bool()) {
    throw ConfigError(where("console") +
                      ": write a map ({stream: stderr, level: info}) or false for no console");
  }
  if (const Param* file = reader.optional_map("file")) {
    OptionReader options(*file, "logging file");
    std::filesystem::path path = options.required_string("path");
    if (path.is_relative()) {
      path = project_root / path;
    }
    const auto max_size = options.bytes("max_size", 10U << 20U);
    const auto max_files = options.integer("max_files", 3, 0, 1000);
    const std::string format = options.choice("format", {"text", "json"}, "text");
    std::shared_ptr<spdlog::sinks::rotating_file_sink_mt> sink;
    try {
      std::filesystem::create_directories(path.parent_path());
      sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          path.string(), static_cast<std::size_t>(std::max<std::uint64_t>(max_size, 1)),
          static_cast<std::size_t>(max_files));
    } catch (const std::exception& error) {
      throw ConfigError(fmt::format("{}: cannot open the log file '{}': {}", options.where("path"),
                                    path.string(), error.what()));
    }
    sink->set_level(
        level_of(options.optional_string("level").value_or("trace"), options.where("level")));
    if (format == "json") {
      sink->set_formatter(std::make_unique<JsonLinesFormatter>());
    } else {
      sink->set_pattern(pattern);
    }
    options.finish();
    sinks.push_back(std::move(sink));
  }
  reader.finish();
  auto made = std::make_shared<spdlog::logger>("sluice", sinks.begin(), sinks.end());
  made->set_level(level);
  made->flush_on(spdlog::level::info);
  apply_levels_locked(*made);
  set_logger(std::move(made));
}

}  // namespace sluice
