#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/export.hpp>
#include <sluice/core/param.hpp>

namespace sluice {

/// A catalog key with `{placeholder}`s, and its entry (Kedro's dataset factory).
struct SLUICE_API DatasetPattern {
  std::string pattern;
  Param entry;
  /// The pattern cut into literal text and placeholder names (`placeholder` true).
  struct Token {
    bool placeholder = false;
    std::string text;
  };
  std::vector<Token> tokens;

  /// Characters outside the placeholders: the more, the more specific.
  std::size_t specificity() const;
  std::size_t placeholders() const;
  /// A pattern that is one placeholder (`{default}`): matches every name.
  bool catch_all() const { return tokens.size() == 1 && tokens.front().placeholder; }
  /// Whether `name` matches; the values of the placeholders in `values` when it does. A
  /// placeholder matches one or more characters, the earlier ones as few as they can
  /// (`{namespace}.{name}` on `a.b.c` gives namespace `a`, name `b.c`).
  bool match(std::string_view name, std::map<std::string, std::string>* values = nullptr) const;
};

/// The catalog's entries split into explicit ones and patterns, the patterns in Kedro's order of
/// precedence: more characters outside the placeholders first, then fewer placeholders, then
/// alphabetically; a catch-all (`{default}`) is last.
///
/// ConfigError with the key's file:line:column on a malformed pattern (an unclosed or empty
/// `{}`, a placeholder twice, a format spec), on an entry that uses a placeholder its pattern
/// does not have, on two patterns that match the same names (`{a}_csv` and `{b}_csv`), and on
/// more than one catch-all.
class SLUICE_API DatasetFactories {
 public:
  DatasetFactories() = default;
  /// `catalog`: the catalog configuration (a map; null is an empty catalog).
  explicit DatasetFactories(const Param& catalog);

  static bool is_pattern(std::string_view key);

  const std::vector<DatasetPattern>& patterns() const { return patterns_; }
  /// The catalog without its pattern entries.
  const Param& explicit_entries() const { return explicit_; }

  /// The first pattern `name` matches, or null (parameters, `params:...`, match none).
  const DatasetPattern* find(std::string_view name) const;
  /// The entry the first matching pattern makes for `name`: its placeholders replaced in every
  /// string value; nullopt when none matches.
  std::optional<Param> resolve(std::string_view name) const;

  /// The explicit entries, and one entry for each of `names` that only a pattern matches;
  /// `origin` (when given) gets the pattern each added name came from.
  Param expand(const std::vector<std::string>& names,
               std::map<std::string, std::string>* origin = nullptr) const;

 private:
  Param explicit_ = Param(Param::Map{});
  std::vector<DatasetPattern> patterns_;
};

}  // namespace sluice
