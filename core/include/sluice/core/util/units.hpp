#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include <sluice/core/export.hpp>

namespace sluice {

/// Parses a duration as people write it: "10s", "250ms", "1.5m", "2h", "500us", "0".
/// ConfigError naming `what` and the accepted forms otherwise.
SLUICE_API std::chrono::nanoseconds parse_duration(std::string_view text,
                                                   std::string_view what = "duration");

/// Parses a size: "64MiB", "100MB", "1.5GiB", "4096" (bytes). Decimal units (KB, MB, GB, TB)
/// are powers of 1000, binary ones (KiB, MiB, GiB, TiB) powers of 1024.
SLUICE_API std::uint64_t parse_size(std::string_view text, std::string_view what = "size");

/// A size as people read it: "512 B", "12.0 KiB", "1.5 GiB" (binary units).
SLUICE_API std::string format_size(std::uint64_t bytes);

/// Parses a rate in bytes per second: "100MB/s", "1GiB/s", "5000/s".
SLUICE_API double parse_rate(std::string_view text, std::string_view what = "rate");

}  // namespace sluice
