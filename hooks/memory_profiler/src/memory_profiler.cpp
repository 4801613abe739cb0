#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/node.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/core/util/json.hpp>
#include <sluice/core/util/units.hpp>
#include <sluice/hooks/memory_profiler.hpp>

namespace sluice {

using Seconds = std::chrono::duration<double>;

struct MemoryProfilerHook::State {
  // A dataset released by the release rule that still holds its value: behind a pending
  // write (the tee), or because its release kept it.
  struct Watch {
    Clock::duration since;  // the release (pending write) or the last consumer's end
    bool pending_write = false;
    std::uint64_t bytes = 0;
  };

  std::mutex mutex;
  // The view of the run in progress (the runner keeps its catalog alive until the run's end),
  // for on_dataset_released, which carries none.
  std::optional<CatalogView> catalog;
  std::map<std::string, std::uint64_t> rss_before;
  std::map<std::string, std::size_t, std::less<>> remaining;     // consumers yet to finish
  std::map<std::string, Clock::duration, std::less<>> last_use;  // finished, not released yet
  std::map<std::string, Watch, std::less<>> watched;
  std::vector<HeldAfterUse> flagged;
  std::vector<HeldForWrite> held_for_write;
  std::uint64_t last_held = 0;
  Report report;

  std::vector<Value> values_of(std::string_view name) const { return catalog->held_values(name); }

  // The release rule released `name` at `now`. Call with mutex held.
  void released(std::string_view name, Clock::duration now) {
    const auto used = last_use.find(name);
    if (used == last_use.end()) {
      return;
    }
    const Clock::duration last = used->second;
    last_use.erase(used);
    std::vector<Value> values = values_of(name);
    if (values.empty()) {
      return;  // released when its last consumer was done: nothing to report
    }
    const bool pending = catalog->write_pending(name);
    watched[std::string(name)] =
        Watch{pending ? now : last, pending, distinct_bytes(std::move(values))};
  }

  // Watched datasets whose value is gone by `now` are settled; with `end`, so is the rest.
  // Call with mutex held.
  void settle(Clock::duration now, bool end) {
    for (auto at = watched.begin(); at != watched.end();) {
      const auto& [name, watch] = *at;
      if (!values_of(name).empty() && !end) {
        ++at;
        continue;
      }
      const double seconds = Seconds(now - watch.since).count();
      if (watch.pending_write) {
        held_for_write.push_back({name, watch.bytes, seconds});
      } else {
        flagged.push_back({name, watch.bytes, seconds, "not released"});
      }
      at = watched.erase(at);
    }
    if (!end) {
      return;
    }
    // Never released (kept inputs, or the run stopped): held to the end if still in memory.
    for (const auto& [name, last] : last_use) {
      std::vector<Value> values = values_of(name);
      if (!values.empty()) {
        flagged.push_back(
            {name, distinct_bytes(std::move(values)), Seconds(now - last).count(), "not released"});
      }
    }
    last_use.clear();
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
  return {Event::before_rank_run,     Event::before_node_run,    Event::after_node_run,
          Event::on_dataset_released, Event::after_pipeline_run, Event::on_pipeline_error};
}

void MemoryProfilerHook::before_rank_run(const RunInfo&, const Pipeline& pipeline,
                                         const CatalogView& catalog) {
  std::lock_guard lock(state_->mutex);
  state_->rss_before.clear();
  state_->remaining.clear();
  state_->last_use.clear();
  state_->watched.clear();
  state_->flagged.clear();
  state_->held_for_write.clear();
  state_->report = Report{};
  state_->catalog = catalog;
  for (const auto& dataset : pipeline.all_inputs()) {
    if (!Catalog::is_parameter(dataset)) {
      state_->remaining[dataset] = pipeline.consumers_of(dataset).size();
    }
  }
  state_->last_held = catalog.held_bytes();
}

void MemoryProfilerHook::before_node_run(const Node& node, const CatalogView&,
                                         std::vector<Value>&) {
  const std::uint64_t rss = resident_set_size();
  std::lock_guard lock(state_->mutex);
  state_->rss_before[node.name()] = rss;
  state_->settle(clock_.now(), false);
}

void MemoryProfilerHook::after_node_run(const Node& node, const CatalogView& catalog,
                                        const std::vector<Value>&,
                                        const std::vector<Value>& outputs) {
  const std::uint64_t rss = resident_set_size();
  const auto now = clock_.now();
  std::lock_guard lock(state_->mutex);
  State& state = *state_;
  // What the catalog holds, and the outputs about to be saved (each value once).
  std::vector<Value> values(outputs.begin(), outputs.end());
  std::size_t alive = 0;
  for (const auto& name : catalog.names()) {
    if (Catalog::is_parameter(name)) {
      continue;
    }
    std::vector<Value> held = catalog.held_values(name);
    alive += held.empty() ? 0 : 1;
    values.insert(values.end(), held.begin(), held.end());
  }
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
  state.settle(now, false);
}

void MemoryProfilerHook::on_dataset_released(std::string_view dataset) {
  const auto now = clock_.now();
  std::lock_guard lock(state_->mutex);
  if (!state_->catalog) {
    return;
  }
  state_->settle(now, false);
  state_->released(dataset, now);
}

void MemoryProfilerHook::after_pipeline_run(const RunInfo& run, const Pipeline&,
                                            const CatalogView& catalog) {
  finish(run, catalog);
}

void MemoryProfilerHook::on_pipeline_error(const RunInfo& run, const Pipeline&,
                                           const CatalogView& catalog, const std::exception&) {
  finish(run, catalog);
}

MemoryProfilerHook::Report MemoryProfilerHook::report() const {
  std::lock_guard lock(state_->mutex);
  Report report = state_->report;
  report.held_after_last_use = state_->flagged;
  report.held_for_pending_write = state_->held_for_write;
  return report;
}

void MemoryProfilerHook::finish(const RunInfo& run, const CatalogView& catalog) {
  std::vector<std::string> writing;
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->catalog) {
      return;  // not in a run, or reported already (on_pipeline_error after after_pipeline_run)
    }
    for (const auto& [name, watch] : state_->watched) {
      if (watch.pending_write) {
        writing.push_back(name);
      }
    }
  }
  // The run joins its writes anyway (the tee, in its own after_pipeline_run or
  // on_pipeline_error): waiting for each pending write to settle here measures the time held
  // for it to its end even if this hook runs before the tee.
  for (const auto& name : writing) {
    catalog.wait_for_writes(name);
    std::lock_guard lock(state_->mutex);
    state_->settle(clock_.now(), false);
  }
  {
    std::lock_guard lock(state_->mutex);
    state_->settle(clock_.now(), true);
    state_->catalog.reset();  // the run is over: its catalog may go
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
  for (const auto& held : profile.held_for_pending_write) {
    log.info("'{}' ({}) held for its pending write: {:.3f} s after its last consumer", held.dataset,
             format_size(held.bytes), held.seconds);
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
  // Seconds to the microsecond.
  auto seconds = [](double value) { return std::round(value * 1e6) / 1e6; };
  Json nodes = Json::array();
  for (const auto& row : profile.nodes) {
    nodes.push_back({{"node", row.node},
                     {"rss_before", row.rss_before},
                     {"rss_after", row.rss_after},
                     {"held_bytes", row.held_bytes},
                     {"held_delta", row.held_delta},
                     {"datasets_alive", row.datasets_alive}});
  }
  Json after_last_use = Json::array();
  for (const auto& held : profile.held_after_last_use) {
    after_last_use.push_back({{"dataset", held.dataset},
                              {"bytes", held.bytes},
                              {"seconds", seconds(held.seconds)},
                              {"reason", held.reason}});
  }
  Json pending_write = Json::array();
  for (const auto& held : profile.held_for_pending_write) {
    pending_write.push_back(
        {{"dataset", held.dataset}, {"bytes", held.bytes}, {"seconds", seconds(held.seconds)}});
  }
  return json_text({{"nodes", std::move(nodes)},
                    {"peak",
                     {{"held_bytes", profile.peak_held_bytes},
                      {"node", profile.peak_node},
                      {"rss", profile.peak_rss}}},
                    {"held_after_last_use", std::move(after_last_use)},
                    {"held_for_pending_write", std::move(pending_write)}});
}

}  // namespace sluice
