#include <charconv>
#include <cmath>
#include <istream>
#include <iterator>
#include <limits>
#include <optional>
#include <ostream>
#include <sstream>

#include <fmt/format.h>

#include <sluice/core/error.hpp>
#include <sluice/core/table.hpp>
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
                                  std::size_t first_line) {
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
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.text += '"';
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
    switch (c) {
      case '"':
        if (field_started) {
          throw DatasetError(fmt::format(
              "{}:{}: a quote inside an unquoted field; quote the whole field and double the "
              "inner quotes (\"\")",
              source, line));
        }
        in_quotes = true;
        field.quoted = true;
        field_started = true;
        quote_line = line;
        break;
      case ',':
        end_field();
        break;
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
          throw DatasetError(fmt::format(
              "{}:{}: text after a closing quote; a quoted field must end at a comma or line end",
              source, line));
        }
        field.text += c;
        field_started = true;
        break;
    }
  }
  if (in_quotes) {
    throw DatasetError(
        fmt::format("{}:{}: a quoted field is never closed (missing '\"')", source, quote_line));
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

std::vector<std::string> string_column(const std::vector<Record>& rows, std::size_t c) {
  std::vector<std::string> values;
  values.reserve(rows.size());
  for (const auto& row : rows) {
    values.push_back(row.fields[c].text);
  }
  return values;
}

Table::Column infer_column(const std::vector<Record>& rows, std::size_t c) {
  bool any_quoted = false;
  bool all_int = true;
  bool all_number = true;
  bool any_text = false;
  for (const auto& row : rows) {
    const Field& field = row.fields[c];
    any_quoted = any_quoted || field.quoted;
    if (field.text.empty()) {
      all_int = false;
      continue;
    }
    any_text = true;
    std::int64_t integer = 0;
    double number = 0;
    all_int = all_int && parse_int(field.text, integer);
    all_number = all_number && parse_double(field.text, number);
  }
  if (!any_quoted && any_text && all_int) {
    std::vector<std::int64_t> values(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      parse_int(rows[r].fields[c].text, values[r]);
    }
    return values;
  }
  if (!any_quoted && any_text && all_number) {
    std::vector<double> values(rows.size(), std::numeric_limits<double>::quiet_NaN());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (!rows[r].fields[c].text.empty()) {
        parse_double(rows[r].fields[c].text, values[r]);
      }
    }
    return values;
  }
  return string_column(rows, c);
}

// A column of the type a `#sluice:types=` line gives; a field that is not of that type is an
// error naming the line.
Table::Column typed_column(const std::vector<Record>& rows, std::size_t c, std::string_view type,
                           const std::string& name, std::string_view source) {
  auto not_a = [&](const Record& row, std::string_view wanted) {
    return DatasetError(fmt::format("{}:{}: '{}' in column '{}' is not {} (the types line says {})",
                                    source, row.line, row.fields[c].text, name, wanted, type));
  };
  if (type == "int64") {
    std::vector<std::int64_t> values(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (rows[r].fields[c].quoted || !parse_int(rows[r].fields[c].text, values[r])) {
        throw not_a(rows[r], "an integer");
      }
    }
    return values;
  }
  if (type == "double") {
    std::vector<double> values(rows.size(), std::numeric_limits<double>::quiet_NaN());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const Field& field = rows[r].fields[c];
      if (field.quoted || (!field.text.empty() && !parse_double(field.text, values[r]))) {
        throw not_a(rows[r], "a number");
      }
    }
    return values;
  }
  return string_column(rows, c);
}

constexpr std::string_view kTypesLine = "#sluice:types=";

bool looks_numeric(const std::string& text) {
  std::int64_t integer = 0;
  double number = 0;
  return parse_int(text, integer) || parse_double(text, number);
}

void write_text(std::ostream& out, const std::string& text, bool force_quotes) {
  if (!force_quotes && text.find_first_of(",\"\r\n") == std::string::npos) {
    out << text;
    return;
  }
  out << '"';
  for (char c : text) {
    if (c == '"') {
      out << '"';
    }
    out << c;
  }
  out << '"';
}

}  // namespace

Table read_csv_string(std::string_view text, std::string_view source) {
  std::optional<std::vector<std::string>> types;
  std::size_t first_line = 1;
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
            "{}:1: unknown column type '{}' in the types line; known types: double, int64, string",
            source, type));
      }
    }
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    first_line = 2;
  }
  std::vector<Record> records = parse_records(text, source, first_line);
  if (records.empty()) {
    if (types && types->empty()) {
      return Table();
    }
    throw DatasetError(fmt::format("{}: the file is empty; a CSV needs a header row", source));
  }
  const Record header = std::move(records.front());
  records.erase(records.begin());
  for (const auto& record : records) {
    if (record.fields.size() != header.fields.size()) {
      throw DatasetError(fmt::format("{}:{}: {} fields, but the header on line {} has {}", source,
                                     record.line, record.fields.size(), header.line,
                                     header.fields.size()));
    }
  }
  if (types && types->size() != header.fields.size()) {
    throw DatasetError(
        fmt::format("{}:1: the types line names {} types, but the header on line {} "
                    "has {} columns",
                    source, types->size(), header.line, header.fields.size()));
  }
  Table table;
  for (std::size_t c = 0; c < header.fields.size(); ++c) {
    const std::string& name = header.fields[c].text;
    if (table.has_column(name)) {
      throw DatasetError(
          fmt::format("{}:{}: column '{}' appears twice in the header", source, header.line, name));
    }
    table.add_column(name, types ? typed_column(records, c, (*types)[c], name, source)
                                 : infer_column(records, c));
  }
  return table;
}

Table read_csv(std::istream& in, std::string_view source) {
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return read_csv_string(text, source);
}

void write_csv(const Table& table, std::ostream& out) {
  const char* separator = "";
  if (table.num_rows() == 0) {
    // Without rows there is nothing to infer the types from.
    out << kTypesLine;
    for (std::size_t c = 0; c < table.num_columns(); ++c) {
      out << separator << Table::type_label(table.column(c));
      separator = ",";
    }
    out << '\n';
    separator = "";
  }
  for (const auto& name : table.column_names()) {
    out << separator;
    // An empty name alone would be a blank line, and one starting with '#' a types line.
    write_text(out, name, name.empty() || name.starts_with('#'));
    separator = ",";
  }
  out << '\n';
  for (std::size_t row = 0; row < table.num_rows(); ++row) {
    separator = "";
    for (std::size_t c = 0; c < table.num_columns(); ++c) {
      out << separator;
      separator = ",";
      std::visit(
          [&](const auto& values) {
            using Item = typename std::decay_t<decltype(values)>::value_type;
            const Item& value = values[row];
            if constexpr (std::is_same_v<Item, std::string>) {
              // Quoting keeps a string column a string column when read back.
              write_text(out, value, value.empty() || looks_numeric(value));
            } else if constexpr (std::is_same_v<Item, double>) {
              if (std::isnan(value)) {
                out << "nan";  // not empty: a row of one empty field would be a blank line
                return;
              }
              std::string text = fmt::format("{}", value);
              if (text.find_first_of(".eEn") == std::string::npos) {
                text += ".0";  // so that the column reads back as double, not int64
              }
              out << text;
            } else {
              out << value;
            }
          },
          table.column(c));
    }
    out << '\n';
  }
}

std::string write_csv_string(const Table& table) {
  std::ostringstream out;
  write_csv(table, out);
  return out.str();
}

}  // namespace sluice
