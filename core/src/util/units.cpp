#include <charconv>
#include <cmath>
#include <string>

#include <fmt/format.h>

#include <sluice/core/error.hpp>
#include <sluice/core/util/units.hpp>

namespace sluice {
namespace {

struct Unit {
  std::string_view name;
  double factor;
};

// Splits "1.5GiB" into 1.5 and "GiB"; false unless a finite non-negative number leads
// (from_chars also reads "nan" and "inf").
bool split_number(std::string_view text, double& number, std::string_view& unit) {
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || !std::isfinite(number) || number < 0) {
    return false;
  }
  unit = text.substr(static_cast<std::size_t>(end - text.data()));
  while (!unit.empty() && unit.front() == ' ') {
    unit.remove_prefix(1);
  }
  return true;
}

template <std::size_t N>
bool scale(std::string_view text, const Unit (&units)[N], double& value) {
  double number = 0;
  std::string_view unit;
  if (!split_number(text, number, unit)) {
    return false;
  }
  for (const auto& candidate : units) {
    if (unit == candidate.name) {
      value = number * candidate.factor;  // may overflow to infinity: callers check the range
      return true;
    }
  }
  return false;
}

constexpr Unit kSizeUnits[] = {{"", 1},
                               {"B", 1},
                               {"KB", 1e3},
                               {"MB", 1e6},
                               {"GB", 1e9},
                               {"TB", 1e12},
                               {"KiB", 1024.0},
                               {"MiB", 1048576.0},
                               {"GiB", 1073741824.0},
                               {"TiB", 1099511627776.0}};

}  // namespace

std::chrono::nanoseconds parse_duration(std::string_view text, std::string_view what) {
  constexpr Unit units[] = {{"ns", 1},   {"us", 1e3},   {"ms", 1e6},  {"s", 1e9},
                            {"m", 60e9}, {"min", 60e9}, {"h", 3600e9}};
  constexpr double limit = 0x1p63;  // nanoseconds in an int64: about 292 years
  double nanoseconds = 0;
  if (text == "0" || scale(text, units, nanoseconds)) {
    if (!(nanoseconds < limit)) {
      throw ConfigError(
          fmt::format("{} '{}' is too long: durations go up to 292 years (2562047h)", what, text));
    }
    return std::chrono::nanoseconds(static_cast<std::int64_t>(nanoseconds));
  }
  throw ConfigError(fmt::format(
      "{} '{}' is not a duration; write a number and a unit: 250ms, 10s, 1.5m, 2h (also ns, "
      "us, min), or 0",
      what, text));
}

std::uint64_t parse_size(std::string_view text, std::string_view what) {
  constexpr double limit = 0x1p64;  // bytes in a uint64: 16 EiB
  double bytes = 0;
  if (scale(text, kSizeUnits, bytes)) {
    if (!(bytes < limit)) {
      throw ConfigError(
          fmt::format("{} '{}' is too large: sizes go up to 16 EiB (16777216TiB)", what, text));
    }
    return static_cast<std::uint64_t>(bytes);
  }
  throw ConfigError(fmt::format(
      "{} '{}' is not a size; write bytes or a number and a unit: 4096, 100MB, 64MiB, 1.5GiB "
      "(KB, MB, GB, TB are powers of 1000; KiB, MiB, GiB, TiB powers of 1024)",
      what, text));
}

std::string format_size(std::uint64_t bytes) {
  if (bytes < 1024) {
    return fmt::format("{} B", bytes);
  }
  const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024;
  int unit = 0;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, units[unit]);
}

double parse_rate(std::string_view text, std::string_view what) {
  double bytes = 0;
  if (text.ends_with("/s") && scale(text.substr(0, text.size() - 2), kSizeUnits, bytes)) {
    if (!std::isfinite(bytes)) {
      throw ConfigError(fmt::format(
          "{} '{}' is too large for a rate; write bytes per second such as 100MB/s or 1GiB/s", what,
          text));
    }
    return bytes;
  }
  throw ConfigError(fmt::format(
      "{} '{}' is not a rate; write bytes per second with '/s': 100MB/s, 1GiB/s, 5000/s", what,
      text));
}

}  // namespace sluice
