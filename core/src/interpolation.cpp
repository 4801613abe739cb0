#include <charconv>
#include <cstdlib>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sluice/core/config_loader.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/interpolation.hpp>
#include <sluice/core/util/suggest.hpp>

namespace sluice {
namespace {

constexpr std::size_t npos = std::string::npos;
// References that refer on to others, nested deeper than this, are refused: each level takes
// stack, and no configuration needs so many.
constexpr std::size_t kMaxDepth = 500;
// Interpolations that copy maps and lists may double the configuration at every level
// (`a: [${b}, ${b}]`, `b: [${c}, ${c}]`...): the values copied in all, and the length of one
// text, are bounded, as parse_yaml() bounds aliases.
constexpr std::size_t kMaxCopiedValues = 1'000'000;
constexpr std::size_t kMaxTextLength = 16U << 20U;

std::string at_mark(const SourceMark& mark) {
  return mark.known() ? mark.str() + ": " : std::string();
}

bool has_interpolation(std::string_view text) {
  return text.find("${") != npos;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\n\r");
  if (first == npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t\n\r") - first + 1);
}

// The '}' closing the interpolation whose inside starts at `from`; a nested `${` opens another.
std::size_t closing_brace(std::string_view text, std::size_t from) {
  int depth = 0;
  for (std::size_t i = from; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      ++depth;
      ++i;
    } else if (text[i] == '}') {
      if (depth == 0) {
        return i;
      }
      --depth;
    }
  }
  return npos;
}

// A string value cut into literal text and the insides of its interpolations.
struct Piece {
  bool expression = false;
  std::string text;
};

std::vector<Piece> split_pieces(std::string_view text, const SourceMark& mark) {
  std::vector<Piece> pieces;
  std::string literal;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text.substr(i, 3) == "\\${") {
      literal += "${";
      i += 3;
    } else if (text.substr(i, 2) == "${") {
      const std::size_t end = closing_brace(text, i + 2);
      if (end == npos) {
        throw ConfigError(fmt::format(
            "{}'{}': the interpolation at character {} has no closing '}}'; close it, or write "
            "\\${{ for a literal ${{",
            at_mark(mark), text, i + 1));
      }
      if (!literal.empty()) {
        pieces.push_back({false, std::move(literal)});
        literal.clear();
      }
      pieces.push_back({true, std::string(text.substr(i + 2, end - i - 2))});
      i = end + 1;
    } else {
      literal += text[i++];
    }
  }
  if (!literal.empty()) {
    pieces.push_back({false, std::move(literal)});
  }
  return pieces;
}

// The length of a resolver's name at the start of `body` ("globals" in "globals:key"), or 0 when
// `body` is a key path.
std::size_t resolver_name_length(std::string_view body) {
  const std::size_t colon = body.find(':');
  if (colon == npos || colon == 0) {
    return 0;
  }
  auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!is_letter(body[0]) && body[0] != '_') {
    return 0;
  }
  for (const char c : body.substr(0, colon)) {
    if (!is_letter(c) && !(c >= '0' && c <= '9') && c != '_' && c != '.' && c != '-') {
      return 0;
    }
  }
  return colon;
}

// A resolver's arguments, split at the commas outside nested interpolations and quotes.
std::vector<std::string> split_arguments(std::string_view text) {
  std::vector<std::string> arguments;
  std::string current;
  int depth = 0;
  char quote = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      quote = c == quote ? 0 : quote;
    } else if ((c == '\'' || c == '"') && trim(current).empty()) {
      quote = c;
    } else if (c == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      ++depth;
      current += "${";
      ++i;
      continue;
    } else if (c == '}' && depth > 0) {
      --depth;
    } else if (c == ',' && depth == 0) {
      arguments.emplace_back(trim(current));
      current.clear();
      continue;
    }
    current += c;
  }
  arguments.emplace_back(trim(current));
  return arguments;
}

bool is_quoted(std::string_view text) {
  return text.size() >= 2 && (text.front() == '\'' || text.front() == '"') &&
         text.back() == text.front();
}

std::vector<std::string> map_keys(const Param& map) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : map.as_map()) {
    keys.push_back(key);
  }
  return keys;
}

Param* find_child(Param& map, std::string_view key) {
  for (auto& [name, child] : map.as_map()) {
    if (name == key) {
      return &child;
    }
  }
  return nullptr;
}

// A dotted key in a map of already resolved values: the key whole first ("model.lr" given to
// --params), then part by part, longest key first at each level.
const Param* find_dotted(const Param& map, std::string_view key) {
  if (!map.is_map()) {
    return nullptr;
  }
  if (const Param* whole = map.find(key)) {
    return whole;
  }
  for (std::size_t dot = key.rfind('.'); dot != npos && dot > 0; dot = key.rfind('.', dot - 1)) {
    if (const Param* head = map.find(key.substr(0, dot))) {
      if (const Param* found = find_dotted(*head, key.substr(dot + 1))) {
        return found;
      }
    }
  }
  return nullptr;
}

class Interpolator {
 public:
  Interpolator(Param& root, const InterpolationSources& sources) : root_(root), sources_(sources) {}

  void run() {
    Location at{{&root_}, {}};
    resolve(root_, at);
  }

 private:
  struct Location {
    std::vector<Param*> chain;      // from the root to the node, both included
    std::vector<std::string> keys;  // the node's key path ("[2]" for a list item)
  };
  enum class State { active, done };
  struct Active {
    std::string path;
    SourceMark mark;
  };

  static std::string path_text(const std::vector<std::string>& keys) {
    std::string text;
    for (const auto& key : keys) {
      if (!text.empty() && !key.starts_with('[')) {
        text += '.';
      }
      text += key;
    }
    return text;
  }

  void resolve(Param& node, Location& at) {
    const auto [found, fresh] = states_.try_emplace(&node, State::active);
    if (!fresh) {
      if (found->second == State::done) {
        return;
      }
      throw_cycle(path_text(at.keys));
    }
    active_.push_back({path_text(at.keys), node.mark()});
    if (node.kind() == Param::Kind::string && has_interpolation(node.as_string())) {
      if (++evaluating_ > kMaxDepth) {
        throw ConfigError(fmt::format(
            "{}{} refers to values that refer on to others more than {} deep; write some of "
            "them out",
            at_mark(node.mark()), description_of(active_.back().path), kMaxDepth));
      }
      const SourceMark mark = node.mark();
      Param value = evaluate(node.as_string(), mark, at);
      --evaluating_;
      value.set_mark(mark);
      node = std::move(value);
      mark_done(node);
    } else if (node.is_map()) {
      for (auto& [key, child] : node.as_map()) {
        at.chain.push_back(&child);
        at.keys.push_back(key);
        resolve(child, at);
        at.chain.pop_back();
        at.keys.pop_back();
      }
    } else if (node.is_list()) {
      auto& items = node.as_list();
      for (std::size_t i = 0; i < items.size(); ++i) {
        at.chain.push_back(&items[i]);
        at.keys.push_back(fmt::format("[{}]", i));
        resolve(items[i], at);
        at.chain.pop_back();
        at.keys.pop_back();
      }
    }
    active_.pop_back();
    states_[&node] = State::done;
  }

  // A value copied by an interpolation is resolved already, `\${` included: never again. Only
  // its top is marked done (a done map or list is done throughout, see reference()); its values
  // are counted against the bound.
  void mark_done(Param& node) {
    states_[&node] = State::done;
    count_copied(node);
  }

  void count_copied(const Param& node) {
    if (++copied_ > kMaxCopiedValues) {
      throw ConfigError(fmt::format(
          "{}{}: interpolations copy more than {} values in all (a reference copied at every "
          "level?); refer to fewer copies",
          at_mark(active_.back().mark), sources_.description, kMaxCopiedValues));
    }
    if (node.is_map()) {
      for (const auto& [key, child] : node.as_map()) {
        count_copied(child);
      }
    } else if (node.is_list()) {
      for (const auto& item : node.as_list()) {
        count_copied(item);
      }
    }
  }

  std::string description_of(const std::string& path) const {
    return path.empty() ? sources_.description : fmt::format("'{}'", path);
  }

  [[noreturn]] void throw_cycle(const std::string& path) const {
    std::vector<std::string> loop;
    bool in_loop = false;
    for (const Active& active : active_) {
      in_loop = in_loop || active.path == path;
      if (in_loop) {
        loop.push_back(active.path);
      }
    }
    loop.push_back(path);
    throw ConfigError(
        fmt::format("{}interpolations refer in a cycle in {}: {}; write one of these values out",
                    at_mark(active_.back().mark), sources_.description, fmt::join(loop, " -> ")));
  }

  Param evaluate(const std::string& text, const SourceMark& mark, Location& at) {
    const std::vector<Piece> pieces = split_pieces(text, mark);
    if (pieces.size() == 1 && pieces.front().expression) {
      return expression(pieces.front().text, mark, at);
    }
    std::string joined;
    for (const Piece& piece : pieces) {
      if (!piece.expression) {
        joined += piece.text;
        continue;
      }
      const Param value = expression(piece.text, mark, at);
      switch (value.kind()) {
        case Param::Kind::string:
          joined += value.as_string();
          break;
        case Param::Kind::boolean:
        case Param::Kind::integer:
        case Param::Kind::floating:
          joined += value.to_string();
          break;
        default:
          throw ConfigError(fmt::format(
              "{}'{}': ${{{}}} is a {} ({}), which cannot be part of a text; make the value the "
              "interpolation alone to take the {} itself",
              at_mark(mark), text, piece.text, Param::kind_name(value.kind()), value.to_string(),
              Param::kind_name(value.kind())));
      }
      if (joined.size() > kMaxTextLength) {
        throw ConfigError(fmt::format(
            "{}'{}': the interpolated text is longer than {} MiB; refer to fewer copies",
            at_mark(mark), text.substr(0, 80), kMaxTextLength >> 20U));
      }
    }
    return Param(std::move(joined));
  }

  Param expression(const std::string& inside, const SourceMark& mark, Location& at) {
    const std::string_view body = trim(inside);
    if (body.empty()) {
      throw ConfigError(fmt::format(
          "{}'${{{}}}' is empty: write ${{key}}, ${{globals:key}} or ${{resolver:argument}}",
          at_mark(mark), inside));
    }
    if (const std::size_t length = resolver_name_length(body); length > 0) {
      return call(std::string(body.substr(0, length)), body.substr(length + 1), mark, at);
    }
    return reference(body, mark, at);
  }

  [[noreturn]] void throw_no_key(const std::string& expression, const SourceMark& mark,
                                 const std::string& key, const std::string& parent,
                                 const Param& map) const {
    throw ConfigError(fmt::format(
        "{}${{{}}}: {} has no key '{}'{}{}; define it, or fix the reference", at_mark(mark),
        expression, parent.empty() ? sources_.description : fmt::format("'{}'", parent), key,
        did_you_mean(key, map_keys(map)),
        parent.empty() ? std::string() : fmt::format(" (in {})", sources_.description)));
  }

  Param reference(std::string_view path, const SourceMark& mark, Location& at) {
    const std::string expression(path);
    std::size_t dots = 0;
    while (dots < path.size() && path[dots] == '.') {
      ++dots;
    }
    Location where;
    if (dots == 0) {
      where.chain = {&root_};
    } else {
      // `.`: the map or list holding the value; every further dot one level up.
      if (at.chain.size() < dots + 1) {
        throw ConfigError(fmt::format(
            "{}${{{}}}: {} dots go above the top level of {}; use fewer, or an absolute key",
            at_mark(mark), expression, dots, sources_.description));
      }
      where.chain.assign(at.chain.begin(), at.chain.end() - static_cast<std::ptrdiff_t>(dots));
      where.keys.assign(at.keys.begin(), at.keys.end() - static_cast<std::ptrdiff_t>(dots));
    }
    const std::vector<std::string> segments = split_path(path.substr(dots), expression, mark);
    Param* node = where.chain.back();
    // Below a value that is done (resolved, or copied from one), everything is done.
    auto is_done = [this](const Param* value) {
      const auto state = states_.find(value);
      return state != states_.end() && state->second == State::done;
    };
    bool settled = is_done(node);
    for (std::size_t i = 0; i < segments.size();) {
      if (!settled && node->kind() == Param::Kind::string && has_interpolation(node->as_string())) {
        resolve(*node, where);  // a value that is an interpolation itself, looked into
      }
      settled = settled || is_done(node);
      const std::string parent = path_text(where.keys);
      if (node->is_map()) {
        std::size_t end = i;
        while (end < segments.size() && !segments[end].starts_with('[')) {
          ++end;
        }
        if (end == i) {
          throw ConfigError(fmt::format("{}${{{}}}: '{}' is a map, not a list: index it by key",
                                        at_mark(mark), expression, parent));
        }
        bool found = false;
        for (std::size_t j = end; j > i && !found; --j) {  // the longest key first
          std::string key = segments[i];
          for (std::size_t k = i + 1; k < j; ++k) {
            key += '.' + segments[k];
          }
          if (node == &root_) {
            if (const auto why = sources_.ambiguous.find(key); why != sources_.ambiguous.end()) {
              throw ConfigError(
                  fmt::format("{}${{{}}}: {}", at_mark(mark), expression, why->second));
            }
          }
          if (Param* child = find_child(*node, key)) {
            node = child;
            where.chain.push_back(child);
            where.keys.push_back(std::move(key));
            i = j;
            found = true;
          }
        }
        if (!found) {
          throw_no_key(expression, mark, segments[i], parent, *node);
        }
      } else if (node->is_list()) {
        std::string_view index = segments[i];
        if (index.starts_with('[')) {
          index = index.substr(1, index.size() - 2);
        }
        std::size_t position = 0;
        const auto [end, error] =
            std::from_chars(index.data(), index.data() + index.size(), position);
        auto& items = node->as_list();
        if (error != std::errc() || end != index.data() + index.size() ||
            position >= items.size()) {
          throw ConfigError(fmt::format(
              "{}${{{}}}: '{}' is a list of {} values; '{}' is not an index of it (0 to {})",
              at_mark(mark), expression, parent, items.size(), segments[i],
              items.empty() ? 0 : items.size() - 1));
        }
        node = &items[position];
        where.chain.push_back(node);
        where.keys.push_back(fmt::format("[{}]", position));
        ++i;
      } else {
        throw ConfigError(fmt::format(
            "{}${{{}}}: '{}' is a {} ({}), which has no key '{}'", at_mark(mark), expression,
            parent, Param::kind_name(node->kind()), node->to_string(), segments[i]));
      }
    }
    if (!settled && !is_done(node)) {
      resolve(*node, where);
    }
    return *node;
  }

  static std::vector<std::string> split_path(std::string_view path, const std::string& expression,
                                             const SourceMark& mark) {
    std::vector<std::string> segments;
    std::string current;
    auto finish = [&](bool required) {
      if (!current.empty()) {
        segments.push_back(std::move(current));
        current.clear();
      } else if (required) {
        throw ConfigError(fmt::format(
            "{}${{{}}}: a key of the path is empty; write keys between the dots (a.b.c)",
            at_mark(mark), expression));
      }
    };
    for (std::size_t i = 0; i < path.size(); ++i) {
      const char c = path[i];
      if (c == '.') {
        finish(segments.empty() || !segments.back().starts_with('[') || !current.empty());
      } else if (c == '[') {
        finish(false);
        const std::size_t close = path.find(']', i);
        if (close == npos) {
          throw ConfigError(fmt::format("{}${{{}}}: '[' without ']'; write a list index as [0]",
                                        at_mark(mark), expression));
        }
        segments.emplace_back(path.substr(i, close - i + 1));
        i = close;
      } else {
        current += c;
      }
    }
    finish(segments.empty() || !path.ends_with(']'));
    return segments;
  }

  Param argument(const std::string& text, const SourceMark& mark, Location& at) {
    if (is_quoted(text)) {
      const std::string inner = text.substr(1, text.size() - 2);
      if (!has_interpolation(inner)) {
        return Param(inner);
      }
      const Param value = evaluate(inner, mark, at);
      return value.kind() == Param::Kind::string ? value : Param(value.to_string());
    }
    if (has_interpolation(text)) {
      return evaluate(text, mark, at);
    }
    return plain_scalar(text);
  }

  // The key a built-in resolver looks up, and its default when given.
  static std::string key_argument(const ResolverCall& call, const std::string& expression) {
    if (call.args.empty() || call.args.size() > 2 || !call.args.front().is_scalar()) {
      throw ConfigError(fmt::format(
          "{}${{{}}}: {} takes a key and an optional default: ${{{}:key}} or ${{{}:key, "
          "default}}",
          at_mark(call.mark), expression, call.name, call.name, call.name));
    }
    const Param& key = call.args.front();
    return key.kind() == Param::Kind::string ? key.as_string() : key.to_string();
  }

  Param call(std::string name, std::string_view argument_text, const SourceMark& mark,
             Location& at) {
    const std::string expression = fmt::format("{}:{}", name, argument_text);
    ResolverCall call;
    call.name = std::move(name);
    call.mark = mark;
    call.kind = sources_.kind;
    if (!trim(argument_text).empty()) {
      for (const std::string& text : split_arguments(argument_text)) {
        call.args.push_back(argument(text, mark, at));
      }
    }
    if (call.name == "globals") {
      const std::string key = key_argument(call, expression);
      if (sources_.globals == nullptr) {
        throw ConfigError(fmt::format(
            "{}${{{}}}: globals cannot be used in globals.yml itself; refer to another global "
            "with ${{{}}}",
            at_mark(mark), expression, key));
      }
      if (const Param* found = find_dotted(*sources_.globals, key)) {
        return *found;
      }
      if (call.args.size() == 2) {
        return call.args[1];
      }
      throw ConfigError(fmt::format(
          "{}${{{}}}: {} has no key '{}'{}; add it there, or give a default: ${{globals:{}, "
          "default}}",
          at_mark(mark), expression, sources_.globals_description, key,
          sources_.globals->is_map() ? did_you_mean(key, map_keys(*sources_.globals)) : "", key));
    }
    if (call.name == "runtime_params") {
      const std::string key = key_argument(call, expression);
      if (sources_.runtime_params != nullptr) {
        if (const Param* found = find_dotted(*sources_.runtime_params, key)) {
          return *found;
        }
      }
      if (call.args.size() == 2) {
        return call.args[1];
      }
      throw ConfigError(fmt::format(
          "{}${{{}}}: no --params value '{}' was given; pass --params {}=VALUE, or give a "
          "default: ${{runtime_params:{}, default}}",
          at_mark(mark), expression, key, key, key));
    }
    if (call.name == "oc.env") {
      const std::string variable = key_argument(call, expression);
      if (sources_.kind != "credentials") {
        throw ConfigError(fmt::format(
            "{}${{{}}}: oc.env reads environment variables in credentials only (as in Kedro, so "
            "that secrets stay out of {}); put the value in credentials.yml and refer to it by "
            "its name, or use ${{runtime_params:...}} or ${{globals:...}}",
            at_mark(mark), expression, sources_.description));
      }
      if (const char* value = std::getenv(variable.c_str())) {
        return Param(std::string(value));
      }
      if (call.args.size() == 2) {
        return call.args[1];
      }
      throw ConfigError(fmt::format(
          "{}${{{}}}: the environment variable '{}' is not set; set it, or give a default: "
          "${{oc.env:{}, default}}",
          at_mark(mark), expression, variable, variable));
    }
    if (sources_.resolvers == nullptr || !sources_.resolvers->contains(call.name)) {
      std::vector<std::string> known = builtin_resolvers();
      if (sources_.resolvers != nullptr) {
        const auto added = sources_.resolvers->names();
        known.insert(known.end(), added.begin(), added.end());
      }
      throw ConfigError(fmt::format(
          "{}${{{}}}: unknown resolver '{}'{}; known resolvers: {} (a plugin adds one with "
          "Registrar::add_resolver)",
          at_mark(mark), expression, call.name, did_you_mean(call.name, known),
          fmt::join(known, ", ")));
    }
    try {
      return sources_.resolvers->get(call.name)(call);
    } catch (const ConfigError& error) {
      throw ConfigError(fmt::format("{}${{{}}}: {}", at_mark(mark), expression, error.what()));
    } catch (const std::exception& error) {
      throw ConfigError(fmt::format("{}${{{}}}: the resolver '{}' failed: {}", at_mark(mark),
                                    expression, call.name, error.what()));
    }
  }

  Param& root_;
  const InterpolationSources& sources_;
  std::unordered_map<const Param*, State> states_;
  std::vector<Active> active_;
  std::size_t copied_ = 0;
  std::size_t evaluating_ = 0;
};

}  // namespace

const std::vector<std::string>& builtin_resolvers() {
  static const std::vector<std::string> names = {"globals", "oc.env", "runtime_params"};
  return names;
}

void resolve_interpolations(Param& config, const InterpolationSources& sources) {
  Interpolator(config, sources).run();
}

}  // namespace sluice
