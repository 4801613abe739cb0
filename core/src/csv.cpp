#include <algorithm>
#include <charconv>
#include <cmath>
#include <istream>
#include <iterator>
#include <limits>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sluice/core/error.hpp>
#include <sluice/core/table.hpp>
#include <sluice/core/util/suggest.hpp>
#include <sluice/core/util/text.hpp>

namespace sluice {
namespace {

struct Field {
  std::string text;
  bool quoted = false;
};

struct Record {
  std::vector<Field> fields;
  std::size_t line = 0;
};

// RFC 4180 records; a quoted field may span lines, so records track their first line.
std::vector<Record> parse_records(std::string_view text, std::string_view source,
                                  std::size_t first_line, const CsvReadOptions& options) {
  const char quote = options.quotechar;
  std::vector<Record> records;
  Record record;
  Field field;
  std::size_t line = first_line;
  record.line = line;
  bool in_quotes = false;
  bool field_started = false;
  std::size_t quote_line = 0;

  auto end_field = [&] {
    record.fields.push_back(std::move(field));
    field = Field{};
    field_started = false;
  };
  auto end_record = [&] {
    end_field();
    const bool blank =
        record.fields.size() == 1 && record.fields[0].text.empty() && !record.fields[0].quoted;
    if (!blank) {
      records.push_back(std::move(record));
    }
    record = Record{};
    record.line = line;
  };

  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == quote) {
        if (i + 1 < text.size() && text[i + 1] == quote) {
          field.text += quote;
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') {
          ++line;
        }
        field.text += c;
      }
      continue;
    }
    if (c == quote) {
      if (field_started) {
        throw DatasetError(fmt::format(
            "{}:{}: a quote inside an unquoted field; quote the whole field and double the "
            "inner quotes ({}{})",
            source, line, quote, quote));
      }
      in_quotes = true;
      field.quoted = true;
      field_started = true;
      quote_line = line;
      continue;
    }
    if (c == options.sep) {
      end_field();
      continue;
    }
    if (options.comment != 0 && c == options.comment) {
      while (i + 1 < text.size() && text[i + 1] != '\n' && text[i + 1] != '\r') {
        ++i;
      }
      continue;
    }
    switch (c) {
      case '\r':
        if (i + 1 < text.size() && text[i + 1] == '\n') {
          break;
        }
        [[fallthrough]];
      case '\n':
        ++line;
        end_record();
        break;
      default:
        if (field.quoted) {
          throw DatasetError(
              fmt::format("{}:{}: text after a closing quote; a quoted field must end at a "
                          "separator ('{}') or line end",
                          source, line, options.sep));
        }
        field.text += c;
        field_started = true;
        break;
    }
  }
  if (in_quotes) {
    throw DatasetError(fmt::format("{}:{}: a quoted field is never closed (missing '{}')", source,
                                   quote_line, quote));
  }
  if (field_started || !record.fields.empty()) {
    end_record();
  }
  return records;
}

// The whole field must be the number; a leading '+' is allowed.
template <class Number>
bool parse_number(std::string_view text, Number& out) {
  const char* begin = text.data();
  if (!text.empty() && text.front() == '+') {
    ++begin;
  }
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, out);
  return ec == std::errc() && ptr == end && begin != end;
}

bool parse_int(std::string_view text, std::int64_t& out) {
  return parse_number(text, out);
}
bool parse_double(std::string_view text, double& out) {
  return parse_number(text, out);
}

// The strings that mean a missing value, as options give them.
class MissingValues {
 public:
  explicit MissingValues(const CsvReadOptions& options) {
    if (options.keep_default_na) {
      strings_.insert(csv_default_na_values().begin(), csv_default_na_values().end());
    }
    strings_.insert(options.na_values.begin(), options.na_values.end());
  }
  // A quoted field is text, whatever it says, unless `quoted_too` (a dtype asked for numbers).
  bool missing(const Field& field, bool quoted_too = false) const {
    return (quoted_too || !field.quoted) && strings_.contains(field.text);
  }

 private:
  std::set<std::string, std::less<>> strings_;
};

std::vector<std::string> string_column(const std::vector<Record>& rows, std::size_t c) {
  std::vector<std::string> values;
  values.reserve(rows.size());
  for (const auto& row : rows) {
    values.push_back(row.fields[c].text);
  }
  return values;
}

Table::Column infer_column(const std::vector<Record>& rows, std::size_t c,
                           const MissingValues& na) {
  bool any_quoted = false;
  bool all_int = true;
  bool all_number = true;
  bool any_number = false;  // a field that reads as a number ("nan" included)
  for (const auto& row : rows) {
    const Field& field = row.fields[c];
    any_quoted = any_quoted || field.quoted;
    double number = 0;
    if (na.missing(field)) {
      all_int = false;
      any_number = any_number || parse_double(field.text, number);
      continue;
    }
    std::int64_t integer = 0;
    const bool is_number = parse_double(field.text, number);
    any_number = any_number || is_number;
    all_int = all_int && parse_int(field.text, integer);
    all_number = all_number && is_number;
  }
  if (!any_quoted && any_number && all_int) {
    std::vector<std::int64_t> values(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      parse_int(rows[r].fields[c].text, values[r]);
    }
    return values;
  }
  if (!any_quoted && any_number && all_number) {
    std::vector<double> values(rows.size(), std::numeric_limits<double>::quiet_NaN());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (!na.missing(rows[r].fields[c])) {
        parse_double(rows[r].fields[c].text, values[r]);
      }
    }
    return values;
  }
  return string_column(rows, c);
}

// Where a column's type comes from when it is not inferred.
struct TypeSource {
  std::string_view type;    // int64, double or string
  std::string_view origin;  // "the types line says double", "dtype float64"
  bool quoted_numbers;      // whether a quoted field may hold a number
};

// A column of the given type; a field that is not of that type is an error naming the line.
Table::Column typed_column(const std::vector<Record>& rows, std::size_t c, const TypeSource& type,
                           const std::string& name, std::string_view source,
                           const MissingValues& na) {
  auto not_a = [&](const Record& row, std::string_view wanted) {
    return DatasetError(fmt::format("{}:{}: '{}' in column '{}' is not {} ({})", source, row.line,
                                    row.fields[c].text, name, wanted, type.origin));
  };
  if (type.type == "int64") {
    std::vector<std::int64_t> values(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const Field& field = rows[r].fields[c];
      if (na.missing(field, type.quoted_numbers)) {
        throw DatasetError(fmt::format(
            "{}:{}: column '{}' is missing a value ('{}'), which int64 cannot hold ({}); read "
            "it as float64 (NaN) or str",
            source, rows[r].line, name, field.text, type.origin));
      }
      if ((field.quoted && !type.quoted_numbers) || !parse_int(field.text, values[r])) {
        throw not_a(rows[r], "an integer");
      }
    }
    return values;
  }
  if (type.type == "double") {
    std::vector<double> values(rows.size(), std::numeric_limits<double>::quiet_NaN());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const Field& field = rows[r].fields[c];
      if (na.missing(field, type.quoted_numbers)) {
        continue;
      }
      if ((field.quoted && !type.quoted_numbers) || !parse_double(field.text, values[r])) {
        throw not_a(rows[r], "a number");
      }
    }
    return values;
  }
  return string_column(rows, c);
}

// pandas' spelling of a dtype, as a Table column type.
std::string_view table_type(std::string_view dtype) {
  if (dtype == "float64" || dtype == "float") {
    return "double";
  }
  if (dtype == "int64" || dtype == "int") {
    return "int64";
  }
  return "string";
}

constexpr std::string_view kTypesLine = "#sluice:types=";

bool looks_numeric(const std::string& text) {
  std::int64_t integer = 0;
  double number = 0;
  return parse_int(text, integer) || parse_double(text, number);
}

bool needs_quotes(const std::string& text, const CsvWriteOptions& options) {
  return std::any_of(text.begin(), text.end(), [&](char c) {
    return c == options.sep || c == options.quotechar || c == '\r' || c == '\n';
  });
}

void write_quoted(std::ostream& out, const std::string& text, char quote) {
  out << quote;
  for (char c : text) {
    if (c == quote) {
      out << quote;
    }
    out << c;
  }
  out << quote;
}

// One field. `keep_type` is minimal quoting's extra: quote what would otherwise read back as
// another type (or as a blank line, or a types line). `numeric` says whether the field is a
// number, for QUOTE_NONNUMERIC.
class FieldWriter {
 public:
  FieldWriter(std::ostream& out, const CsvWriteOptions& options, std::string_view target)
      : out_(out), options_(options), target_(target) {}

  void write(const std::string& text, bool numeric, bool keep_type, std::string_view where) {
    bool quote = false;
    switch (options_.quoting) {
      case CsvQuoting::minimal:
        quote = keep_type || needs_quotes(text, options_);
        break;
      case CsvQuoting::all:
        quote = true;
        break;
      case CsvQuoting::nonnumeric:
        quote = !numeric || needs_quotes(text, options_);
        break;
      case CsvQuoting::none:
        if (needs_quotes(text, options_)) {
          throw DatasetError(fmt::format(
              "{}: {} holds a separator ('{}'), quote character ('{}') or line break, which "
              "quoting QUOTE_NONE (3) cannot write; use QUOTE_MINIMAL (0) or another sep",
              target_, where, options_.sep, options_.quotechar));
        }
        break;
    }
    if (quote) {
      write_quoted(out_, text, options_.quotechar);
    } else {
      out_ << text;
    }
  }

 private:
  std::ostream& out_;
  const CsvWriteOptions& options_;
  std::string_view target_;
};

std::string double_text(double value, const CsvWriteOptions& options) {
  if (std::isnan(value)) {
    return options.na_rep;  // `nan` by default, not empty: a row of one empty field is blank
  }
  std::string text = fmt::format("{}", value);
  if (text.find_first_of(".eEn") == std::string::npos) {
    text += ".0";  // so that the column reads back as double, not int64
  }
  return text;
}

Table select_columns(const Table& table, const CsvWriteOptions& options, std::string_view target) {
  for (const auto& name : options.columns) {
    if (!table.has_column(name)) {
      throw DatasetError(fmt::format(
          "{}: save_args columns names '{}', which the table does not have{}; it has: {}", target,
          name, did_you_mean(name, table.column_names()), fmt::join(table.column_names(), ", ")));
    }
  }
  return table.select(options.columns);
}

void write_table(const Table& table, std::ostream& out, const CsvWriteOptions& options,
                 std::string_view target) {
  FieldWriter writer(out, options, target);
  if (table.num_rows() == 0) {
    // Without rows there is nothing to infer the types from.
    out << kTypesLine;
    const char* separator = "";
    for (std::size_t c = 0; c < table.num_columns(); ++c) {
      out << separator << Table::type_label(table.column(c));
      separator = ",";
    }
    out << '\n';
  }
  if (options.header) {
    std::string_view separator;
    for (const auto& name : table.column_names()) {
      out << separator;
      // An empty name alone would be a blank line, and one starting with '#' a types line.
      writer.write(name, false, name.empty() || name.starts_with('#'),
                   fmt::format("the name of column '{}'", name));
      separator = std::string_view(&options.sep, 1);
    }
    out << '\n';
  }
  for (std::size_t row = 0; row < table.num_rows(); ++row) {
    std::string_view separator;
    for (std::size_t c = 0; c < table.num_columns(); ++c) {
      out << separator;
      separator = std::string_view(&options.sep, 1);
      const auto where = [&] {
        return fmt::format("column '{}', row {}", table.column_names()[c], row + 1);
      };
      std::visit(
          [&](const auto& values) {
            using Item = typename std::decay_t<decltype(values)>::value_type;
            const Item& value = values[row];
            if constexpr (std::is_same_v<Item, std::string>) {
              // Quoting keeps a string column a string column when read back.
              writer.write(value, false, value.empty() || looks_numeric(value), where());
            } else if constexpr (std::is_same_v<Item, double>) {
              writer.write(double_text(value, options), true, false, where());
            } else {
              writer.write(std::to_string(value), true, false, where());
            }
          },
          table.column(c));
    }
    out << '\n';
  }
}

}  // namespace

const std::vector<std::string>& csv_default_na_values() {
  // pandas 2.x's STR_NA_VALUES (pandas/_libs/parsers.pyx), the empty field included.
  static const std::vector<std::string> values = {
      "",     "#N/A",   "#N/A N/A", "#NA",  "-1.#IND", "-1.#QNAN", "-NaN",
      "-nan", "1.#IND", "1.#QNAN",  "<NA>", "N/A",     "NA",       "NULL",
      "NaN",  "None",   "n/a",      "nan",  "null"};
  return values;
}

const std::vector<std::string>& csv_dtypes() {
  static const std::vector<std::string> names = {"float64", "float",  "int64", "int",
                                                 "str",     "string", "object"};
  return names;
}

Table read_csv_string(std::string_view text, std::string_view source) {
  return read_csv_string(text, source, CsvReadOptions{});
}

Table read_csv_string(std::string_view text, std::string_view source,
                      const CsvReadOptions& options) {
  std::size_t first_line = 1;
  for (std::size_t skipped = 0; skipped < options.skiprows && !text.empty(); ++skipped) {
    const auto end = text.find('\n');
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++first_line;
  }
  std::optional<std::vector<std::string>> types;
  if (text.starts_with(kTypesLine)) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end).substr(kTypesLine.size());
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    types = line.empty() ? std::vector<std::string>{} : split(line, ',');
    for (const auto& type : *types) {
      if (type != "double" && type != "int64" && type != "string") {
        throw DatasetError(fmt::format(
            "{}:{}: unknown column type '{}' in the types line; known types: double, int64, "
            "string",
            source, first_line, type));
      }
    }
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++first_line;
  }
  std::vector<Record> records = parse_records(text, source, first_line, options);
  if (records.empty()) {
    if (types && types->empty()) {
      return Table();
    }
    throw DatasetError(fmt::format("{}: the file is empty; a CSV needs a header row", source));
  }
  std::vector<std::string> names;
  std::size_t names_line = records.front().line;
  if (options.header) {
    for (auto& field : records.front().fields) {
      names.push_back(std::move(field.text));
    }
    records.erase(records.begin());
  } else {
    for (std::size_t c = 0; c < records.front().fields.size(); ++c) {
      names.push_back(std::to_string(c));
    }
  }
  const std::string_view width_from = options.header ? "the header" : "the first row";
  for (const auto& record : records) {
    if (record.fields.size() != names.size()) {
      throw DatasetError(fmt::format("{}:{}: {} fields, but {} on line {} has {}", source,
                                     record.line, record.fields.size(), width_from, names_line,
                                     names.size()));
    }
  }
  if (!options.names.empty()) {
    if (options.names.size() != names.size()) {
      throw DatasetError(fmt::format(
          "{}:{}: load_args names gives {} names, but {} on line {} has {} columns", source,
          names_line, options.names.size(), width_from, names_line, names.size()));
    }
    names = options.names;
  }
  if (types && types->size() != names.size()) {
    throw DatasetError(
        fmt::format("{}:{}: the types line names {} types, but the header on line {} "
                    "has {} columns",
                    source, first_line - 1, types->size(), names_line, names.size()));
  }
  for (const auto& wanted : options.usecols) {
    if (std::find(names.begin(), names.end(), wanted) == names.end()) {
      throw DatasetError(
          fmt::format("{}: load_args usecols names '{}', which is not a column{}; "
                      "the columns are: {}",
                      source, wanted, did_you_mean(wanted, names), fmt::join(names, ", ")));
    }
  }
  for (const auto& [column, dtype] : options.dtype) {
    if (std::find(names.begin(), names.end(), column) == names.end()) {
      throw DatasetError(
          fmt::format("{}: load_args dtype names '{}', which is not a column{}; "
                      "the columns are: {}",
                      source, column, did_you_mean(column, names), fmt::join(names, ", ")));
    }
  }
  const MissingValues na(options);
  Table table;
  for (std::size_t c = 0; c < names.size(); ++c) {
    const std::string& name = names[c];
    if (!options.usecols.empty() &&
        std::find(options.usecols.begin(), options.usecols.end(), name) == options.usecols.end()) {
      continue;
    }
    if (table.has_column(name)) {
      throw DatasetError(
          fmt::format("{}:{}: column '{}' appears twice in the header", source, names_line, name));
    }
    const auto dtype = options.dtype.find(name);
    const std::string& dtype_name =
        dtype != options.dtype.end() ? dtype->second : options.dtype_all;
    Table::Column column;
    if (types) {
      const std::string origin = fmt::format("the types line says {}", (*types)[c]);
      column = typed_column(records, c, {(*types)[c], origin, false}, name, source, na);
    } else if (!dtype_name.empty()) {
      const std::string origin = fmt::format("load_args dtype {}", dtype_name);
      column = typed_column(records, c, {table_type(dtype_name), origin, true}, name, source, na);
    } else {
      column = infer_column(records, c, na);
    }
    table.add_column(name, std::move(column));
  }
  return table;
}

Table read_csv(std::istream& in, std::string_view source) {
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return read_csv_string(text, source);
}

void write_csv(const Table& table, std::ostream& out) {
  write_table(table, out, CsvWriteOptions{}, "<stream>");
}

std::string write_csv_string(const Table& table) {
  std::ostringstream out;
  write_csv(table, out);
  return out.str();
}

std::string write_csv_string(const Table& table, const CsvWriteOptions& options,
                             std::string_view target) {
  std::ostringstream out;
  if (options.columns.empty()) {
    write_table(table, out, options, target);
  } else {
    write_table(select_columns(table, options, target), out, options, target);
  }
  return out.str();
}

}  // namespace sluice
