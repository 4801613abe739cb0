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
#include <sluice/core/trace.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/core/util/json.hpp>
#include <sluice/core/util/units.hpp>
#include <sluice/hooks/memory_profiler.hpp>

namespace sluice {

using Seconds = std::chrono::duration<double>;

namespace {

// The tee's decisions, from its spans on the run's trace (recorded on the threads that made
// them).
class TeeDecisions final : public TraceSink {
 public:
  void record(std::string_view category, std::string_view name,
              std::chrono::steady_clock::time_point, std::chrono::steady_clock::time_point,
              const Args& args) override {
    const bool spill = name.starts_with("spill ");
    if (category != "tee" || (!spill && !name.starts_with("read back "))) {
      return;
    }
    const auto arg = [&](std::string_view key) {
      for (const auto& [k, value] : args) {
        if (k == key) {
          return value;
        }
      }
      return std::string();
    };
    std::lock_guard lock(mutex_);
    auto& decision = decisions_[arg("dataset")];
    const std::string bytes = arg("bytes");
    if (!bytes.empty()) {
      decision.bytes = std::stoull(bytes);
    }
    if (spill) {
      if (decision.spilled++ == 0) {
        decision.next_reader = arg("next_reader");
        decision.reason = arg("reason");
      }
    } else {
      ++decision.read_back;
    }
  }
  void clear() {
    std::lock_guard lock(mutex_);
    decisions_.clear();
  }
  std::vector<MemoryProfilerHook::TeeDecision> decisions() const {
    std::lock_guard lock(mutex_);
    std::vector<MemoryProfilerHook::TeeDecision> out;
    for (const auto& [dataset, decision] : decisions_) {
      out.push_back(decision);
      out.back().dataset = dataset;
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, MemoryProfilerHook::TeeDecision> decisions_;
};

}  // namespace

struct MemoryProfilerHook::State {
  std::shared_ptr<TeeDecisions> tee = std::make_shared<TeeDecisions>();
  std::shared_ptr<Trace> trace;  // the run's, where the tee reports its decisions

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
  // A run of several ranks: this rank's report went to rank 0 (posted), and rank 0 reported
  // every rank's (reported, ranks).
  int run_ranks = 1;
  bool posted = false;
  bool reported = false;
  std::vector<RankReport> ranks;

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

namespace {

constexpr std::string_view kReportKey = "memory_profiler";

// Seconds to the microsecond.
double rounded_seconds(double value) {
  return std::round(value * 1e6) / 1e6;
}

Json node_json(const MemoryProfilerHook::NodeRow& row) {
  return {{"node", row.node},
          {"rss_before", row.rss_before},
          {"rss_after", row.rss_after},
          {"held_bytes", row.held_bytes},
          {"held_delta", row.held_delta},
          {"datasets_alive", row.datasets_alive}};
}

Json held_after_use_json(const MemoryProfilerHook::HeldAfterUse& held) {
  return {{"dataset", held.dataset},
          {"bytes", held.bytes},
          {"seconds", rounded_seconds(held.seconds)},
          {"reason", held.reason}};
}

Json held_for_write_json(const MemoryProfilerHook::HeldForWrite& held) {
  return {
      {"dataset", held.dataset}, {"bytes", held.bytes}, {"seconds", rounded_seconds(held.seconds)}};
}

Json tee_decision_json(const MemoryProfilerHook::TeeDecision& decision) {
  return {{"dataset", decision.dataset},         {"bytes", decision.bytes},
          {"spilled", decision.spilled},         {"read_back", decision.read_back},
          {"next_reader", decision.next_reader}, {"reason", decision.reason}};
}

// One process's report, as the `json` option writes it for a run of one process.
Json report_json(const MemoryProfilerHook::Report& profile) {
  Json tee = Json::array();
  for (const auto& decision : profile.tee_decisions) {
    tee.push_back(tee_decision_json(decision));
  }
  Json nodes = Json::array();
  for (const auto& row : profile.nodes) {
    nodes.push_back(node_json(row));
  }
  Json after_last_use = Json::array();
  for (const auto& held : profile.held_after_last_use) {
    after_last_use.push_back(held_after_use_json(held));
  }
  Json pending_write = Json::array();
  for (const auto& held : profile.held_for_pending_write) {
    pending_write.push_back(held_for_write_json(held));
  }
  return {{"nodes", std::move(nodes)},
          {"peak",
           {{"held_bytes", profile.peak_held_bytes},
            {"node", profile.peak_node},
            {"rss", profile.peak_rss},
            {"rss_node", profile.peak_rss_node}}},
          {"held_after_last_use", std::move(after_last_use)},
          {"held_for_pending_write", std::move(pending_write)},
          {"tee_decisions", std::move(tee)}};
}

// The report `rank` posted (report_json's text); Error naming the rank when it is not one.
MemoryProfilerHook::Report report_from_json(std::string_view bytes, int rank) {
  const std::string source = fmt::format("the memory profile of rank {}", rank);
  try {
    const Json json = parse_json(bytes, source, "run every rank with the same sluice build");
    MemoryProfilerHook::Report profile;
    for (const Json& row : json.at("nodes")) {
      profile.nodes.push_back(
          {row.at("node").get<std::string>(), row.at("rss_before").get<std::uint64_t>(),
           row.at("rss_after").get<std::uint64_t>(), row.at("held_bytes").get<std::uint64_t>(),
           row.at("held_delta").get<std::int64_t>(), row.at("datasets_alive").get<std::size_t>()});
    }
    const Json& peak = json.at("peak");
    profile.peak_held_bytes = peak.at("held_bytes").get<std::uint64_t>();
    profile.peak_node = peak.at("node").get<std::string>();
    profile.peak_rss = peak.at("rss").get<std::uint64_t>();
    profile.peak_rss_node = peak.at("rss_node").get<std::string>();
    for (const Json& held : json.at("held_after_last_use")) {
      profile.held_after_last_use.push_back(
          {held.at("dataset").get<std::string>(), held.at("bytes").get<std::uint64_t>(),
           held.at("seconds").get<double>(), held.at("reason").get<std::string>()});
    }
    for (const Json& held : json.at("held_for_pending_write")) {
      profile.held_for_pending_write.push_back({held.at("dataset").get<std::string>(),
                                                held.at("bytes").get<std::uint64_t>(),
                                                held.at("seconds").get<double>()});
    }
    for (const Json& decision : json.at("tee_decisions")) {
      profile.tee_decisions.push_back(
          {decision.at("dataset").get<std::string>(), decision.at("bytes").get<std::uint64_t>(),
           decision.at("spilled").get<std::size_t>(), decision.at("read_back").get<std::size_t>(),
           decision.at("next_reader").get<std::string>(),
           decision.at("reason").get<std::string>()});
    }
    return profile;
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& error) {
    throw Error(fmt::format(
        "memory_profiler: {} is not a memory report ({}); run every rank with the same sluice "
        "build",
        source, error.what()));
  }
}

}  // namespace

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

MemoryProfilerHook::~MemoryProfilerHook() {
  if (state_->trace) {
    state_->trace->remove(state_->tee.get());
  }
}

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
  return {Event::after_catalog_created, Event::before_rank_run,     Event::before_node_run,
          Event::after_node_run,        Event::on_dataset_released, Event::after_rank_run,
          Event::on_rank_error,         Event::after_pipeline_run,  Event::on_pipeline_error};
}

void MemoryProfilerHook::after_catalog_created(Catalog& catalog) {
  auto trace = trace_of(catalog);
  std::lock_guard lock(state_->mutex);
  if (state_->trace && state_->trace != trace) {
    state_->trace->remove(state_->tee.get());
  }
  state_->trace = std::move(trace);
  if (state_->trace) {
    state_->trace->add(state_->tee);
  }
}

void MemoryProfilerHook::before_rank_run(const RunInfo& run, const Pipeline& pipeline,
                                         const CatalogView& catalog) {
  std::lock_guard lock(state_->mutex);
  state_->run_ranks = run.ranks;
  state_->posted = false;
  state_->reported = false;
  state_->ranks.clear();
  state_->rss_before.clear();
  state_->remaining.clear();
  state_->last_use.clear();
  state_->watched.clear();
  state_->flagged.clear();
  state_->held_for_write.clear();
  state_->tee->clear();
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
  if (rss > state.report.peak_rss || state.report.peak_rss_node.empty()) {
    state.report.peak_rss = rss;
    state.report.peak_rss_node = node.name();
  }
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

void MemoryProfilerHook::after_rank_run(const RunInfo& run, const Pipeline&,
                                        const CatalogView& catalog) {
  post_report(run, catalog);
}

void MemoryProfilerHook::on_rank_error(const RunInfo& run, const Pipeline&,
                                       const CatalogView& catalog, const std::exception&) {
  post_report(run, catalog);
}

void MemoryProfilerHook::after_pipeline_run(const RunInfo& run, const Pipeline&,
                                            const CatalogView& catalog) {
  if (run.ranks > 1) {
    report_ranks(run);
  } else {
    finish(run, catalog);
  }
}

void MemoryProfilerHook::on_pipeline_error(const RunInfo& run, const Pipeline&,
                                           const CatalogView& catalog, const std::exception&) {
  if (run.ranks > 1) {
    report_ranks(run);
  } else {
    finish(run, catalog);
  }
}

MemoryProfilerHook::Report MemoryProfilerHook::report() const {
  std::lock_guard lock(state_->mutex);
  Report report = state_->report;
  report.held_after_last_use = state_->flagged;
  report.held_for_pending_write = state_->held_for_write;
  report.tee_decisions = state_->tee->decisions();
  return report;
}

std::vector<MemoryProfilerHook::RankReport> MemoryProfilerHook::rank_reports() const {
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->ranks.empty()) {
      return state_->ranks;
    }
  }
  return {RankReport{0, report()}};
}

MemoryProfilerHook::RunPeak MemoryProfilerHook::peak_over(const std::vector<RankReport>& ranks) {
  RunPeak peak;
  bool held_seen = false;
  bool rss_seen = false;
  for (const auto& [rank, profile] : ranks) {
    if (profile.nodes.empty()) {
      continue;
    }
    if (!held_seen || profile.peak_held_bytes > peak.held_bytes) {
      peak.held_bytes = profile.peak_held_bytes;
      peak.held_rank = rank;
      peak.held_node = profile.peak_node;
      held_seen = true;
    }
    if (!rss_seen || profile.peak_rss > peak.rss) {
      peak.rss = profile.peak_rss;
      peak.rss_rank = rank;
      peak.rss_node = profile.peak_rss_node;
      rss_seen = true;
    }
  }
  return peak;
}

bool MemoryProfilerHook::settle_at_end(const CatalogView& catalog) {
  std::vector<std::string> writing;
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->catalog) {
      return false;  // not in a run, or reported already (an error event after the end)
    }
    for (const auto& [name, watch] : state_->watched) {
      if (watch.pending_write) {
        writing.push_back(name);
      }
    }
  }
  // The run joins its writes anyway (the tee, in its own after_rank_run or on_rank_error):
  // waiting for each pending write to settle here measures the time held for it to its end
  // even if this hook runs before the tee.
  for (const auto& name : writing) {
    catalog.wait_for_writes(name);
    std::lock_guard lock(state_->mutex);
    state_->settle(clock_.now(), false);
  }
  std::lock_guard lock(state_->mutex);
  state_->settle(clock_.now(), true);
  state_->catalog.reset();  // the run is over: its catalog may go
  return true;
}

void MemoryProfilerHook::finish(const RunInfo& run, const CatalogView& catalog) {
  if (!settle_at_end(catalog)) {
    return;
  }
  log_report(report(), "Memory profile");
  write_json(run);
}

void MemoryProfilerHook::post_report(const RunInfo& run, const CatalogView& catalog) {
  if (run.ranks <= 1 || run.mail == nullptr) {
    return;  // one process: it reports in after_pipeline_run
  }
  {
    std::lock_guard lock(state_->mutex);
    if (state_->posted) {
      return;  // on_rank_error after a failed after_rank_run
    }
    state_->posted = true;
  }
  settle_at_end(catalog);
  run.mail->post(kReportKey, report_json(report()).dump());
}

void MemoryProfilerHook::report_ranks(const RunInfo& run) {
  if (run.mail == nullptr) {
    return;
  }
  {
    std::lock_guard lock(state_->mutex);
    if (state_->reported) {
      return;  // on_pipeline_error after a failed after_pipeline_run
    }
    state_->reported = true;
  }
  std::vector<RankReport> ranks;
  for (const auto& [rank, bytes] : run.mail->received(kReportKey)) {
    ranks.push_back({rank, report_from_json(bytes, rank)});
  }
  {
    std::lock_guard lock(state_->mutex);
    state_->ranks = ranks;
  }
  auto& log = logger();
  for (const auto& [rank, profile] : ranks) {
    if (profile.nodes.empty()) {
      log.info("Memory profile of rank {}: no node ran there", rank);
      continue;
    }
    log_report(profile, fmt::format("Memory profile of rank {}", rank));
  }
  const RunPeak peak = peak_over(ranks);
  if (!peak.held_node.empty()) {
    log.info(
        "Peak over {} ranks: {} held on rank {}, after node '{}'; RSS peak {} on rank {}, "
        "after node '{}'",
        ranks.size(), format_size(peak.held_bytes), peak.held_rank, peak.held_node,
        format_size(peak.rss), peak.rss_rank, peak.rss_node);
  }
  write_json(run);
}

void MemoryProfilerHook::log_report(const Report& profile, const std::string& title) const {
  auto& log = logger();
  log.info("{} (held: values in memory in the catalog; RSS: the whole process):", title);
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
  for (const auto& tee : profile.tee_decisions) {
    log.info("Tee: '{}' ({}) spilled {} time(s) ({}; next reader then: {}), read back {} time(s)",
             tee.dataset, format_size(tee.bytes), tee.spilled,
             tee.reason.empty() ? "-" : tee.reason, tee.next_reader.empty() ? "-" : tee.next_reader,
             tee.read_back);
  }
}

void MemoryProfilerHook::write_json(const RunInfo& run) const {
  if (options_.json.empty()) {
    return;
  }
  const auto path = project_path(run, options_.json);
  try {
    write_file_atomically(path, json());  // creates the folder, says the OS error
  } catch (const Error& failure) {
    throw Error(fmt::format("memory_profiler: {}", failure.what()));
  }
  logger().info("Memory profile written to '{}'", path.string());
}

std::string MemoryProfilerHook::json() const {
  std::vector<RankReport> ranks;
  {
    std::lock_guard lock(state_->mutex);
    ranks = state_->ranks;
  }
  if (ranks.empty()) {
    return json_text(report_json(report()));
  }
  // Every rank's rows with their rank under the keys of a run of one process, the peak over
  // ranks, and each rank's own report.
  Json nodes = Json::array();
  Json after_last_use = Json::array();
  Json pending_write = Json::array();
  Json tee = Json::array();
  Json per_rank = Json::array();
  for (const auto& [rank, profile] : ranks) {
    for (const auto& row : profile.nodes) {
      Json item = {{"rank", rank}};
      item.update(node_json(row));
      nodes.push_back(std::move(item));
    }
    for (const auto& held : profile.held_after_last_use) {
      Json item = {{"rank", rank}};
      item.update(held_after_use_json(held));
      after_last_use.push_back(std::move(item));
    }
    for (const auto& held : profile.held_for_pending_write) {
      Json item = {{"rank", rank}};
      item.update(held_for_write_json(held));
      pending_write.push_back(std::move(item));
    }
    for (const auto& decision : profile.tee_decisions) {
      Json item = {{"rank", rank}};
      item.update(tee_decision_json(decision));
      tee.push_back(std::move(item));
    }
    Json own = {{"rank", rank}};
    own.update(report_json(profile));
    per_rank.push_back(std::move(own));
  }
  const RunPeak peak = peak_over(ranks);
  return json_text({{"nodes", std::move(nodes)},
                    {"peak",
                     {{"held_bytes", peak.held_bytes},
                      {"node", peak.held_node},
                      {"rank", peak.held_rank},
                      {"rss", peak.rss},
                      {"rss_node", peak.rss_node},
                      {"rss_rank", peak.rss_rank}}},
                    {"held_after_last_use", std::move(after_last_use)},
                    {"held_for_pending_write", std::move(pending_write)},
                    {"tee_decisions", std::move(tee)},
                    {"ranks", std::move(per_rank)}});
}

}  // namespace sluice
