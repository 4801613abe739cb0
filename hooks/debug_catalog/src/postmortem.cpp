#include <algorithm>
#include <cctype>
#include <limits>

#include <fmt/format.h>

#include <sluice/core/error.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/core/util/json.hpp>
#include <sluice/core/util/text.hpp>
#include <sluice/core/util/units.hpp>
#include <sluice/hooks/postmortem.hpp>

namespace sluice {
namespace {

std::string lower(std::string_view text) {
  std::string lowered(text);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lowered;
}

constexpr std::string_view kWhatToDo =
    "the debug_catalog hook writes a bundle when a run fails; run the pipeline again to get a "
    "new one";

// A Param tree as JSON (scalars keep their YAML spelling as strings, except numbers/booleans).
Json param_json(const Param& value) {
  switch (value.kind()) {
    case Param::Kind::null:
      return nullptr;
    case Param::Kind::boolean:
      return value.as_bool();
    case Param::Kind::integer:
      return value.as_int();
    case Param::Kind::floating:
      return value.as_double();
    case Param::Kind::string:
      return value.as_string();
    case Param::Kind::list: {
      Json items = Json::array();
      for (const auto& item : value.as_list()) {
        items.push_back(param_json(item));
      }
      return items;
    }
    case Param::Kind::map: {
      Json members = Json::object();
      for (const auto& [key, item] : value.as_map()) {
        members[key] = param_json(item);
      }
      return members;
    }
  }
  return nullptr;
}

// Deeper parameters are not sluice's: a bundle holding them was not written by it, and reading
// them would only risk the stack.
constexpr int kMaxParameterDepth = 256;

// `value` as a Param; ConfigError naming `file` when it nests deeper than kMaxParameterDepth.
Param json_param(const Json& value, const std::filesystem::path& file, int depth = 0) {
  if (depth > kMaxParameterDepth) {
    throw ConfigError(fmt::format("'{}': \"parameters\" nest deeper than {} levels; {}",
                                  file.string(), kMaxParameterDepth, kWhatToDo));
  }
  switch (value.type()) {
    case Json::value_t::boolean:
      return value.get<bool>();
    case Json::value_t::number_integer:
      return value.get<std::int64_t>();
    case Json::value_t::number_unsigned:  // a Param integer is an int64_t
      return value.get<std::uint64_t>() <= std::numeric_limits<std::int64_t>::max()
                 ? Param(value.get<std::int64_t>())
                 : Param(value.get<double>());
    case Json::value_t::number_float:
      return value.get<double>();
    case Json::value_t::string:
      return value.get<std::string>();
    case Json::value_t::array: {
      Param::List items;
      for (const auto& item : value) {
        items.push_back(json_param(item, file, depth + 1));
      }
      return items;
    }
    case Json::value_t::object: {
      Param::Map members;
      for (const auto& [key, item] : value.items()) {
        members.emplace_back(key, json_param(item, file, depth + 1));
      }
      return members;
    }
    default:
      return nullptr;
  }
}

Json text_or_null(const std::string& text) {
  return text.empty() ? Json(nullptr) : Json(text);
}

std::string scalar(const Json& value) {
  return value.is_string() ? value.get<std::string>()
         : value.is_null() ? std::string()
                           : value.dump();
}

std::string text(const Json& object, std::string_view key) {
  const auto value = object.find(key);
  return value == object.end() ? std::string() : scalar(*value);
}

std::vector<std::string> strings(const Json& object, std::string_view key) {
  std::vector<std::string> items;
  if (const auto list = object.find(key); list != object.end() && list->is_array()) {
    for (const auto& item : *list) {
      items.push_back(scalar(item));
    }
  }
  return items;
}

// The "rank" of a bundle's entry (under `--runner mpi`), or -1 when it has none.
int rank_of(const Json& object) {
  const auto rank = object.find("rank");
  if (rank == object.end() || !rank->is_number_unsigned() ||
      rank->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) {
    return -1;
  }
  return static_cast<int>(rank->get<std::uint64_t>());
}

// The objects of the list `key` of `state` (none when it is missing); ConfigError naming `file`
// when it is not a list of objects.
const Json& objects(const Json& state, std::string_view key, const std::filesystem::path& file) {
  static const Json none = Json::array();
  const auto list = state.find(key);
  if (list == state.end() || list->is_null()) {
    return none;
  }
  if (!list->is_array() ||
      !std::all_of(list->begin(), list->end(), [](const Json& item) { return item.is_object(); })) {
    throw ConfigError(
        fmt::format("'{}': \"{}\" must be a list of objects; {}", file.string(), key, kWhatToDo));
  }
  return *list;
}

}  // namespace

bool is_secret_key(std::string_view key, const std::vector<std::string>& extra) {
  const std::string lowered = lower(key);
  for (const char* marker : {"password", "passwd", "secret", "token", "api_key", "apikey",
                             "access_key", "private_key", "credential"}) {
    if (lowered.find(marker) != std::string::npos) {
      return true;
    }
  }
  return std::any_of(extra.begin(), extra.end(),
                     [&](const std::string& name) { return lower(name) == lowered; });
}

Param redact(const Param& tree, const std::vector<std::string>& extra) {
  if (tree.is_map()) {
    Param redacted = Param(Param::Map{});
    for (const auto& [key, value] : tree.as_map()) {
      redacted.as_map().emplace_back(
          key, is_secret_key(key, extra) ? Param("***") : redact(value, extra));
    }
    return redacted;
  }
  if (tree.is_list()) {
    Param::List items;
    for (const auto& item : tree.as_list()) {
      items.push_back(redact(item, extra));
    }
    return Param(std::move(items));
  }
  return tree;
}

std::string redact_command(const std::string& command, const std::vector<std::string>& extra) {
  // The value of a secret key is hidden whole, whatever it holds: up to the next `key=` item of
  // its word, and over the following words up to the next option, in case the command line
  // was joined without quotes ("--params db.password=a b" holds the value "a b").
  std::vector<std::string> words;
  bool in_secret = false;
  for (const std::string& word : shell_words(command)) {
    if (in_secret && !word.starts_with('-')) {
      continue;
    }
    in_secret = false;
    std::string option;  // "--params=" of "--params=a=1"
    std::string_view rest = word;
    if (const auto equals = word.find('='); word.starts_with("--") && equals != std::string::npos) {
      option = word.substr(0, equals + 1);
      rest.remove_prefix(equals + 1);
    }
    std::vector<std::string> items;
    for (const std::string& piece : split_key_values(rest)) {
      in_secret = false;
      if (starts_key_value(piece)) {
        const std::string key = piece.substr(0, piece.find('='));
        const auto dot = key.find_last_of('.');
        if (is_secret_key(dot == std::string::npos ? key : key.substr(dot + 1), extra)) {
          items.push_back(key + "=***");
          in_secret = true;
          continue;
        }
      }
      items.push_back(piece);
    }
    words.push_back(shell_quote(fmt::format("{}{}", option, fmt::join(items, ","))));
  }
  return fmt::format("{}", fmt::join(words, " "));
}

std::string bundle_json(const Bundle& bundle) {
  Json datasets = Json::array();
  for (const auto& dataset : bundle.datasets) {
    Json row = {{"name", dataset.name},
                {"state", dataset.state},
                {"bytes", dataset.bytes},
                {"type", dataset.type},
                {"producer", text_or_null(dataset.producer)},
                {"remaining_consumers", dataset.remaining_consumers}};
    if (dataset.rank >= 0) {
      row["rank"] = dataset.rank;
    }
    datasets.push_back(std::move(row));
  }
  Json failure = {{"node", text_or_null(bundle.failing_node)},
                  {"phase", bundle.phase},
                  {"error", bundle.error}};
  if (bundle.failing_rank >= 0) {
    failure["rank"] = bundle.failing_rank;
  }
  Json inputs = Json::array();
  for (const auto& input : bundle.inputs) {
    inputs.push_back({{"dataset", input.dataset},
                      {"file", text_or_null(input.file)},
                      {"codec", input.codec},
                      {"note", input.reason}});
  }
  return json_text(
      {{"run_id", bundle.run_id},
       {"pipeline", bundle.pipeline},
       {"env", bundle.env},
       {"runner", bundle.runner},
       {"command", bundle.command},
       {"project", bundle.project},
       {"failure", std::move(failure)},
       {"datasets", std::move(datasets)},
       {"resume", {{"from_nodes", bundle.resume_nodes}, {"command", bundle.resume_command}}},
       {"inputs", std::move(inputs)},
       {"parameters", param_json(bundle.parameters)}});
}

Bundle read_bundle(const std::filesystem::path& folder) {
  const auto file = folder / "state.json";
  if (!std::filesystem::is_regular_file(file)) {
    throw ConfigError(fmt::format(
        "'{}' is not a post-mortem bundle: it has no state.json (bundles are the folders "
        "under postmortem/, one per failed run, written by the debug_catalog hook)",
        folder.string()));
  }
  return parse_bundle(read_file(file), folder);
}

Bundle parse_bundle(std::string_view state_json, const std::filesystem::path& folder) {
  const auto file = folder / "state.json";
  const Json state = parse_json(state_json, file.string(), kWhatToDo);
  if (!state.is_object()) {
    throw ConfigError(fmt::format("'{}' is not a post-mortem bundle (it holds no JSON object); {}",
                                  file.string(), kWhatToDo));
  }
  Bundle bundle;
  bundle.folder = folder;
  bundle.run_id = text(state, "run_id");
  bundle.pipeline = text(state, "pipeline");
  bundle.env = text(state, "env");
  bundle.runner = text(state, "runner");
  bundle.command = text(state, "command");
  bundle.project = text(state, "project");
  if (const auto failure = state.find("failure"); failure != state.end() && failure->is_object()) {
    bundle.failing_node = text(*failure, "node");
    bundle.phase = text(*failure, "phase");
    bundle.error = text(*failure, "error");
    bundle.failing_rank = rank_of(*failure);
  }
  for (const auto& entry : objects(state, "datasets", file)) {
    DatasetState dataset;
    dataset.name = text(entry, "name");
    dataset.state = text(entry, "state");
    const auto bytes = entry.find("bytes");
    if (bytes == entry.end() || !bytes->is_number_unsigned()) {
      throw ConfigError(fmt::format("'{}': dataset '{}' needs \"bytes\", a number of 0 or more; {}",
                                    file.string(), dataset.name, kWhatToDo));
    }
    dataset.bytes = bytes->get<std::uint64_t>();
    dataset.type = text(entry, "type");
    dataset.producer = text(entry, "producer");
    dataset.remaining_consumers = strings(entry, "remaining_consumers");
    dataset.rank = rank_of(entry);
    bundle.datasets.push_back(std::move(dataset));
  }
  if (const auto resume = state.find("resume"); resume != state.end() && resume->is_object()) {
    bundle.resume_nodes = strings(*resume, "from_nodes");
    bundle.resume_command = text(*resume, "command");
  }
  for (const auto& entry : objects(state, "inputs", file)) {
    bundle.inputs.push_back(
        {text(entry, "dataset"), text(entry, "file"), text(entry, "codec"), text(entry, "note")});
  }
  if (const auto parameters = state.find("parameters"); parameters != state.end()) {
    bundle.parameters = json_param(*parameters, file);
  }
  return bundle;
}

std::vector<std::string> dataset_table(const std::vector<DatasetState>& datasets) {
  std::size_t width = 7;
  std::size_t state_width = 13;
  bool ranks = false;
  for (const auto& dataset : datasets) {
    width = std::max(width, dataset.name.size());
    state_width = std::max(state_width, dataset.state.size());
    ranks = ranks || dataset.rank >= 0;
  }
  // Under `--runner mpi`, a column for the rank each row comes from.
  auto rank = [&](const std::string& text) { return ranks ? fmt::format("{:>4}  ", text) : ""; };
  std::vector<std::string> rows = {fmt::format("{:<{}}  {:<{}}  {}{:>10}  {:<18}  {}", "dataset",
                                               width, "state", state_width, rank("rank"),
                                               "in memory", "producer", "waiting consumers")};
  for (const auto& dataset : datasets) {
    rows.push_back(fmt::format("{:<{}}  {:<{}}  {}{:>10}  {:<18}  {}", dataset.name, width,
                               dataset.state, state_width,
                               rank(dataset.rank >= 0 ? std::to_string(dataset.rank) : "-"),
                               dataset.bytes > 0 ? format_size(dataset.bytes) : "-",
                               dataset.producer.empty() ? "(free input)" : dataset.producer,
                               fmt::join(dataset.remaining_consumers, ", ")));
  }
  return rows;
}

std::string describe_bundle(const Bundle& bundle) {
  std::string out = fmt::format("Run {} of pipeline '{}' (env {}, runner {}) failed", bundle.run_id,
                                bundle.pipeline, bundle.env, bundle.runner);
  const std::string on_rank =
      bundle.failing_rank >= 0 ? fmt::format(" on rank {}", bundle.failing_rank) : "";
  out += bundle.failing_node.empty()
             ? fmt::format(" {}:\n  {}\n", bundle.phase, bundle.error)
             : fmt::format(" in node '{}'{} while {}:\n  {}\n", bundle.failing_node, on_rank,
                           bundle.phase, bundle.error);
  if (!bundle.command.empty()) {  // redacted again: a bundle from an older sluice may leak
    out += fmt::format("Command: {}\n", redact_command(bundle.command));
  }
  out += "\nDatasets:\n";
  for (const auto& row : dataset_table(bundle.datasets)) {
    out += fmt::format("  {}\n", row);
  }
  if (!bundle.inputs.empty()) {
    out += fmt::format("\nInputs of '{}' saved in the bundle:\n", bundle.failing_node);
    for (const auto& input : bundle.inputs) {
      out += input.file.empty()
                 ? fmt::format("  {}: not saved ({})\n", input.dataset, input.reason)
                 : fmt::format("  {}: {} (codec {}){}\n", input.dataset, input.file, input.codec,
                               input.reason.empty() ? "" : fmt::format("; {}", input.reason));
    }
  }
  if (!bundle.failing_node.empty()) {
    out += fmt::format(
        "\nReplay the failing node on these inputs (in this process, so a "
        "debugger stops in it):\n  sluice replay {}\n",
        bundle.folder.string());
  }
  if (!bundle.resume_command.empty()) {
    out += fmt::format("\nResume the run:\n  {}\n", bundle.resume_command);
  }
  return out;
}

}  // namespace sluice
