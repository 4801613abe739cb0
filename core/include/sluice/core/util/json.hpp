#pragma once

// JSON that sluice reads and writes (traces, memory profiles, post-mortem bundles, bench
// results), with nlohmann-json. Include it only where JSON is read or written: it brings in
// nlohmann's header.

#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include <sluice/core/export.hpp>

namespace sluice {

/// A JSON document. Objects keep their keys in the order they were written.
using Json = nlohmann::ordered_json;

/// Parses `text`, read from `source` (a file name). Bad JSON is a ConfigError naming
/// `source:line:column`, what is wrong and `what_to_do` ("check the file or write it again").
SLUICE_API Json parse_json(std::string_view text, const std::string& source,
                           std::string_view what_to_do);

/// Reads and parses the file at `path` as parse_json() does; ConfigError when it cannot be read.
SLUICE_API Json read_json_file(const std::filesystem::path& path, std::string_view what_to_do);

/// `document` as text ending in a newline, readable in a diff: each member of a top-level object
/// on its own line, and each item of an array of objects or arrays on its own line; the rest on
/// one line, with ", " and ": " between items.
SLUICE_API std::string json_text(const Json& document);

}  // namespace sluice

namespace nlohmann {

/// sluice::byte_size of a JSON document (found by argument-dependent lookup, so Value::of(Json)
/// counts what the document holds for the memory profiler and the tee's budget): the value
/// itself and the heap of its strings, arrays and objects.
SLUICE_API std::size_t byte_size(const ::sluice::Json& json);

}  // namespace nlohmann
