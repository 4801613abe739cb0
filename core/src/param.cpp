#include <fmt/format.h>

#include <sluice/core/param.hpp>

namespace sluice {

std::string SourceMark::str() const {
  if (!known()) {
    return {};
  }
  return fmt::format("{}:{}:{}", file, line, column);
}

std::string_view Param::kind_name(Kind kind) {
  switch (kind) {
    case Kind::null:
      return "null";
    case Kind::boolean:
      return "boolean";
    case Kind::integer:
      return "integer";
    case Kind::floating:
      return "number";
    case Kind::string:
      return "string";
    case Kind::list:
      return "list";
    case Kind::map:
      return "map";
  }
  return "unknown";
}

void Param::throw_kind(std::string_view wanted, std::string_view what) const {
  const std::string where = mark().known() ? fmt::format("{}: ", mark().str()) : std::string();
  const std::string subject = what.empty() ? std::string("value") : std::string(what);
  throw ConfigError(fmt::format("{}{} is a {} ({}) but {} is expected", where, subject,
                                kind_name(kind()), to_string(), wanted));
}

void Param::throw_range(const std::string& range, std::string_view what) const {
  const std::string where = mark().known() ? fmt::format("{}: ", mark().str()) : std::string();
  const std::string subject = what.empty() ? std::string("value") : std::string(what);
  throw ConfigError(fmt::format("{}{} is {}, which is out of range: write a number from {}", where,
                                subject, to_string(), range));
}

bool Param::as_bool() const {
  if (const auto* value = std::get_if<bool>(&data_)) {
    return *value;
  }
  throw_kind("a boolean", {});
}

std::int64_t Param::as_int() const {
  if (const auto* value = std::get_if<std::int64_t>(&data_)) {
    return *value;
  }
  throw_kind("an integer", {});
}

double Param::as_double() const {
  if (const auto* value = std::get_if<double>(&data_)) {
    return *value;
  }
  if (const auto* value = std::get_if<std::int64_t>(&data_)) {
    return static_cast<double>(*value);
  }
  throw_kind("a number", {});
}

const std::string& Param::as_string() const {
  if (const auto* value = std::get_if<std::string>(&data_)) {
    return *value;
  }
  throw_kind("a string", {});
}

const Param::List& Param::as_list() const {
  if (const auto* value = std::get_if<List>(&data_)) {
    return *value;
  }
  throw_kind("a list", {});
}

const Param::Map& Param::as_map() const {
  if (const auto* value = std::get_if<Map>(&data_)) {
    return *value;
  }
  throw_kind("a map", {});
}

Param::List& Param::as_list() {
  if (auto* value = std::get_if<List>(&data_)) {
    return *value;
  }
  throw_kind("a list", {});
}

Param::Map& Param::as_map() {
  if (auto* value = std::get_if<Map>(&data_)) {
    return *value;
  }
  throw_kind("a map", {});
}

const Param* Param::find(std::string_view key) const {
  const auto* map = std::get_if<Map>(&data_);
  if (map == nullptr) {
    return nullptr;
  }
  for (const auto& [name, child] : *map) {
    if (name == key) {
      return &child;
    }
  }
  return nullptr;
}

const Param& Param::at(std::string_view key) const {
  if (const Param* child = find(key)) {
    return *child;
  }
  const std::string where = mark().known() ? fmt::format("{}: ", mark().str()) : std::string();
  throw ConfigError(fmt::format("{}missing key '{}'", where, key));
}

void Param::set(std::string key, Param value) {
  if (is_null()) {
    data_ = Map{};
  }
  Map& map = as_map();
  for (auto& [name, child] : map) {
    if (name == key) {
      child = std::move(value);
      return;
    }
  }
  map.emplace_back(std::move(key), std::move(value));
}

namespace {

bool needs_quotes(const std::string& text) {
  if (text.empty()) {
    return true;
  }
  return text.find_first_of(",:{}[]#'\"\n") != std::string::npos || text.front() == ' ' ||
         text.back() == ' ';
}

void render(const Param& param, std::string& out) {
  switch (param.kind()) {
    case Param::Kind::null:
      out += "null";
      return;
    case Param::Kind::boolean:
      out += param.as_bool() ? "true" : "false";
      return;
    case Param::Kind::integer:
      out += fmt::format("{}", param.as_int());
      return;
    case Param::Kind::floating:
      out += fmt::format("{}", param.as_double());
      return;
    case Param::Kind::string:
      out += needs_quotes(param.as_string()) ? fmt::format("'{}'", param.as_string())
                                             : param.as_string();
      return;
    case Param::Kind::list: {
      out += '[';
      const char* separator = "";
      for (const Param& item : param.as_list()) {
        out += separator;
        render(item, out);
        separator = ", ";
      }
      out += ']';
      return;
    }
    case Param::Kind::map: {
      out += '{';
      const char* separator = "";
      for (const auto& [key, child] : param.as_map()) {
        out += separator;
        out += key;
        out += ": ";
        render(child, out);
        separator = ", ";
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string Param::to_string() const {
  std::string out;
  render(*this, out);
  return out;
}

const SourceMark& Param::mark() const {
  static const SourceMark unknown;
  return mark_ ? *mark_ : unknown;
}

void Param::set_mark(SourceMark mark) {
  mark_ = std::make_shared<const SourceMark>(std::move(mark));
}

std::size_t byte_size(const Param& param) {
  std::size_t total = sizeof(Param);
  switch (param.kind()) {
    case Param::Kind::string:
      total += param.as_string().capacity();
      break;
    case Param::Kind::list:
      for (const Param& item : param.as_list()) {
        total += byte_size(item);
      }
      break;
    case Param::Kind::map:
      for (const auto& [key, child] : param.as_map()) {
        total += key.capacity() + byte_size(child);
      }
      break;
    default:
      break;
  }
  return total;
}

}  // namespace sluice
