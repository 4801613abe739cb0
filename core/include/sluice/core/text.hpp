#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/export.hpp>

namespace sluice {

/// The pieces of `text` between `separator`s, empty ones included: "a,,b" → {"a", "", "b"},
/// "" → {""}. For comma-separated command-line values.
SLUICE_API std::vector<std::string> split(std::string_view text, char separator);

}  // namespace sluice
