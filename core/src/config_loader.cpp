#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <sluice/core/config_loader.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/core/util/suggest.hpp>

namespace sluice {
namespace fs = std::filesystem;
namespace {

SourceMark mark_at(const YAML::Mark& mark, const std::string& source) {
  return SourceMark{source, mark.line + 1, mark.column + 1};
}

bool is_one_of(const std::string& text, std::initializer_list<std::string_view> words) {
  return std::find(words.begin(), words.end(), text) != words.end();
}

}  // namespace

Param plain_scalar(const std::string& text) {
  if (is_one_of(text, {"", "~", "null", "Null", "NULL"})) {
    return Param();
  }
  if (is_one_of(text, {"true", "True", "TRUE"})) {
    return Param(true);
  }
  if (is_one_of(text, {"false", "False", "FALSE"})) {
    return Param(false);
  }
  const char* begin = text.data() + (text.front() == '+' ? 1 : 0);
  const char* end = text.data() + text.size();
  std::int64_t integer = 0;
  if (auto [ptr, ec] = std::from_chars(begin, end, integer); ec == std::errc() && ptr == end) {
    return Param(integer);
  }
  if (is_one_of(text, {".inf", ".Inf", ".INF", "+.inf"})) {
    return Param(std::numeric_limits<double>::infinity());
  }
  if (is_one_of(text, {"-.inf", "-.Inf", "-.INF"})) {
    return Param(-std::numeric_limits<double>::infinity());
  }
  if (is_one_of(text, {".nan", ".NaN", ".NAN"})) {
    return Param(std::numeric_limits<double>::quiet_NaN());
  }
  double number = 0;
  const bool looks_numeric = text.find_first_of("0123456789") != std::string::npos &&
                             text.find_first_not_of("0123456789+-.eE") == std::string::npos;
  if (auto [ptr, ec] = std::from_chars(begin, end, number);
      looks_numeric && ec == std::errc() && ptr == end) {
    return Param(number);
  }
  return Param(text);
}

namespace {

// YAML 1.2 core schema for plain scalars; `tag` is "!" for quoted ones.
Param typed_scalar(const std::string& text, const std::string& tag) {
  return tag == "!" ? Param(text) : plain_scalar(text);  // quoted: always a string
}

// Aliases may copy at most this many values in all, or kAliasFactor times the values written,
// whichever is more: enough for any catalog of merge keys, not for a "billion laughs" document.
constexpr std::size_t kAliasBudget = 1'000'000;
constexpr std::size_t kAliasFactor = 16;

// Builds the Param tree straight from the parser's events rather than from a YAML::Node, whose
// aliases are shared nodes: here an alias is seen where it is written, so an alias inside its
// own anchor and aliases that expand without bound are errors naming the alias.
class ParamBuilder : public YAML::EventHandler {
 public:
  explicit ParamBuilder(const std::string& source) : source_(source) {}

  Param take_root() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnAnchor(const YAML::Mark&, const std::string& name) override { anchor_name_ = name; }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (expecting_key()) {
      throw ConfigError(fmt::format(
          "{}: a key is null (written '~', 'null' or nothing); keys must be text: quote the key "
          "('null': ...) if you mean the word",
          where(mark)));
    }
    Param value;
    value.set_mark(mark_at(mark, source_));
    complete_scalar(anchor, value, std::nullopt);
    deliver(std::move(value), 1);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& text) override {
    Param value = typed_scalar(text, tag);
    value.set_mark(mark_at(mark, source_));
    complete_scalar(anchor, value, text);
    if (expecting_key()) {
      top().key = text;
      top().key_mark = mark_at(mark, source_);
      return;
    }
    deliver(std::move(value), 1);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const Anchor& anchored = anchors_.at(anchor);
    if (!anchored.value) {
      throw ConfigError(fmt::format(
          "{}: alias '*{}' refers to the anchor it is inside, so its value would contain "
          "itself; check the indentation (a key indented under the anchored map becomes part "
          "of it) or refer to another anchor",
          where(mark), anchored.name));
    }
    copied_ += anchored.nodes;
    if (copied_ > std::max(kAliasBudget, kAliasFactor * written_)) {
      throw ConfigError(fmt::format(
          "{}: alias '*{}' makes the aliases of this file copy more than {} values (aliases of "
          "anchors that hold aliases multiply); write the values out or nest fewer aliases",
          where(mark), anchored.name, std::max(kAliasBudget, kAliasFactor * written_)));
    }
    if (expecting_key()) {
      if (!anchored.text) {
        throw ConfigError(fmt::format("{}: key '*{}' is a {}; keys must be text", where(mark),
                                      anchored.name, Param::kind_name(anchored.value->kind())));
      }
      top().key = *anchored.text;
      top().key_mark = mark_at(mark, source_);
      return;
    }
    deliver(*anchored.value, anchored.nodes);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor, false);
  }

  void OnSequenceEnd() override {
    Frame frame = close();
    Param value(std::move(frame.list));
    finish_collection(std::move(frame), std::move(value));
  }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor, true);
  }

  void OnMapEnd() override {
    Frame frame = close();
    // Keys written in the map win over merged ones; earlier merged maps over later ones.
    for (const Param& merged : frame.merged) {
      for (const auto& [key, value] : merged.as_map()) {
        if (frame.index.emplace(key, frame.map.size()).second) {
          frame.map.emplace_back(key, value);
        }
      }
    }
    Param value(std::move(frame.map));
    finish_collection(std::move(frame), std::move(value));
  }

 private:
  struct Anchor {
    std::string name;
    std::optional<Param> value;       // unset while the anchored node is being read
    std::optional<std::string> text;  // a scalar's text, for an alias used as a key
    std::size_t nodes = 0;
  };

  struct Frame {
    bool is_map = false;
    YAML::anchor_t anchor = YAML::NullAnchor;
    SourceMark mark;
    std::size_t nodes = 1;
    Param::List list;
    Param::Map map;
    std::unordered_map<std::string, std::size_t> index;  // key → position in `map`
    std::vector<Param> merged;                           // maps of `<<: *anchor`
    std::optional<std::string> key;                      // read, waiting for its value
    SourceMark key_mark;
  };

  std::string where(const YAML::Mark& mark) const { return mark_at(mark, source_).str(); }

  Frame& top() { return frames_.back(); }
  bool expecting_key() const {
    return !frames_.empty() && frames_.back().is_map && !frames_.back().key;
  }

  Anchor& anchor_slot(YAML::anchor_t anchor) {
    if (anchors_.size() <= anchor) {
      anchors_.resize(anchor + 1);
    }
    Anchor& slot = anchors_[anchor];
    slot.name = std::exchange(anchor_name_, {});
    return slot;
  }

  void complete_scalar(YAML::anchor_t anchor, const Param& value, std::optional<std::string> text) {
    ++written_;
    if (anchor != YAML::NullAnchor) {
      Anchor& slot = anchor_slot(anchor);
      slot.value = value;
      slot.text = std::move(text);
      slot.nodes = 1;
    }
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor, bool is_map) {
    if (expecting_key()) {
      throw ConfigError(fmt::format(
          "{}: a key is a {}; keys must be text: write the key as a plain or quoted string",
          where(mark), is_map ? "map" : "list"));
    }
    ++written_;
    if (anchor != YAML::NullAnchor) {
      anchor_slot(anchor);
    }
    Frame& frame = frames_.emplace_back();
    frame.is_map = is_map;
    frame.anchor = anchor;
    frame.mark = mark_at(mark, source_);
  }

  Frame close() {
    Frame frame = std::move(frames_.back());
    frames_.pop_back();
    return frame;
  }

  void finish_collection(Frame&& frame, Param value) {
    value.set_mark(std::move(frame.mark));
    if (frame.anchor != YAML::NullAnchor) {
      anchors_[frame.anchor].value = value;
      anchors_[frame.anchor].nodes = frame.nodes;
    }
    deliver(std::move(value), frame.nodes);
  }

  void deliver(Param value, std::size_t nodes) {
    if (frames_.empty()) {
      root_ = std::move(value);
      return;
    }
    Frame& frame = top();
    frame.nodes += nodes;
    if (!frame.is_map) {
      frame.list.push_back(std::move(value));
      return;
    }
    std::string key = std::move(*frame.key);
    frame.key.reset();
    if (key == "<<") {
      merge(frame, std::move(value));
      return;
    }
    const auto [at, fresh] = frame.index.emplace(key, frame.map.size());
    if (!fresh) {
      throw ConfigError(fmt::format("{}: key '{}' appears twice in the same map (first at {})",
                                    frame.key_mark.str(), key,
                                    frame.map[at->second].second.mark().str()));
    }
    frame.map.emplace_back(std::move(key), std::move(value));
  }

  // `<<: *anchor` (or a list of them): YAML merge keys.
  static void merge(Frame& frame, Param sources) {
    const bool all_maps =
        sources.is_map() ||
        (sources.is_list() && std::all_of(sources.as_list().begin(), sources.as_list().end(),
                                          [](const Param& item) { return item.is_map(); }));
    if (!all_maps) {
      throw ConfigError(fmt::format(
          "{}: '<<' merges a map into this one: write '<<: *anchor' for an anchored map "
          "(or a list of them)",
          frame.key_mark.str()));
    }
    if (sources.is_map()) {
      frame.merged.push_back(std::move(sources));
    } else {
      frame.merged.insert(frame.merged.end(), sources.as_list().begin(), sources.as_list().end());
    }
  }

  const std::string& source_;
  Param root_;
  std::vector<Frame> frames_;
  std::vector<Anchor> anchors_;  // by the parser's anchor number
  std::string anchor_name_;      // of the node whose event comes next
  std::size_t written_ = 0;      // values written in the text
  std::size_t copied_ = 0;       // values copied by aliases
};

}  // namespace

Param parse_yaml(std::string_view text, const std::string& source) {
  std::istringstream input{std::string(text)};
  ParamBuilder builder(source);
  try {
    YAML::Parser parser(input);
    parser.HandleNextDocument(builder);
  } catch (const YAML::Exception& error) {
    throw ConfigError(fmt::format("{}:{}:{}: invalid YAML: {}", source, error.mark.line + 1,
                                  error.mark.column + 1, error.msg));
  }
  Param result = builder.take_root();
  if (result.is_null()) {
    result = Param(Param::Map{});
    result.set_mark(SourceMark{source, 1, 1});
  }
  return result;
}

Param load_yaml_file(const fs::path& path) {
  try {
    return parse_yaml(read_file(path), path.string());
  } catch (const DatasetError& error) {
    throw ConfigError(error.what());
  }
}

namespace {

// Whether `text` reads back as the same string when written plain.
bool plain_safe(const std::string& text) {
  if (text.empty() || text.front() == ' ' || text.back() == ' ' ||
      std::string_view("-?:,[]{}#&*!|>'\"%@`").find(text.front()) != std::string_view::npos ||
      text.find(": ") != std::string::npos || text.find(" #") != std::string::npos ||
      text.back() == ':') {
    return false;
  }
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return false;
    }
  }
  const Param typed = plain_scalar(text);
  return typed.kind() == Param::Kind::string && typed.as_string() == text;
}

std::string scalar_yaml(const Param& value) {
  switch (value.kind()) {
    case Param::Kind::null:
      return "null";
    case Param::Kind::string:
      return plain_safe(value.as_string()) ? value.as_string() : yaml_quoted(value.as_string());
    case Param::Kind::floating: {
      const double number = value.as_double();
      if (std::isnan(number)) {
        return ".nan";
      }
      if (std::isinf(number)) {
        return number > 0 ? ".inf" : "-.inf";
      }
      std::string text = fmt::format("{}", number);
      if (text.find_first_of(".e") == std::string::npos) {
        text += ".0";  // stays a float when read back
      }
      return text;
    }
    default:
      return value.to_string();
  }
}

// `{}`, `[]` or the scalar: a value written on the line of its key or dash.
std::string inline_yaml(const Param& value) {
  if (value.is_map()) {
    return "{}";
  }
  if (value.is_list()) {
    return "[]";
  }
  return scalar_yaml(value);
}

bool nested(const Param& value) {
  return (value.is_map() && !value.as_map().empty()) ||
         (value.is_list() && !value.as_list().empty());
}

// Appends only (GCC 12's -O3 -Wstringop-overflow misreads chains of operator+ here).
void dump_node(const Param& value, std::size_t indent, std::string& out) {
  if (value.is_map()) {
    for (const auto& [key, child] : value.as_map()) {
      out.append(indent, ' ');
      out.append(plain_safe(key) ? key : yaml_quoted(key));
      out.push_back(':');
      if (nested(child)) {
        out.push_back('\n');
        dump_node(child, indent + 2, out);
      } else {
        out.push_back(' ');
        out.append(inline_yaml(child));
        out.push_back('\n');
      }
    }
  } else if (value.is_list()) {
    for (const auto& item : value.as_list()) {
      out.append(indent, ' ');
      out.append("- ");
      if (nested(item)) {
        // The item's first line goes after the dash; the others keep their indentation.
        std::string inner;
        dump_node(item, indent + 2, inner);
        out.append(inner, indent + 2, std::string::npos);
      } else {
        out.append(inline_yaml(item));
        out.push_back('\n');
      }
    }
  } else {
    out.append(indent, ' ');
    out.append(scalar_yaml(value));
    out.push_back('\n');
  }
}

}  // namespace

std::string yaml_quoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          out += fmt::format("\\u{:04x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string dump_yaml(const Param& value) {
  if (value.is_map() && value.as_map().empty()) {
    return "{}\n";
  }
  if (value.is_list() && value.as_list().empty()) {
    return "[]\n";
  }
  std::string out;
  dump_node(value, 0, out);
  return out;
}

ConfigLoader::ConfigLoader(fs::path conf_source, std::string env, std::string base_env)
    : conf_source_(std::move(conf_source)), env_(std::move(env)), base_env_(std::move(base_env)) {
  if (!fs::is_directory(conf_source_ / base_env_)) {
    throw ConfigError(fmt::format(
        "configuration folder '{}' not found (looked in '{}'); run from the project folder or "
        "point --conf-source at the folder holding '{}/'",
        (conf_source_ / base_env_).string(), fs::absolute(conf_source_ / base_env_).string(),
        base_env_));
  }
  if (env_ != base_env_ && env_ != kDefaultEnv && !fs::is_directory(conf_source_ / env_)) {
    std::vector<std::string> environments;
    for (const auto& entry : fs::directory_iterator(conf_source_)) {
      if (entry.is_directory()) {
        environments.push_back(entry.path().filename().string());
      }
    }
    std::sort(environments.begin(), environments.end());
    throw ConfigError(fmt::format(
        "environment '{}' not found: there is no folder '{}'; the environments in '{}' are: "
        "{}{}; pass one of them to --env, or create the folder",
        env_, (conf_source_ / env_).string(), conf_source_.string(), fmt::join(environments, ", "),
        did_you_mean(env_, environments)));
  }
}

std::vector<fs::path> ConfigLoader::files_for(const fs::path& folder, std::string_view name) {
  std::vector<fs::path> files;
  if (!fs::is_directory(folder)) {
    return files;
  }
  auto is_yaml = [](const fs::path& path) {
    return path.extension() == ".yml" || path.extension() == ".yaml";
  };
  const std::string prefix = std::string(name) + "_";
  for (const auto& entry : fs::directory_iterator(folder)) {
    const std::string stem = entry.path().stem().string();
    if (entry.is_regular_file() && is_yaml(entry.path()) &&
        (stem == name || stem.starts_with(prefix))) {
      files.push_back(entry.path());
    }
  }
  const fs::path subfolder = folder / std::string(name);
  if (fs::is_directory(subfolder)) {
    for (const auto& entry : fs::recursive_directory_iterator(subfolder)) {
      if (entry.is_regular_file() && is_yaml(entry.path())) {
        files.push_back(entry.path());
      }
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

struct ConfigLoader::EnvConfig {
  Param map = Param(Param::Map{});
  // `_` keys defined with different values in two files: why they cannot be referred to.
  std::map<std::string, std::string, std::less<>> ambiguous;
};

namespace {

// `overlay`'s keys over `into`'s (both maps): replaced whole, or for `soft` merged at every depth
// where both are maps. Keeps `into`'s order; new keys go at the end.
void merge_into(Param& into, Param overlay, MergeStrategy strategy) {
  Param::Map& entries = into.as_map();
  entries.reserve(entries.size() + overlay.as_map().size());  // keeps the keys `index` views
  std::unordered_map<std::string_view, std::size_t> index;    // key → position in `entries`
  for (std::size_t i = 0; i < entries.size(); ++i) {
    index.emplace(entries[i].first, i);
  }
  for (auto& [key, value] : overlay.as_map()) {
    if (const auto found = index.find(key); found != index.end()) {
      Param& existing = entries[found->second].second;
      if (strategy == MergeStrategy::soft && existing.is_map() && value.is_map()) {
        merge_into(existing, std::move(value), strategy);
      } else {
        existing = std::move(value);
      }
    } else {
      entries.emplace_back(std::move(key), std::move(value));
    }
  }
}

}  // namespace

MergeStrategy parse_merge_strategy(const Param& value, std::string_view where) {
  if (value.kind() == Param::Kind::string) {
    if (value.as_string() == "destructive") {
      return MergeStrategy::destructive;
    }
    if (value.as_string() == "soft") {
      return MergeStrategy::soft;
    }
  }
  throw ConfigError(fmt::format(
      "{}{}: the merge strategy '{}' is unknown; write destructive (a top-level key of the run "
      "environment replaces the base one, the default) or soft (maps merged key by key)",
      value.mark().known() ? value.mark().str() + ": " : std::string(), where, value.to_string()));
}

ConfigLoader::EnvConfig ConfigLoader::read_env(const fs::path& folder,
                                               std::string_view name) const {
  EnvConfig config;
  Param::Map& entries = config.map.as_map();
  std::unordered_map<std::string, std::size_t> index;  // key → position in `entries`
  for (const auto& file : files_for(folder, name)) {
    const Param content = load_yaml_file(file);
    if (!content.is_map()) {
      throw ConfigError(fmt::format("{}: the top level must be a map (got {})",
                                    content.mark().str(), Param::kind_name(content.kind())));
    }
    for (const auto& [key, value] : content.as_map()) {
      if (const auto [at, fresh] = index.emplace(key, entries.size()); !fresh) {
        const Param& first = entries[at->second].second;
        if (key.starts_with("_")) {
          // YAML anchors are per file, so two files may well use the same `_` name; only a
          // reference to it is ambiguous.
          if (!(first == value)) {
            config.ambiguous.emplace(
                key, fmt::format("'{}' is defined differently at {} and at {} (a key starting "
                                 "with _ is shared by the files of an environment); rename one",
                                 key, first.mark().str(), value.mark().str()));
          }
          continue;
        }
        throw ConfigError(
            fmt::format("'{}' is defined twice in the '{}' environment: at {} and at {}; keep one",
                        key, folder.filename().string(), first.mark().str(), value.mark().str()));
      }
      entries.emplace_back(key, value);
    }
  }
  return config;
}

std::string ConfigLoader::folders() const {
  const std::string base = (conf_source_ / base_env_).string();
  return env_ == base_env_ ? base : fmt::format("{}, {}", base, (conf_source_ / env_).string());
}

void ConfigLoader::set_merge_strategy(std::string kind, MergeStrategy strategy) {
  merge_strategies_[std::move(kind)] = strategy;
}

void ConfigLoader::set_runtime_params(Param params) {
  runtime_params_ = std::move(params);
}

void ConfigLoader::set_resolvers(const FactoryRegistry<ConfigResolver>* resolvers) {
  resolvers_ = resolvers;
}

Param ConfigLoader::get(std::string_view name) const {
  EnvConfig merged = read_env(conf_source_ / base_env_, name);
  if (env_ != base_env_) {
    EnvConfig overlay = read_env(conf_source_ / env_, name);
    for (const auto& [key, value] : overlay.map.as_map()) {
      merged.ambiguous.erase(key);  // the run environment's value is the one
    }
    merged.ambiguous.merge(overlay.ambiguous);
    const auto strategy = merge_strategies_.find(name);
    merge_into(merged.map, std::move(overlay.map),
               strategy == merge_strategies_.end() ? MergeStrategy::destructive : strategy->second);
  }
  InterpolationSources sources;
  sources.kind = std::string(name);
  sources.description = fmt::format("the {} configuration ({})", name, folders());
  sources.globals_description = fmt::format("globals.yml ({})", folders());
  sources.runtime_params = runtime_params_.is_map() ? &runtime_params_ : nullptr;
  sources.resolvers = resolvers_;
  sources.ambiguous = std::move(merged.ambiguous);
  Param globals;
  if (name != "globals") {
    globals = get("globals");
    sources.globals = &globals;
  }
  resolve_interpolations(merged.map, sources);
  std::erase_if(merged.map.as_map(),
                [](const auto& entry) { return entry.first.starts_with("_"); });
  return std::move(merged.map);
}

}  // namespace sluice
