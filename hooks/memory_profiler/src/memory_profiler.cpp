#include <fstream>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/datasets/file_dataset.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/json.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/node.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/core/units.hpp>
#include <sluice/hooks/memory_profiler.hpp>

namespace sluice {

using Seconds = std::chrono::duration<double>;

struct MemoryProfilerHook::State {
  std::mutex mutex;
  const Catalog* catalog = nullptr;
  std::map<std::string, std::uint64_t> rss_before;
  std::map<std::string, std::size_t, std::less<>> remaining;  // consumers yet to finish
  std::map<std::string, Clock::duration> last_use;            // finished, not seen released
  std::map<std::string, HeldAfterUse> flagged;
  std::uint64_t last_held = 0;
  Report report;

  // Datasets whose last consumer finished: released by now, or flagged. Call with mutex held.
  void check(Clock::duration now) {
    for (auto at = last_use.begin(); at != last_use.end();) {
      const auto dataset = catalog->find(at->first);
      std::vector<Value> values;
      if (dataset) {
        dataset->held_values(values);
      }
      if (values.empty()) {
        at = last_use.erase(at);
        continue;
      }
      HeldAfterUse& held = flagged[at->first];
      held.dataset = at->first;
      held.bytes = distinct_bytes(std::move(values));
      held.seconds = Seconds(now - at->second).count();
      held.reason = dataset->write_pending() ? "waiting for its write" : "not released";
      ++at;
    }
  }
};

MemoryProfilerOptions MemoryProfilerOptions::parse(const Param& options,
                                                   const std::string& hook_name) {
  OptionReader reader(options, fmt::format("hook '{}'", hook_name));
  MemoryProfilerOptions parsed;
  if (const auto json = reader.optional_string("json")) {
    parsed.json = *json;
  }
  reader.finish();
  return parsed;
}

MemoryProfilerHook::MemoryProfilerHook(MemoryProfilerOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock), state_(std::make_unique<State>()) {}

MemoryProfilerHook::~MemoryProfilerHook() = default;

std::uint64_t MemoryProfilerHook::resident_set_size() {
  std::ifstream statm("/proc/self/statm");
  std::uint64_t size = 0;
  std::uint64_t resident = 0;
  if (!(statm >> size >> resident)) {
    return 0;
  }
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

Events MemoryProfilerHook::events() const {
  return {Event::before_pipeline_run, Event::before_node_run, Event::after_node_run,
          Event::after_pipeline_run, Event::on_pipeline_error};
}

void MemoryProfilerHook::before_pipeline_run(const RunInfo&, const Pipeline& pipeline,
                                             const Catalog& catalog) {
  std::lock_guard lock(state_->mutex);
  state_->rss_before.clear();
  state_->remaining.clear();
  state_->last_use.clear();
  state_->flagged.clear();
  state_->report = Report{};
  state_->catalog = &catalog;
  for (const auto& dataset : pipeline.all_inputs()) {
    if (!Catalog::is_parameter(dataset)) {
      state_->remaining[dataset] = pipeline.consumers_of(dataset).size();
    }
  }
  state_->last_held = held_bytes(catalog);
}

void MemoryProfilerHook::before_node_run(const Node& node, std::vector<Value>&) {
  const std::uint64_t rss = resident_set_size();
  std::lock_guard lock(state_->mutex);
  state_->rss_before[node.name()] = rss;
  state_->check(clock_.now());
}

void MemoryProfilerHook::after_node_run(const Node& node, const std::vector<Value>&,
                                        const std::vector<Value>& outputs) {
  const std::uint64_t rss = resident_set_size();
  const auto now = clock_.now();
  std::lock_guard lock(state_->mutex);
  State& state = *state_;
  // What the catalog holds, and the outputs about to be saved (each value once).
  std::vector<Value> values(outputs.begin(), outputs.end());
  std::size_t alive = 0;
  state.catalog->for_each([&](const std::string& name, const Dataset& dataset) {
    if (Catalog::is_parameter(name)) {
      return;
    }
    const std::size_t before = values.size();
    dataset.held_values(values);
    alive += values.size() > before ? 1 : 0;
  });
  NodeRow row;
  row.node = node.name();
  row.rss_before = state.rss_before[node.name()];
  row.rss_after = rss;
  row.held_bytes = distinct_bytes(std::move(values));
  row.held_delta =
      static_cast<std::int64_t>(row.held_bytes) - static_cast<std::int64_t>(state.last_held);
  row.datasets_alive = alive;
  state.last_held = row.held_bytes;
  if (row.held_bytes > state.report.peak_held_bytes || state.report.peak_node.empty()) {
    state.report.peak_held_bytes = row.held_bytes;
    state.report.peak_node = node.name();
  }
  state.report.peak_rss = std::max(state.report.peak_rss, rss);
  state.report.nodes.push_back(std::move(row));
  // Inputs whose last consumer this was: released from now on, or flagged later.
  for (const auto& input : node.inputs()) {
    const auto remaining = state.remaining.find(input);
    if (remaining != state.remaining.end() && remaining->second > 0 && --remaining->second == 0) {
      state.last_use[input] = now;
    }
  }
}

void MemoryProfilerHook::after_pipeline_run(const RunInfo& run, const Pipeline&, const Catalog&) {
  finish(run);
}

void MemoryProfilerHook::on_pipeline_error(const RunInfo& run, const Pipeline&, const Catalog&,
                                           const std::exception&) {
  finish(run);
}

MemoryProfilerHook::Report MemoryProfilerHook::report() const {
  std::lock_guard lock(state_->mutex);
  Report report = state_->report;
  for (const auto& [dataset, held] : state_->flagged) {
    report.held_after_last_use.push_back(held);
  }
  return report;
}

void MemoryProfilerHook::finish(const RunInfo& run) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->catalog == nullptr) {
      return;  // not in a run, or reported already (on_pipeline_error after after_pipeline_run)
    }
    state_->check(clock_.now());
    state_->catalog = nullptr;  // the run is over
  }
  const Report profile = report();
  auto& log = logger();
  log.info("Memory profile (held: values in memory in the catalog; RSS: the whole process):");
  log.info("  {:<24} {:>11} {:>11} {:>11} {:>11} {:>9}", "node", "RSS before", "RSS after", "held",
           "delta", "datasets");
  for (const auto& row : profile.nodes) {
    log.info("  {:<24} {:>11} {:>11} {:>11} {:>11} {:>9}", row.node, format_size(row.rss_before),
             format_size(row.rss_after), format_size(row.held_bytes),
             fmt::format("{}{}", row.held_delta < 0 ? "-" : "+",
                         format_size(static_cast<std::uint64_t>(std::abs(row.held_delta)))),
             row.datasets_alive);
  }
  if (!profile.nodes.empty()) {
    log.info("Peak: {} held, after node '{}'; RSS peak {}", format_size(profile.peak_held_bytes),
             profile.peak_node, format_size(profile.peak_rss));
  }
  for (const auto& held : profile.held_after_last_use) {
    log.warn("'{}' ({}) stayed in memory {:.3f} s after its last consumer ({})", held.dataset,
             format_size(held.bytes), held.seconds, held.reason);
  }
  if (!options_.json.empty()) {
    const auto path = project_path(run, options_.json);
    try {
      write_file_atomically(path, json());  // creates the folder, says the OS error
    } catch (const Error& failure) {
      throw Error(fmt::format("memory_profiler: {}", failure.what()));
    }
    log.info("Memory profile written to '{}'", path.string());
  }
}

std::string MemoryProfilerHook::json() const {
  const Report profile = report();
  std::string json = "{\"nodes\": [";
  for (std::size_t i = 0; i < profile.nodes.size(); ++i) {
    const auto& row = profile.nodes[i];
    json += fmt::format(
        "{}\n  {{\"node\": {}, \"rss_before\": {}, \"rss_after\": {}, \"held_bytes\": {}, "
        "\"held_delta\": {}, \"datasets_alive\": {}}}",
        i == 0 ? "" : ",", json_quote(row.node), row.rss_before, row.rss_after, row.held_bytes,
        row.held_delta, row.datasets_alive);
  }
  json += fmt::format(
      "],\n \"peak\": {{\"held_bytes\": {}, \"node\": {}, \"rss\": {}}},\n "
      "\"held_after_last_use\": "
      "[",
      profile.peak_held_bytes, json_quote(profile.peak_node), profile.peak_rss);
  for (std::size_t i = 0; i < profile.held_after_last_use.size(); ++i) {
    const auto& held = profile.held_after_last_use[i];
    json +=
        fmt::format("{}\n  {{\"dataset\": {}, \"bytes\": {}, \"seconds\": {:.6f}, \"reason\": {}}}",
                    i == 0 ? "" : ",", json_quote(held.dataset), held.bytes, held.seconds,
                    json_quote(held.reason));
  }
  return json + "]}\n";
}

}  // namespace sluice
