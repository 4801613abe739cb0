#pragma once

#include <string>
#include <string_view>

#include <sluice/core/export.hpp>

namespace sluice {

/// `text` as a JSON string literal, quotes included, with `"`, `\` and control characters
/// escaped. (JSON that sluice writes is read back with parse_yaml: YAML 1.2 reads JSON.)
SLUICE_API std::string json_quote(std::string_view text);

}  // namespace sluice
