#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include <sluice/core/config_loader.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/json.hpp>
#include <sluice/core/text.hpp>
#include <sluice/core/units.hpp>
#include <sluice/hooks/postmortem.hpp>

namespace sluice {
namespace {

std::string lower(std::string_view text) {
  std::string lowered(text);
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lowered;
}

// A Param tree as JSON (scalars keep their YAML spelling as strings, except numbers/booleans).
std::string param_json(const Param& value) {
  switch (value.kind()) {
    case Param::Kind::null:
      return "null";
    case Param::Kind::boolean:
      return value.as_bool() ? "true" : "false";
    case Param::Kind::integer:
      return std::to_string(value.as_int());
    case Param::Kind::floating:
      return fmt::format("{}", value.as_double());
    case Param::Kind::string:
      return json_quote(value.as_string());
    case Param::Kind::list: {
      std::string json = "[";
      for (const auto& item : value.as_list()) {
        json += (json.size() > 1 ? ", " : "") + param_json(item);
      }
      return json + "]";
    }
    case Param::Kind::map: {
      std::string json = "{";
      for (const auto& [key, item] : value.as_map()) {
        json +=
            fmt::format("{}{}: {}", json.size() > 1 ? ", " : "", json_quote(key), param_json(item));
      }
      return json + "}";
    }
  }
  return "null";
}

std::string strings_json(const std::vector<std::string>& items) {
  std::string json = "[";
  for (const auto& item : items) {
    json += fmt::format("{}{}", json.size() > 1 ? ", " : "", json_quote(item));
  }
  return json + "]";
}

std::string scalar(const Param& value) {
  return value.kind() == Param::Kind::string ? value.as_string()
         : value.is_null()                   ? std::string()
                                             : value.to_string();
}

std::string text(const Param& object, std::string_view key) {
  const Param* value = object.find(key);
  return value == nullptr ? std::string() : scalar(*value);
}

std::vector<std::string> strings(const Param& object, std::string_view key) {
  std::vector<std::string> items;
  if (const Param* list = object.find(key); list != nullptr && list->is_list()) {
    for (const auto& item : list->as_list()) {
      items.push_back(scalar(item));
    }
  }
  return items;
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
  std::string json = fmt::format(
      "{{\"run_id\": {}, \"pipeline\": {}, \"env\": {}, \"runner\": {}, \"command\": {}, "
      "\"project\": {},\n \"failure\": {{\"node\": {}, \"phase\": {}, \"error\": {}}},\n "
      "\"datasets\": [",
      json_quote(bundle.run_id), json_quote(bundle.pipeline), json_quote(bundle.env),
      json_quote(bundle.runner), json_quote(bundle.command), json_quote(bundle.project),
      bundle.failing_node.empty() ? "null" : json_quote(bundle.failing_node),
      json_quote(bundle.phase), json_quote(bundle.error));
  for (std::size_t i = 0; i < bundle.datasets.size(); ++i) {
    const auto& dataset = bundle.datasets[i];
    json += fmt::format(
        "{}\n  {{\"name\": {}, \"state\": {}, \"bytes\": {}, \"type\": {}, \"producer\": {}, "
        "\"remaining_consumers\": {}}}",
        i == 0 ? "" : ",", json_quote(dataset.name), json_quote(dataset.state), dataset.bytes,
        json_quote(dataset.type), dataset.producer.empty() ? "null" : json_quote(dataset.producer),
        strings_json(dataset.remaining_consumers));
  }
  json += fmt::format("],\n \"resume\": {{\"from_nodes\": {}, \"command\": {}}},\n \"inputs\": [",
                      strings_json(bundle.resume_nodes), json_quote(bundle.resume_command));
  for (std::size_t i = 0; i < bundle.inputs.size(); ++i) {
    const auto& input = bundle.inputs[i];
    json += fmt::format("{}\n  {{\"dataset\": {}, \"file\": {}, \"codec\": {}, \"note\": {}}}",
                        i == 0 ? "" : ",", json_quote(input.dataset),
                        input.file.empty() ? "null" : json_quote(input.file),
                        json_quote(input.codec), json_quote(input.reason));
  }
  return json + fmt::format("],\n \"parameters\": {}}}\n", param_json(bundle.parameters));
}

Bundle read_bundle(const std::filesystem::path& folder) {
  const auto file = folder / "state.json";
  if (!std::filesystem::is_regular_file(file)) {
    throw ConfigError(fmt::format(
        "'{}' is not a post-mortem bundle: it has no state.json (bundles are the folders "
        "under postmortem/, one per failed run, written by the debug_catalog hook)",
        folder.string()));
  }
  const Param state = load_yaml_file(file);
  Bundle bundle;
  bundle.folder = folder;
  bundle.run_id = text(state, "run_id");
  bundle.pipeline = text(state, "pipeline");
  bundle.env = text(state, "env");
  bundle.runner = text(state, "runner");
  bundle.command = text(state, "command");
  bundle.project = text(state, "project");
  if (const Param* failure = state.find("failure")) {
    bundle.failing_node = text(*failure, "node");
    bundle.phase = text(*failure, "phase");
    bundle.error = text(*failure, "error");
  }
  if (const Param* datasets = state.find("datasets")) {
    for (const auto& entry : datasets->as_list()) {
      DatasetState dataset;
      dataset.name = text(entry, "name");
      dataset.state = text(entry, "state");
      dataset.bytes = static_cast<std::uint64_t>(entry.at("bytes").as_int());
      dataset.type = text(entry, "type");
      dataset.producer = text(entry, "producer");
      dataset.remaining_consumers = strings(entry, "remaining_consumers");
      bundle.datasets.push_back(std::move(dataset));
    }
  }
  if (const Param* resume = state.find("resume")) {
    bundle.resume_nodes = strings(*resume, "from_nodes");
    bundle.resume_command = text(*resume, "command");
  }
  if (const Param* inputs = state.find("inputs")) {
    for (const auto& entry : inputs->as_list()) {
      bundle.inputs.push_back(
          {text(entry, "dataset"), text(entry, "file"), text(entry, "codec"), text(entry, "note")});
    }
  }
  if (const Param* parameters = state.find("parameters")) {
    bundle.parameters = *parameters;
  }
  return bundle;
}

std::vector<std::string> dataset_table(const std::vector<DatasetState>& datasets) {
  std::size_t width = 7;
  std::size_t state_width = 13;
  for (const auto& dataset : datasets) {
    width = std::max(width, dataset.name.size());
    state_width = std::max(state_width, dataset.state.size());
  }
  std::vector<std::string> rows = {fmt::format("{:<{}}  {:<{}}  {:>10}  {:<18}  {}", "dataset",
                                               width, "state", state_width, "in memory", "producer",
                                               "waiting consumers")};
  for (const auto& dataset : datasets) {
    rows.push_back(fmt::format("{:<{}}  {:<{}}  {:>10}  {:<18}  {}", dataset.name, width,
                               dataset.state, state_width,
                               dataset.bytes > 0 ? format_size(dataset.bytes) : "-",
                               dataset.producer.empty() ? "(free input)" : dataset.producer,
                               fmt::join(dataset.remaining_consumers, ", ")));
  }
  return rows;
}

std::string describe_bundle(const Bundle& bundle) {
  std::string out = fmt::format("Run {} of pipeline '{}' (env {}, runner {}) failed", bundle.run_id,
                                bundle.pipeline, bundle.env, bundle.runner);
  out += bundle.failing_node.empty() ? fmt::format(" {}:\n  {}\n", bundle.phase, bundle.error)
                                     : fmt::format(" in node '{}' while {}:\n  {}\n",
                                                   bundle.failing_node, bundle.phase, bundle.error);
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
