#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <map>
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

/// How read_csv reads: Kedro's CSVDataset `load_args`, named as pandas.read_csv names them.
/// The defaults read what write_csv writes.
struct SLUICE_API CsvReadOptions {
  char sep = ',';
  char quotechar = '"';
  /// Starts a comment that runs to the line end (outside quotes); 0 for none.
  char comment = 0;
  /// false: the first row is data (pandas' `header=None`); columns are named `names`, or
  /// "0".."n-1".
  bool header = true;
  /// Column names to use instead of the header's (or, without a header, at all).
  std::vector<std::string> names;
  /// Lines skipped at the start of the text, before anything is read.
  std::size_t skiprows = 0;
  /// The columns to keep, by name (in file order); empty for all.
  std::vector<std::string> usecols;
  /// Extra strings that mean a missing value, beside pandas' defaults (csv_default_na_values)
  /// unless keep_default_na is false.
  std::vector<std::string> na_values;
  bool keep_default_na = true;
  /// Column types by name, in pandas' spelling (csv_dtypes): "float64", "int64", "str"...
  std::map<std::string, std::string> dtype;
  /// The type of every column not in `dtype`; empty to infer.
  std::string dtype_all;
};

/// pandas.to_csv's `quoting` (Python's csv.QUOTE_*), with the same numbers.
enum class CsvQuoting { minimal = 0, all = 1, nonnumeric = 2, none = 3 };

/// How write_csv writes: Kedro's CSVDataset `save_args`, named as DataFrame.to_csv names them.
struct SLUICE_API CsvWriteOptions {
  char sep = ',';
  char quotechar = '"';
  bool header = true;
  /// How NaN is written; the default `nan` reads back as NaN.
  std::string na_rep = "nan";
  CsvQuoting quoting = CsvQuoting::minimal;
  /// The columns to write, in that order; empty for all.
  std::vector<std::string> columns;
};

/// pandas' default missing-value strings ("", "NA", "N/A", "NaN", "null", "None", ...).
SLUICE_API const std::vector<std::string>& csv_default_na_values();
/// The dtype names read_csv takes: float64/float (double), int64/int, str/string/object.
SLUICE_API const std::vector<std::string>& csv_dtypes();

/// Reads CSV (RFC 4180: header row, comma separator, double-quoted fields with "" escapes,
/// CRLF or LF line ends; blank lines are skipped). Each column's type is inferred: int64 if
/// every field is an integer, double if every field is a number (`nan`, `inf` included) or a
/// missing value (an unquoted field in the NA strings: empty, `NA`, `null`... become NaN, so an
/// int64 column with one becomes double), string otherwise; a column with any quoted field stays
/// string, and a string column keeps its NA strings as text. A first line
/// `#sluice:types=double,int64,...` (written for tables without rows, whose types cannot be
/// inferred) gives the types instead, as `options.dtype` does. Errors name `source` and the line.
SLUICE_API Table read_csv(std::istream& in, std::string_view source);
SLUICE_API Table read_csv_string(std::string_view text, std::string_view source = "<string>");
SLUICE_API Table read_csv_string(std::string_view text, std::string_view source,
                                 const CsvReadOptions& options);

/// Writes CSV that read_csv reads back into an equal table (types included): NaN as `nan`,
/// strings that are empty or look like numbers quoted, and for a table without rows the
/// `#sluice:types=` line. With options, errors (an unknown column, a field QUOTE_NONE cannot
/// write) name `target`.
SLUICE_API void write_csv(const Table& table, std::ostream& out);
SLUICE_API std::string write_csv_string(const Table& table);
SLUICE_API std::string write_csv_string(const Table& table, const CsvWriteOptions& options,
                                        std::string_view target = "<string>");

}  // namespace sluice
