#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include <sluice/core/error.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/util/suggest.hpp>
#include <sluice/core/util/units.hpp>

namespace sluice {

OptionReader::OptionReader(const Param& options, std::string what)
    : options_(options), what_(std::move(what)) {
  if (!options_.is_map() && !options_.is_null()) {
    throw ConfigError(
        fmt::format("{}: the options must be a map (got {})", where(), options_.to_string()));
  }
  known_.insert("metadata");  // free-form, for people and tools; ignored by sluice
}

std::string OptionReader::where() const {
  const std::string mark = options_.mark().str();
  return mark.empty() ? what_ : fmt::format("{}: {}", mark, what_);
}

std::string OptionReader::where(const std::string& key) const {
  const Param* value = options_.find(key);
  const std::string mark = value != nullptr ? value->mark().str() : options_.mark().str();
  return fmt::format("{}{}{}: option '{}'", mark, mark.empty() ? "" : ": ", what_, key);
}

const Param* OptionReader::take(const std::string& key) {
  known_.insert(key);
  const Param* value = options_.find(key);
  return value == nullptr || value->is_null() ? nullptr : value;
}

std::string OptionReader::required_string(const std::string& key) {
  const Param* value = take(key);
  if (value == nullptr) {
    throw_required(key);
  }
  return value->as<std::string>(fmt::format("option '{}' of {}", key, what_));
}

void OptionReader::throw_required(const std::string& key) const {
  // A misspelt option ("filepth") is the likely reason: name it rather than only the missing one.
  std::vector<std::string> unread;
  if (options_.is_map()) {
    for (const auto& [name, value] : options_.as_map()) {
      if (!known_.contains(name)) {
        unread.push_back(name);
      }
    }
  }
  const std::vector<std::string> misspelt = close_matches(key, unread, 1);
  if (!misspelt.empty()) {
    const std::string mark = options_.at(misspelt[0]).mark().str();
    throw ConfigError(
        fmt::format("{}{}{}: unknown option '{}' (did you mean '{}'?); option '{}' "
                    "is required",
                    mark, mark.empty() ? "" : ": ", what_, misspelt[0], key, key));
  }
  throw ConfigError(fmt::format("{}: option '{}' is required", where(), key));
}

std::optional<std::string> OptionReader::optional_string(const std::string& key) {
  const Param* value = take(key);
  if (value == nullptr) {
    return std::nullopt;
  }
  return value->as<std::string>(fmt::format("option '{}' of {}", key, what_));
}

bool OptionReader::flag(const std::string& key, bool fallback) {
  const Param* value = take(key);
  return value == nullptr ? fallback
                          : value->as<bool>(fmt::format("option '{}' of {}", key, what_));
}

std::int64_t OptionReader::integer(const std::string& key, std::int64_t fallback, std::int64_t min,
                                   std::int64_t max) {
  const Param* value = take(key);
  if (value == nullptr) {
    return fallback;
  }
  const auto integer = value->as<std::int64_t>(fmt::format("option '{}' of {}", key, what_));
  if (integer < min || integer > max) {
    throw ConfigError(fmt::format("{}: {} is out of range; write a whole number from {} to {}",
                                  where(key), integer, min, max));
  }
  return integer;
}

double OptionReader::number(const std::string& key, double fallback) {
  const Param* value = take(key);
  if (value == nullptr) {
    return fallback;
  }
  const double number = value->as<double>(fmt::format("option '{}' of {}", key, what_));
  if (!std::isfinite(number)) {
    throw ConfigError(
        fmt::format("{}: must be a finite number (got {})", where(key), value->to_string()));
  }
  return number;
}

std::uint64_t OptionReader::bytes(const std::string& key, std::uint64_t fallback) {
  const Param* value = take(key);
  if (value == nullptr) {
    return fallback;
  }
  if (value->kind() == Param::Kind::integer) {
    if (value->as_int() < 0) {
      throw ConfigError(fmt::format("{}: must be 0 or more (got {})", where(key), value->as_int()));
    }
    return static_cast<std::uint64_t>(value->as_int());
  }
  const std::string text = value->as<std::string>(fmt::format("option '{}' of {}", key, what_));
  if (text.starts_with("-")) {
    throw ConfigError(fmt::format("{}: must be 0 or more (got {})", where(key), text));
  }
  return parse_size(text, where(key));
}

std::chrono::nanoseconds OptionReader::duration(const std::string& key,
                                                std::chrono::nanoseconds fallback) {
  const Param* value = take(key);
  if (value == nullptr) {
    return fallback;
  }
  const std::string text =
      value->kind() == Param::Kind::string ? value->as_string() : value->to_string();
  return parse_duration(text, where(key));
}

std::string OptionReader::choice(const std::string& key, const std::vector<std::string>& choices,
                                 const std::string& fallback) {
  const auto value = optional_string(key);
  if (!value) {
    return fallback;
  }
  if (std::find(choices.begin(), choices.end(), *value) == choices.end()) {
    throw ConfigError(fmt::format("{}: '{}' is not one of {}{}", where(key), *value,
                                  fmt::join(choices, ", "), did_you_mean(*value, choices)));
  }
  return *value;
}

std::vector<std::string> OptionReader::strings(const std::string& key,
                                               std::vector<std::string> fallback) {
  const Param* value = take(key);
  if (value == nullptr) {
    return fallback;
  }
  return value->as<std::vector<std::string>>(fmt::format("option '{}' of {}", key, what_));
}

const Param& OptionReader::required_map(const std::string& key) {
  const Param* value = take(key);
  if (value == nullptr || !value->is_map()) {
    throw ConfigError(fmt::format("{}: option '{}' must be a map", where(), key));
  }
  return *value;
}

const Param* OptionReader::optional_map(const std::string& key) {
  const Param* value = take(key);
  if (value != nullptr && !value->is_map()) {
    throw ConfigError(fmt::format("{}: must be a map (got {})", where(key), value->to_string()));
  }
  return value;
}

const Param* OptionReader::optional_list(const std::string& key) {
  const Param* value = take(key);
  if (value != nullptr && !value->is_list()) {
    throw ConfigError(fmt::format("{}: must be a list (got {})", where(key), value->to_string()));
  }
  return value;
}

const Param* OptionReader::optional_raw(const std::string& key) {
  known_.insert(key);
  return options_.find(key);
}

void OptionReader::finish() const {
  if (!options_.is_map()) {
    return;
  }
  std::vector<std::string> unknown;
  const std::vector<std::string> known(known_.begin(), known_.end());
  for (const auto& [key, value] : options_.as_map()) {
    if (!known_.contains(key)) {
      const std::string mark = value.mark().str();
      unknown.push_back(fmt::format("'{}'{}{}", key, did_you_mean(key, known),
                                    mark.empty() ? "" : " at " + mark));
    }
  }
  if (!unknown.empty()) {
    throw ConfigError(fmt::format("{}: unknown option {}; it takes: {}", where(),
                                  fmt::join(unknown, ", "), fmt::join(known, ", ")));
  }
}

}  // namespace sluice
