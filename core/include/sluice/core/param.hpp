#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <sluice/core/error.hpp>
#include <sluice/core/export.hpp>

namespace sluice {

/// Where a configuration value came from: file, 1-based line and column.
struct SLUICE_API SourceMark {
  std::string file;
  int line = 0;
  int column = 0;

  bool known() const { return !file.empty(); }
  /// "conf/base/catalog.yml:3:5", or "" when unknown.
  std::string str() const;
};

/// A configuration tree: null, bool, integer, double, string, list or map (ordered).
///
/// Parameters, dataset options and credentials are Params. Nodes can take parameters as plain
/// C++ types (`double`, `std::string`, `std::vector<int>`...) and sluice converts them.
class SLUICE_API Param {
 public:
  using List = std::vector<Param>;
  using Map = std::vector<std::pair<std::string, Param>>;
  enum class Kind { null, boolean, integer, floating, string, list, map };

  Param() = default;
  Param(std::nullptr_t) {}
  Param(bool value) : data_(value) {}
  template <class I>
  requires(std::is_integral_v<I> && !std::is_same_v<I, bool>) Param(I value)
      : data_(static_cast<std::int64_t>(value)) {}
  Param(double value) : data_(value) {}
  Param(std::string value) : data_(std::move(value)) {}
  Param(const char* value) : data_(std::string(value)) {}
  Param(List value) : data_(std::move(value)) {}
  Param(Map value) : data_(std::move(value)) {}

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  static std::string_view kind_name(Kind kind);
  bool is_null() const { return kind() == Kind::null; }
  bool is_map() const { return kind() == Kind::map; }
  bool is_list() const { return kind() == Kind::list; }
  bool is_scalar() const { return !is_map() && !is_list() && !is_null(); }

  bool as_bool() const;
  std::int64_t as_int() const;
  /// Integers convert to double.
  double as_double() const;
  const std::string& as_string() const;
  const List& as_list() const;
  List& as_list();
  const Map& as_map() const;
  Map& as_map();

  /// The child under `key` of a map, or nullptr.
  const Param* find(std::string_view key) const;
  /// The child under `key`; ConfigError naming the key and this value's source when absent.
  const Param& at(std::string_view key) const;
  /// Inserts or replaces `key` in a map (a null Param becomes a map).
  void set(std::string key, Param value);

  /// Converts to a C++ type: bool, integers, floating point, std::string, std::vector of those,
  /// or Param itself. ConfigError naming `what` and the source on a kind mismatch.
  template <class T>
  T as(std::string_view what = {}) const;

  /// A one-line flow rendering, e.g. `{a: 1, b: [x, y]}`.
  std::string to_string() const;

  const SourceMark& mark() const;
  void set_mark(SourceMark mark);

  friend bool operator==(const Param& a, const Param& b) { return a.data_ == b.data_; }

 private:
  [[noreturn]] void throw_kind(std::string_view wanted, std::string_view what) const;
  [[noreturn]] void throw_range(const std::string& range, std::string_view what) const;

  std::variant<std::monostate, bool, std::int64_t, double, std::string, List, Map> data_;
  std::shared_ptr<const SourceMark> mark_;
};

template <class T>
struct is_std_vector : std::false_type {};
template <class T, class A>
struct is_std_vector<std::vector<T, A>> : std::true_type {};

/// Whether Param::as<T> can produce a T.
template <class T>
struct is_param_convertible
    : std::bool_constant<std::is_same_v<T, Param> || std::is_arithmetic_v<T> ||
                         std::is_same_v<T, std::string>> {};
template <class T, class A>
struct is_param_convertible<std::vector<T, A>> : is_param_convertible<T> {};

template <class T>
T Param::as(std::string_view what) const {
  if constexpr (std::is_same_v<T, Param>) {
    return *this;
  } else if constexpr (std::is_same_v<T, bool>) {
    if (kind() != Kind::boolean)
      throw_kind("a boolean", what);
    return as_bool();
  } else if constexpr (std::is_integral_v<T>) {
    if (kind() != Kind::integer)
      throw_kind("an integer", what);
    using Limits = std::numeric_limits<T>;
    const std::int64_t integer = as_int();
    const bool fits = std::is_signed_v<T>
                          ? integer >= static_cast<std::int64_t>(Limits::min()) &&
                                integer <= static_cast<std::int64_t>(Limits::max())
                          : integer >= 0 && static_cast<std::uint64_t>(integer) <=
                                                static_cast<std::uint64_t>(Limits::max());
    if (!fits)
      throw_range(std::to_string(+Limits::min()) + " to " + std::to_string(+Limits::max()), what);
    return static_cast<T>(as_int());
  } else if constexpr (std::is_floating_point_v<T>) {
    if (kind() != Kind::integer && kind() != Kind::floating)
      throw_kind("a number", what);
    const double number = as_double();
    if (std::isfinite(number) && (number > static_cast<double>(std::numeric_limits<T>::max()) ||
                                  number < static_cast<double>(-std::numeric_limits<T>::max())))
      throw_range("plus or minus " + std::to_string(std::numeric_limits<T>::max()), what);
    return static_cast<T>(number);
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (kind() != Kind::string)
      throw_kind("a string", what);
    return as_string();
  } else if constexpr (is_std_vector<T>::value) {
    if (kind() != Kind::list)
      throw_kind("a list", what);
    T result;
    result.reserve(as_list().size());
    for (const Param& item : as_list()) {
      result.push_back(item.as<typename T::value_type>(what));
    }
    return result;
  } else {
    static_assert(sizeof(T) == 0, "Param converts to bool, numbers, std::string and vectors");
  }
}

/// Bytes a parameter tree holds, for memory accounting.
SLUICE_API std::size_t byte_size(const Param& param);

}  // namespace sluice
