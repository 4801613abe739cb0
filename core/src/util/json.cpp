#include <algorithm>

#include <fmt/format.h>

#include <sluice/core/byte_size.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/core/util/json.hpp>

namespace sluice {
namespace {

// 1-based line and column of the byte at `offset` of `text`.
std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
  const std::string_view before = text.substr(0, std::min(offset, text.size()));
  const std::size_t line =
      1 + static_cast<std::size_t>(std::count(before.begin(), before.end(), '\n'));
  const std::size_t line_start = before.rfind('\n');
  const std::size_t column =
      line_start == std::string_view::npos ? before.size() + 1 : before.size() - line_start;
  return {line, column};
}

// nlohmann's message without its "[json.exception.parse_error.101] " tag and "parse error at
// line 1, column 2: " prefix, which the caller replaces with the file's name and position.
std::string problem(const nlohmann::json::exception& error) {
  std::string_view message = error.what();
  if (const auto tag = message.find("] "); message.starts_with('[') && tag != message.npos) {
    message.remove_prefix(tag + 2);
  }
  if (const auto colon = message.find(": ");
      message.starts_with("parse error") && colon != message.npos) {
    message.remove_prefix(colon + 2);
  }
  return std::string(message);
}

// Where the problem of a parse error other than a syntax error (a number too large for a
// double, "number overflow parsing '1e999'") is: the first place its quoted text appears.
std::size_t offset_of_quoted(std::string_view text, std::string_view message) {
  const auto open = message.find('\'');
  const auto close = message.rfind('\'');
  if (open == message.npos || close <= open + 1) {
    return 0;
  }
  const auto at = text.find(message.substr(open + 1, close - open - 1));
  return at == text.npos ? 0 : at;
}

// Bytes that are not UTF-8 are written as U+FFFD: the file stays valid JSON.
std::string quoted(const std::string& key) {
  return Json(key).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

bool has_structured_item(const Json& array) {
  return std::any_of(array.begin(), array.end(),
                     [](const Json& item) { return item.is_structured(); });
}

// `object` with `separator` between its members and `append_value` writing each value.
void append_object(std::string& out, const Json& object, std::string_view separator,
                   void (*append_value)(std::string&, const Json&)) {
  out += '{';
  bool first = true;
  for (const auto& [key, item] : object.items()) {
    out += first ? std::string_view() : separator;
    first = false;
    out += quoted(key);
    out += ": ";
    append_value(out, item);
  }
  out += '}';
}

void append_inline(std::string& out, const Json& value) {
  if (value.is_object()) {
    append_object(out, value, ", ", append_inline);
  } else if (value.is_array()) {
    out += '[';
    for (std::size_t i = 0; i < value.size(); ++i) {
      out += i == 0 ? "" : ", ";
      append_inline(out, value[i]);
    }
    out += ']';
  } else {
    out += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

// A member of the top level: an array of objects or arrays gets an item a line.
void append_block(std::string& out, const Json& value) {
  if (!value.is_array() || !has_structured_item(value)) {
    append_inline(out, value);
    return;
  }
  out += "[\n  ";
  for (std::size_t i = 0; i < value.size(); ++i) {
    out += i == 0 ? "" : ",\n  ";
    append_inline(out, value[i]);
  }
  out += "\n]";
}

}  // namespace

Json parse_json(std::string_view text, const std::string& source, std::string_view what_to_do) {
  try {
    return Json::parse(text);
  } catch (const nlohmann::json::exception& error) {
    // A parse_error's byte counts the bytes read, the one where the problem showed included.
    const auto* syntax = dynamic_cast<const nlohmann::json::parse_error*>(&error);
    const std::size_t offset = syntax != nullptr ? (syntax->byte == 0 ? 0 : syntax->byte - 1)
                                                 : offset_of_quoted(text, problem(error));
    const auto [line, column] = line_and_column(text, offset);
    throw ConfigError(fmt::format("{}:{}:{}: not valid JSON: {}; {}", source, line, column,
                                  problem(error), what_to_do));
  }
}

Json read_json_file(const std::filesystem::path& path, std::string_view what_to_do) {
  return parse_json(read_file(path), path.string(), what_to_do);
}

std::string json_text(const Json& document) {
  std::string out;
  if (document.is_object()) {
    append_object(out, document, ",\n ", append_block);
  } else {
    append_block(out, document);
  }
  return out + '\n';
}

}  // namespace sluice

namespace nlohmann {

std::size_t byte_size(const ::sluice::Json& json) {
  std::size_t total = sizeof(json);
  switch (json.type()) {
    case ::sluice::Json::value_t::object:
      for (const auto& [key, value] : json.get_ref<const ::sluice::Json::object_t&>()) {
        total += ::sluice::byte_size(key) + byte_size(value);
      }
      break;
    case ::sluice::Json::value_t::array:
      for (const auto& item : json) {
        total += byte_size(item);
      }
      break;
    case ::sluice::Json::value_t::string:
      total += ::sluice::byte_size(json.get_ref<const std::string&>());
      break;
    case ::sluice::Json::value_t::binary:
      total += json.get_binary().size();
      break;
    default:
      break;
  }
  return total;
}

}  // namespace nlohmann
