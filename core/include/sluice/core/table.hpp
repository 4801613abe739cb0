#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <sluice/core/export.hpp>

namespace sluice {

/// A small columnar table: named columns of double, int64 or string, all of one length.
///
/// The home for CSV-style data, as a DataFrame is for Kedro. Not a dataframe library.
class SLUICE_API Table {
 public:
  using Column =
      std::variant<std::vector<double>, std::vector<std::int64_t>, std::vector<std::string>>;

  Table() = default;

  /// Appends a column. Throws if the name is taken or the length differs from the others.
  Table& add_column(std::string name, Column column);

  std::size_t num_rows() const { return rows_; }
  std::size_t num_columns() const { return names_.size(); }
  const std::vector<std::string>& column_names() const { return names_; }
  bool has_column(std::string_view name) const;

  const Column& column(std::string_view name) const;
  const Column& column(std::size_t index) const { return columns_.at(index); }

  /// The column as a vector of T (double, std::int64_t or std::string); throws on a type mismatch.
  template <class T>
  const std::vector<T>& column_as(std::string_view name) const {
    const Column& found = column(name);
    if (const auto* typed = std::get_if<std::vector<T>>(&found)) {
      return *typed;
    }
    throw_column_type(name, type_label(found), type_label(Column(std::vector<T>{})));
  }

  /// A new table with the rows at `indices`, in that order.
  Table take_rows(const std::vector<std::size_t>& indices) const;
  /// A new table with the named columns, in that order.
  Table select(const std::vector<std::string>& names) const;
  /// A new table without the named column.
  Table drop(std::string_view name) const;

  /// "double", "int64" or "string".
  static std::string_view type_label(const Column& column);

  /// Same names, column types and values; NaN equals NaN (a missing value is a value).
  friend SLUICE_API bool operator==(const Table& a, const Table& b);

 private:
  std::size_t index_of(std::string_view name) const;
  [[noreturn]] static void throw_column_type(std::string_view name, std::string_view actual,
                                             std::string_view wanted);

  std::vector<std::string> names_;
  std::vector<Column> columns_;
  std::size_t rows_ = 0;
};

/// Bytes held by a table, for memory accounting.
SLUICE_API std::size_t byte_size(const Table& table);

/// Reads CSV (RFC 4180: header row, comma separator, double-quoted fields with "" escapes,
/// CRLF or LF line ends; blank lines are skipped). Each column's type is inferred: int64 if
/// every field is an integer, double if every field is a number (`nan`, `inf` included; empty
/// fields become NaN), string otherwise; a column with any quoted field stays string. A first
/// line `#sluice:types=double,int64,...` (written for tables without rows, whose types cannot
/// be inferred) gives the types instead. Errors name `source` and the line.
SLUICE_API Table read_csv(std::istream& in, std::string_view source);
SLUICE_API Table read_csv_string(std::string_view text, std::string_view source = "<string>");

/// Writes CSV that read_csv reads back into an equal table (types included): NaN as `nan`,
/// strings that are empty or look like numbers quoted, and for a table without rows the
/// `#sluice:types=` line.
SLUICE_API void write_csv(const Table& table, std::ostream& out);
SLUICE_API std::string write_csv_string(const Table& table);

}  // namespace sluice
