#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/dataset_factories.hpp>
#include <sluice/core/error.hpp>

namespace sluice {
namespace {

std::string at_mark(const SourceMark& mark) {
  return mark.known() ? mark.str() + ": " : std::string();
}

bool is_identifier(std::string_view text) {
  if (text.empty() || (text[0] >= '0' && text[0] <= '9')) {
    return false;
  }
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::vector<DatasetPattern::Token> tokenize(const std::string& pattern, const SourceMark& mark) {
  std::vector<DatasetPattern::Token> tokens;
  std::set<std::string> seen;
  std::size_t i = 0;
  while (i < pattern.size()) {
    const std::size_t open = pattern.find('{', i);
    if (open != i) {
      const std::string literal = pattern.substr(i, open - i);
      if (literal.find('}') != std::string::npos) {
        throw ConfigError(fmt::format(
            "{}dataset pattern '{}': a '}}' without its '{{'; a placeholder is written {{name}}",
            at_mark(mark), pattern));
      }
      tokens.push_back({false, literal});
      if (open == std::string::npos) {
        break;
      }
    }
    const std::size_t close = pattern.find('}', open);
    if (close == std::string::npos) {
      throw ConfigError(fmt::format(
          "{}dataset pattern '{}': the '{{' at character {} is not closed; a placeholder is "
          "written {{name}}",
          at_mark(mark), pattern, open + 1));
    }
    const std::string name = pattern.substr(open + 1, close - open - 1);
    if (!is_identifier(name)) {
      throw ConfigError(fmt::format(
          "{}dataset pattern '{}': '{{{}}}' is not a placeholder; name it with letters, digits "
          "and _ ({{name}}, {{namespace}}); format specs such as {{x:d}} are not supported",
          at_mark(mark), pattern, name));
    }
    if (!seen.insert(name).second) {
      throw ConfigError(fmt::format(
          "{}dataset pattern '{}': the placeholder '{{{}}}' appears twice; give each its own "
          "name",
          at_mark(mark), pattern, name));
    }
    tokens.push_back({true, name});
    i = close + 1;
  }
  return tokens;
}

// The placeholders used in the string values of an entry.
void used_placeholders(const Param& value, std::set<std::string>& used) {
  if (value.kind() == Param::Kind::string) {
    const std::string& text = value.as_string();
    for (std::size_t open = text.find('{'); open != std::string::npos;
         open = text.find('{', open + 1)) {
      const std::size_t close = text.find('}', open);
      if (close == std::string::npos) {
        break;
      }
      const std::string name = text.substr(open + 1, close - open - 1);
      if (is_identifier(name)) {
        used.insert(name);
      }
    }
  } else if (value.is_map()) {
    for (const auto& [key, child] : value.as_map()) {
      used_placeholders(child, used);
    }
  } else if (value.is_list()) {
    for (const auto& item : value.as_list()) {
      used_placeholders(item, used);
    }
  }
}

Param substitute(const Param& value, const std::map<std::string, std::string>& values) {
  if (value.kind() == Param::Kind::string) {
    const std::string& text = value.as_string();
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
      const std::size_t open = text.find('{', i);
      const std::size_t close = open == std::string::npos ? open : text.find('}', open);
      if (close == std::string::npos) {
        out.append(text, i);
        break;
      }
      out.append(text, i, open - i);
      const auto found = values.find(text.substr(open + 1, close - open - 1));
      if (found != values.end()) {
        out += found->second;
      } else {
        out.append(text, open, close - open + 1);
      }
      i = close + 1;
    }
    Param result(std::move(out));
    result.set_mark(value.mark());
    return result;
  }
  Param result = value;
  if (result.is_map()) {
    for (auto& [key, child] : result.as_map()) {
      child = substitute(child, values);
    }
  } else if (result.is_list()) {
    for (auto& item : result.as_list()) {
      item = substitute(item, values);
    }
  }
  return result;
}

// The literal skeleton of a pattern: two patterns with the same one match the same names.
std::string skeleton(const DatasetPattern& pattern) {
  std::string text;
  for (const auto& token : pattern.tokens) {
    text += token.placeholder ? std::string("\x01") : token.text;
  }
  return text;
}

}  // namespace

std::size_t DatasetPattern::specificity() const {
  std::size_t count = 0;
  for (const auto& token : tokens) {
    count += token.placeholder ? 0 : token.text.size();
  }
  return count;
}

std::size_t DatasetPattern::placeholders() const {
  return static_cast<std::size_t>(std::count_if(
      tokens.begin(), tokens.end(), [](const Token& token) { return token.placeholder; }));
}

bool DatasetPattern::match(std::string_view name,
                           std::map<std::string, std::string>* values) const {
  // Backtracking over the placeholders, each as short as it can be.
  std::vector<std::string_view> taken(tokens.size());
  auto step = [&](auto& self, std::size_t token, std::size_t at) -> bool {
    if (token == tokens.size()) {
      return at == name.size();
    }
    const Token& current = tokens[token];
    if (!current.placeholder) {
      if (name.substr(at, current.text.size()) != current.text) {
        return false;
      }
      return self(self, token + 1, at + current.text.size());
    }
    if (token + 1 == tokens.size()) {  // the last one takes the rest
      if (at >= name.size()) {
        return false;
      }
      taken[token] = name.substr(at);
      return true;
    }
    for (std::size_t end = at + 1; end <= name.size(); ++end) {
      taken[token] = name.substr(at, end - at);
      if (self(self, token + 1, end)) {
        return true;
      }
    }
    return false;
  };
  if (!step(step, 0, 0)) {
    return false;
  }
  if (values != nullptr) {
    values->clear();
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      if (tokens[i].placeholder) {
        (*values)[tokens[i].text] = std::string(taken[i]);
      }
    }
  }
  return true;
}

bool DatasetFactories::is_pattern(std::string_view key) {
  return key.find('{') != std::string_view::npos || key.find('}') != std::string_view::npos;
}

DatasetFactories::DatasetFactories(const Param& catalog) {
  if (catalog.is_null() || !catalog.is_map()) {
    explicit_ = catalog.is_null() ? Param(Param::Map{}) : catalog;
    return;
  }
  for (const auto& [key, entry] : catalog.as_map()) {
    if (!is_pattern(key)) {
      explicit_.as_map().emplace_back(key, entry);
      continue;
    }
    DatasetPattern pattern;
    pattern.pattern = key;
    pattern.entry = entry;
    pattern.tokens = tokenize(key, entry.mark());
    std::set<std::string> used;
    used_placeholders(entry, used);
    std::vector<std::string> names;
    for (const auto& token : pattern.tokens) {
      if (token.placeholder) {
        names.push_back(token.text);
      }
    }
    for (const auto& name : used) {
      if (std::find(names.begin(), names.end(), name) == names.end()) {
        throw ConfigError(fmt::format(
            "{}dataset pattern '{}': its entry uses '{{{}}}', which the pattern does not have "
            "(its placeholders: {}); add it to the pattern or fix the entry",
            at_mark(entry.mark()), key, name, fmt::join(names, ", ")));
      }
    }
    patterns_.push_back(std::move(pattern));
  }
  std::stable_sort(patterns_.begin(), patterns_.end(),
                   [](const DatasetPattern& a, const DatasetPattern& b) {
                     if (a.specificity() != b.specificity()) {
                       return a.specificity() > b.specificity();
                     }
                     if (a.placeholders() != b.placeholders()) {
                       return a.placeholders() < b.placeholders();
                     }
                     return a.pattern < b.pattern;
                   });
  const DatasetPattern* catch_all = nullptr;
  std::map<std::string, const DatasetPattern*> by_skeleton;
  for (const DatasetPattern& pattern : patterns_) {
    if (pattern.catch_all()) {
      if (catch_all != nullptr) {
        throw ConfigError(fmt::format(
            "{}dataset pattern '{}': a second catch-all, after '{}' at {}; one pattern that "
            "matches every name is the most a catalog can have: remove one",
            at_mark(pattern.entry.mark()), pattern.pattern, catch_all->pattern,
            catch_all->entry.mark().str()));
      }
      catch_all = &pattern;
      continue;
    }
    const auto [same, fresh] = by_skeleton.emplace(skeleton(pattern), &pattern);
    if (!fresh) {
      throw ConfigError(fmt::format(
          "{}dataset patterns '{}' and '{}' (at {}) match the same names, so only the first "
          "alphabetically would ever be used; keep one",
          at_mark(pattern.entry.mark()), pattern.pattern, same->second->pattern,
          same->second->entry.mark().str()));
    }
  }
}

const DatasetPattern* DatasetFactories::find(std::string_view name) const {
  if (Catalog::is_parameter(name)) {
    return nullptr;
  }
  for (const auto& pattern : patterns_) {
    if (pattern.match(name)) {
      return &pattern;
    }
  }
  return nullptr;
}

std::optional<Param> DatasetFactories::resolve(std::string_view name) const {
  const DatasetPattern* pattern = find(name);
  if (pattern == nullptr) {
    return std::nullopt;
  }
  std::map<std::string, std::string> values;
  pattern->match(name, &values);
  return substitute(pattern->entry, values);
}

Param DatasetFactories::expand(const std::vector<std::string>& names,
                               std::map<std::string, std::string>* origin) const {
  Param expanded = explicit_;
  if (patterns_.empty()) {
    return expanded;
  }
  std::set<std::string_view> defined;
  for (const auto& [key, entry] : explicit_.as_map()) {
    defined.insert(key);
  }
  for (const auto& name : names) {
    if (defined.contains(name)) {
      continue;
    }
    if (const DatasetPattern* pattern = find(name)) {
      std::map<std::string, std::string> values;
      pattern->match(name, &values);
      expanded.as_map().emplace_back(name, substitute(pattern->entry, values));
      defined.insert(name);
      if (origin != nullptr) {
        (*origin)[name] = pattern->pattern;
      }
    }
  }
  return expanded;
}

}  // namespace sluice
