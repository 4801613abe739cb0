#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/export.hpp>

namespace sluice {

/// The pieces of `text` between `separator`s, empty ones included: "a,,b" → {"a", "", "b"},
/// "" → {""}. For comma-separated command-line values.
SLUICE_API std::vector<std::string> split(std::string_view text, char separator);

/// Whether `piece` starts a `key=value` item: a key of letters, digits and `_.-`, then `=`.
SLUICE_API bool starts_key_value(std::string_view piece);
/// The `key=value` items of "a=1,b.c=x,y": split at the commas that start another item, so a
/// comma inside a value stays in it ({"a=1", "b.c=x,y"}). For --params.
SLUICE_API std::vector<std::string> split_key_values(std::string_view text);

/// `word` as a POSIX shell reads it back as one word: as is when it has only safe characters
/// (letters, digits and `_@%+=:,./-`), otherwise in single quotes.
SLUICE_API std::string shell_quote(std::string_view word);
/// The words of a command line as a POSIX shell splits them (quotes and backslashes removed).
SLUICE_API std::vector<std::string> shell_words(std::string_view command);

}  // namespace sluice
