#include <cmath>

#include <fmt/format.h>

#include <sluice/core/error.hpp>
#include <sluice/core/table.hpp>

namespace sluice {

Table& Table::add_column(std::string name, Column column) {
  if (has_column(name)) {
    throw Error(fmt::format("table already has a column named '{}'", name));
  }
  const std::size_t length = std::visit([](const auto& values) { return values.size(); }, column);
  if (!names_.empty() && length != rows_) {
    throw Error(fmt::format("column '{}' has {} rows but the table has {}", name, length, rows_));
  }
  rows_ = length;
  names_.push_back(std::move(name));
  columns_.push_back(std::move(column));
  return *this;
}

bool operator==(const Table& a, const Table& b) {
  if (a.names_ != b.names_ || a.rows_ != b.rows_) {
    return false;
  }
  for (std::size_t c = 0; c < a.columns_.size(); ++c) {
    const auto* a_doubles = std::get_if<std::vector<double>>(&a.columns_[c]);
    const auto* b_doubles = std::get_if<std::vector<double>>(&b.columns_[c]);
    if (a_doubles == nullptr || b_doubles == nullptr) {
      if (a.columns_[c] != b.columns_[c]) {
        return false;
      }
      continue;
    }
    for (std::size_t r = 0; r < a_doubles->size(); ++r) {
      const double x = (*a_doubles)[r];
      const double y = (*b_doubles)[r];
      if (x != y && !(std::isnan(x) && std::isnan(y))) {
        return false;
      }
    }
  }
  return true;
}

bool Table::has_column(std::string_view name) const {
  for (const auto& existing : names_) {
    if (existing == name) {
      return true;
    }
  }
  return false;
}

std::size_t Table::index_of(std::string_view name) const {
  for (std::size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) {
      return i;
    }
  }
  throw Error(
      fmt::format("table has no column '{}'; its columns are: {}", name, fmt::join(names_, ", ")));
}

const Table::Column& Table::column(std::string_view name) const {
  return columns_[index_of(name)];
}

void Table::throw_column_type(std::string_view name, std::string_view actual,
                              std::string_view wanted) {
  throw TypeMismatchError(
      fmt::format("column '{}' holds {} values but {} was asked for", name, actual, wanted));
}

std::string_view Table::type_label(const Column& column) {
  switch (column.index()) {
    case 0:
      return "double";
    case 1:
      return "int64";
    default:
      return "string";
  }
}

Table Table::take_rows(const std::vector<std::size_t>& indices) const {
  Table result;
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    Column taken = std::visit(
        [&](const auto& values) -> Column {
          std::decay_t<decltype(values)> out;
          out.reserve(indices.size());
          for (std::size_t row : indices) {
            out.push_back(values.at(row));
          }
          return out;
        },
        columns_[c]);
    result.add_column(names_[c], std::move(taken));
  }
  result.rows_ = indices.size();
  return result;
}

Table Table::select(const std::vector<std::string>& names) const {
  Table result;
  for (const auto& name : names) {
    result.add_column(name, column(name));
  }
  return result;
}

Table Table::drop(std::string_view name) const {
  const std::size_t dropped = index_of(name);
  Table result;
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    if (c != dropped) {
      result.add_column(names_[c], columns_[c]);
    }
  }
  result.rows_ = rows_;
  return result;
}

std::size_t byte_size(const Table& table) {
  std::size_t total = sizeof(Table);
  for (std::size_t c = 0; c < table.num_columns(); ++c) {
    total += table.column_names()[c].capacity();
    std::visit(
        [&total](const auto& values) {
          using Item = typename std::decay_t<decltype(values)>::value_type;
          total += sizeof(values) + values.capacity() * sizeof(Item);
          if constexpr (std::is_same_v<Item, std::string>) {
            for (const auto& text : values) {
              total += text.capacity() > 15 ? text.capacity() : 0;
            }
          }
        },
        table.column(c));
  }
  return total;
}

}  // namespace sluice
