#include <algorithm>
#include <charconv>
#include <map>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <sluice/core/config_loader.hpp>
#include <sluice/core/datasets/file_dataset.hpp>
#include <sluice/core/error.hpp>

namespace sluice {
namespace fs = std::filesystem;
namespace {

SourceMark mark_of(const YAML::Node& node, const std::string& source) {
  const YAML::Mark mark = node.Mark();
  return SourceMark{source, mark.line + 1, mark.column + 1};
}

bool is_one_of(const std::string& text, std::initializer_list<std::string_view> words) {
  return std::find(words.begin(), words.end(), text) != words.end();
}

// YAML 1.2 core schema for plain scalars.
Param typed_scalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") {  // quoted: always a string
    return Param(text);
  }
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

Param convert(const YAML::Node& node, const std::string& source) {
  Param result;
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      break;
    case YAML::NodeType::Scalar:
      result = typed_scalar(node);
      break;
    case YAML::NodeType::Sequence: {
      Param::List list;
      for (const auto& item : node) {
        list.push_back(convert(item, source));
      }
      result = Param(std::move(list));
      break;
    }
    case YAML::NodeType::Map: {
      Param::Map map;
      std::vector<Param> merged;  // `<<: *anchor` (or a list of them): YAML merge keys
      for (const auto& entry : node) {
        const std::string key = entry.first.as<std::string>();
        if (key == "<<") {
          const Param sources = convert(entry.second, source);
          const bool all_maps =
              sources.is_map() ||
              (sources.is_list() && std::all_of(sources.as_list().begin(), sources.as_list().end(),
                                                [](const Param& item) { return item.is_map(); }));
          if (!all_maps) {
            throw ConfigError(fmt::format(
                "{}: '<<' merges a map into this one: write '<<: *anchor' for an anchored map "
                "(or a list of them)",
                mark_of(entry.first, source).str()));
          }
          if (sources.is_map()) {
            merged.push_back(sources);
          } else {
            merged.insert(merged.end(), sources.as_list().begin(), sources.as_list().end());
          }
          continue;
        }
        for (const auto& [existing, value] : map) {
          if (existing == key) {
            const SourceMark at = mark_of(entry.first, source);
            throw ConfigError(
                fmt::format("{}: key '{}' appears twice in the same map (first at {})", at.str(),
                            key, value.mark().str()));
          }
        }
        Param value = convert(entry.second, source);
        if (!value.mark().known()) {
          value.set_mark(mark_of(entry.first, source));
        }
        map.emplace_back(key, std::move(value));
      }
      // Keys written in the map win over merged ones; earlier merged maps over later ones.
      for (const Param& source_map : merged) {
        for (const auto& [key, value] : source_map.as_map()) {
          const bool present =
              std::any_of(map.begin(), map.end(),
                          [&wanted = key](const auto& entry) { return entry.first == wanted; });
          if (!present) {
            map.emplace_back(key, value);
          }
        }
      }
      result = Param(std::move(map));
      break;
    }
  }
  result.set_mark(mark_of(node, source));
  return result;
}

}  // namespace

Param parse_yaml(std::string_view text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    throw ConfigError(fmt::format("{}:{}:{}: invalid YAML: {}", source, error.mark.line + 1,
                                  error.mark.column + 1, error.msg));
  }
  Param result = convert(root, source);
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

ConfigLoader::ConfigLoader(fs::path conf_source, std::string env, std::string base_env)
    : conf_source_(std::move(conf_source)), env_(std::move(env)), base_env_(std::move(base_env)) {
  if (!fs::is_directory(conf_source_ / base_env_)) {
    throw ConfigError(fmt::format(
        "configuration folder '{}' not found (looked in '{}'); run from the project folder or "
        "point --conf-source at the folder holding '{}/'",
        (conf_source_ / base_env_).string(), fs::absolute(conf_source_ / base_env_).string(),
        base_env_));
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

Param ConfigLoader::read_env(const fs::path& folder, std::string_view name) const {
  Param merged = Param(Param::Map{});
  for (const auto& file : files_for(folder, name)) {
    const Param content = load_yaml_file(file);
    if (!content.is_map()) {
      throw ConfigError(fmt::format("{}: the top level must be a map (got {})",
                                    content.mark().str(), Param::kind_name(content.kind())));
    }
    for (const auto& [key, value] : content.as_map()) {
      if (key.starts_with("_")) {
        continue;
      }
      if (const Param* existing = merged.find(key)) {
        throw ConfigError(fmt::format(
            "'{}' is defined twice in the '{}' environment: at {} and at {}; keep one", key,
            folder.filename().string(), existing->mark().str(), value.mark().str()));
      }
      merged.as_map().emplace_back(key, value);
    }
  }
  return merged;
}

Param ConfigLoader::get(std::string_view name) const {
  Param merged = read_env(conf_source_ / base_env_, name);
  if (env_ != base_env_) {
    const Param overlay = read_env(conf_source_ / env_, name);
    for (const auto& [key, value] : overlay.as_map()) {
      merged.set(key, value);
    }
  }
  return merged;
}

}  // namespace sluice
