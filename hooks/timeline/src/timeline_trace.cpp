#include <algorithm>

#include <fmt/format.h>

#include <sluice/core/error.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/core/util/json.hpp>
#include <sluice/hooks/timeline_trace.hpp>

namespace sluice {
namespace {

constexpr std::string_view kWhatToDo =
    "a trace is written by `sluice run --hooks timeline`; run it again to write a new one";

// The fields of event `index` of a trace, or a ConfigError naming the event and the field.
class EventReader {
 public:
  EventReader(const Json& event, std::size_t index, const std::string& source)
      : event_(event), index_(index), source_(source) {}

  const Json& field(std::string_view key, bool (Json::*is_kind)() const noexcept,
                    std::string_view kind) const {
    const auto at = event_.find(key);
    if (at == event_.end() || !((*at).*is_kind)()) {
      throw ConfigError(
          fmt::format("'{}': event {} of traceEvents {} field '{}' (it must be {}); {}", source_,
                      index_, at == event_.end() ? "has no" : "has a bad", key, kind, kWhatToDo));
    }
    return *at;
  }
  std::string text(std::string_view key) const {
    return field(key, &Json::is_string, "a string").get<std::string>();
  }
  double number(std::string_view key) const {
    return field(key, &Json::is_number, "a number").get<double>();
  }
  std::int64_t integer(std::string_view key) const {
    return field(key, &Json::is_number_integer, "a whole number").get<std::int64_t>();
  }
  EventReader object(std::string_view key) const {
    return {field(key, &Json::is_object, "an object"), index_, source_};
  }

 private:
  const Json& event_;
  std::size_t index_;
  const std::string& source_;
};

// otherData's runner and datasets, when the trace has them.
void read_other_data(const Json& json, const std::string& source, Trace& read) {
  const auto other = json.find("otherData");
  if (other == json.end() || !other->is_object()) {
    return;
  }
  auto bad = [&](const std::string& what) {
    return ConfigError(fmt::format("'{}': otherData {}; {}", source, what, kWhatToDo));
  };
  if (const auto runner = other->find("runner"); runner != other->end()) {
    if (!runner->is_string()) {
      throw bad("has a 'runner' that is not a string");
    }
    read.runner = runner->get<std::string>();
  }
  if (const auto ranks = other->find("ranks"); ranks != other->end()) {
    if (!ranks->is_number_integer() || ranks->get<std::int64_t>() < 1) {
      throw bad("has 'ranks' that is not a count of processes");
    }
    read.ranks = ranks->get<int>();
  }
  const auto datasets = other->find("datasets");
  if (datasets == other->end()) {
    return;
  }
  if (!datasets->is_object()) {
    throw bad("has 'datasets' that is not an object (dataset -> {type, ephemeral})");
  }
  for (const auto& [name, dataset] : datasets->items()) {
    const auto type = dataset.is_object() ? dataset.find("type") : dataset.end();
    const auto ephemeral = dataset.is_object() ? dataset.find("ephemeral") : dataset.end();
    if (type == dataset.end() || !type->is_string() || ephemeral == dataset.end() ||
        !ephemeral->is_boolean()) {
      throw bad(fmt::format("dataset '{}' is not {{\"type\": string, \"ephemeral\": bool}}", name));
    }
    read.datasets[name] = {type->get<std::string>(), ephemeral->get<bool>()};
  }
}

}  // namespace

Trace parse_trace(std::string_view text, const std::string& source) {
  const Json json = parse_json(text, source, kWhatToDo);
  const auto events = json.is_object() ? json.find("traceEvents") : json.end();
  if (events == json.end() || !events->is_array()) {
    throw ConfigError(
        fmt::format("'{}' is not a trace-event file (no traceEvents list); {}", source, kWhatToDo));
  }
  Trace read;
  for (std::size_t index = 0; index < events->size(); ++index) {
    const Json& event = (*events)[index];
    if (!event.is_object()) {
      throw ConfigError(fmt::format("'{}': event {} of traceEvents is not an object; {}", source,
                                    index, kWhatToDo));
    }
    const EventReader reader(event, index, source);
    const std::string phase = reader.text("ph");
    // Files written before traces had a process per rank may lack a pid: one process, 0.
    const std::int64_t process = event.contains("pid") ? reader.integer("pid") : 0;
    if (phase == "M" && reader.text("name") == "thread_name") {
      read.tracks[{process, reader.integer("tid")}] = reader.object("args").text("name");
    } else if (phase == "M" && reader.text("name") == "process_name") {
      read.processes[process] = reader.object("args").text("name");
    } else if (phase == "X") {
      TracedSpan span;
      span.name = reader.text("name");
      span.category = reader.text("cat");
      span.start_ms = reader.number("ts") / 1000;
      span.end_ms = span.start_ms + reader.number("dur") / 1000;
      span.track = {process, reader.integer("tid")};
      if (const auto args = event.find("args"); args != event.end() && args->is_object()) {
        for (const auto& [key, value] : args->items()) {
          if (value.is_string()) {
            span.args.emplace(key, value.get<std::string>());
          }
        }
      }
      read.end_ms = std::max(read.end_ms, span.end_ms);
      read.spans.push_back(std::move(span));
    }
  }
  read_other_data(json, source, read);
  return read;
}

Trace read_trace(const std::filesystem::path& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw ConfigError(
        fmt::format("no trace at '{}': run with --hooks timeline to write one", path.string()));
  }
  return parse_trace(read_file(path), path.string());
}

std::string track_label(const Trace& trace, const TrackId& track) {
  const auto thread = trace.tracks.find(track);
  const std::string name = thread != trace.tracks.end() ? thread->second : "?";
  if (trace.processes.size() <= 1) {
    return name;
  }
  const auto process = trace.processes.find(track.process);
  return fmt::format(
      "{} {}",
      process != trace.processes.end() ? process->second : fmt::format("pid {}", track.process),
      name);
}

std::string trace_summary(const Trace& trace, const std::string& name) {
  std::map<TrackId, std::map<std::string, double>> busy;
  for (const TracedSpan& span : trace.spans) {
    busy[span.track][span.category] += span.end_ms - span.start_ms;
  }
  const std::string processes =
      trace.processes.size() > 1 ? fmt::format(" of {} processes", trace.processes.size()) : "";
  std::string summary =
      fmt::format("{}: {} spans on {} threads{} over {:.1f} ms\n", name, trace.spans.size(),
                  trace.tracks.size(), processes, trace.end_ms);
  std::size_t width = 16;
  for (const auto& [track, categories] : busy) {
    width = std::max(width, track_label(trace, track).size());
  }
  for (const auto& [track, categories] : busy) {
    std::vector<std::string> parts;
    for (const auto& [category, ms] : categories) {
      parts.push_back(fmt::format("{} {:.1f} ms", category, ms));
    }
    summary +=
        fmt::format("  {:<{}} {}\n", track_label(trace, track), width, fmt::join(parts, ", "));
  }
  return summary;
}

}  // namespace sluice
