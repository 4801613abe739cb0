#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <sluice/core/export.hpp>
#include <sluice/core/param.hpp>

namespace sluice {

/// Reads the options of a configured object (dataset, hook, runner) and rejects the ones that
/// were not read, naming the file and line of each.
class SLUICE_API OptionReader {
 public:
  /// `options` must be a map or null; `what` names the object in messages, e.g.
  /// "dataset 'x' (BinaryDataset)". The mark of `options` is prepended when known.
  OptionReader(const Param& options, std::string what);

  std::string required_string(const std::string& key);
  std::optional<std::string> optional_string(const std::string& key);
  bool flag(const std::string& key, bool fallback);
  /// An integer; ConfigError naming the option when it is outside [min, max].
  std::int64_t integer(const std::string& key, std::int64_t fallback,
                       std::int64_t min = std::numeric_limits<std::int64_t>::min(),
                       std::int64_t max = std::numeric_limits<std::int64_t>::max());
  /// A finite number (an integer or a float; nan and infinities are refused).
  double number(const std::string& key, double fallback);
  /// A size in bytes: an integer or text parse_size() reads ("2GiB", "100MB"). ConfigError for
  /// malformed or negative sizes.
  std::uint64_t bytes(const std::string& key, std::uint64_t fallback);
  /// A duration parse_duration() reads ("250ms", "10s"); a bare number is refused with the
  /// accepted forms, since its unit would be a guess.
  std::chrono::nanoseconds duration(const std::string& key, std::chrono::nanoseconds fallback);
  /// A string that must be one of `choices`.
  std::string choice(const std::string& key, const std::vector<std::string>& choices,
                     const std::string& fallback);
  /// A list of strings.
  std::vector<std::string> strings(const std::string& key, std::vector<std::string> fallback);
  /// A nested map option (for wrappers such as CachedDataset).
  const Param& required_map(const std::string& key);
  /// A nested map option that may be absent (nullptr then).
  const Param* optional_map(const std::string& key);
  /// A list option that may be absent (nullptr then).
  const Param* optional_list(const std::string& key);
  /// The option as written, null included (nullptr only when absent), for options whose null
  /// means something (pandas' `header: null`) or that take several kinds.
  const Param* optional_raw(const std::string& key);

  /// Throws ConfigError listing every option that was not read, with "did you mean".
  void finish() const;

  /// "conf/base/catalog.yml:4:3: dataset 'x' (BinaryDataset)".
  std::string where() const;
  /// "conf/base/hooks.yml:7:12: hook 'timing': option 'level'", for errors about one option.
  std::string where(const std::string& key) const;

 private:
  const Param* take(const std::string& key);
  /// "option 'key' is required", or "unknown option 'kye' (did you mean 'key'?)" when an option
  /// nobody read is close to it.
  [[noreturn]] void throw_required(const std::string& key) const;

  const Param& options_;
  std::string what_;
  std::set<std::string> known_;
};

}  // namespace sluice
