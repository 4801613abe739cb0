#pragma once

#include <charconv>
#include <string>
#include <string_view>
#include <vector>

/// Just enough XML for S3's answers: flat elements without attributes on the tags read, text
/// with the five predefined entities and numeric character references.
namespace sluice::s3::xml {

/// The content of each `<tag>...</tag>` (also `<tag attr="...">`), in document order.
inline std::vector<std::string_view> blocks(std::string_view document, std::string_view tag) {
  std::vector<std::string_view> found;
  const std::string open = "<" + std::string(tag);
  const std::string close = "</" + std::string(tag) + ">";
  std::size_t at = 0;
  while ((at = document.find(open, at)) != std::string_view::npos) {
    const std::size_t after_name = at + open.size();
    if (after_name >= document.size())
      break;
    const char next = document[after_name];
    if (next != '>' && next != ' ' && next != '/') {
      at = after_name;  // a longer tag name (<Uploads> when looking for <Upload>)
      continue;
    }
    const std::size_t tag_end = document.find('>', after_name);
    if (tag_end == std::string_view::npos)
      break;
    if (document[tag_end - 1] == '/') {  // <tag/>
      found.push_back({});
      at = tag_end + 1;
      continue;
    }
    const std::size_t end = document.find(close, tag_end + 1);
    if (end == std::string_view::npos)
      break;
    found.push_back(document.substr(tag_end + 1, end - tag_end - 1));
    at = end + close.size();
  }
  return found;
}

inline bool contains(std::string_view document, std::string_view tag) {
  return !blocks(document, tag).empty();
}

inline void append_utf8(std::string& out, unsigned long code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xc0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xe0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (code & 0x3f));
  }
}

inline std::string unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    const std::size_t end = text.find(';', i);
    if (end == std::string_view::npos) {
      out += text.substr(i);
      break;
    }
    const std::string_view entity = text.substr(i + 1, end - i - 1);
    if (entity == "amp")
      out += '&';
    else if (entity == "lt")
      out += '<';
    else if (entity == "gt")
      out += '>';
    else if (entity == "quot")
      out += '"';
    else if (entity == "apos")
      out += '\'';
    else if (entity.size() > 1 && entity[0] == '#') {
      const bool hex = entity[1] == 'x' || entity[1] == 'X';
      const std::string_view digits = entity.substr(hex ? 2 : 1);
      unsigned long code = 0;
      const auto [stop, error] =
          std::from_chars(digits.data(), digits.data() + digits.size(), code, hex ? 16 : 10);
      if (error == std::errc() && stop == digits.data() + digits.size() && code <= 0x10ffff)
        append_utf8(out, code);
      else
        out += text.substr(i, end - i + 1);
    } else
      out += text.substr(i, end - i + 1);
    i = end;
  }
  return out;
}

/// The unescaped text of the first `<tag>`, or "".
inline std::string text(std::string_view document, std::string_view tag) {
  const auto found = blocks(document, tag);
  return found.empty() ? std::string() : unescape(found.front());
}

inline std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace sluice::s3::xml
