#include <cmath>
#include <map>
#include <mutex>
#include <thread>
#include <tuple>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <sluice/core/catalog_view.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/node.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/core/trace.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/core/util/json.hpp>
#include <sluice/hooks/timeline.hpp>

namespace sluice {

using Clock = std::chrono::steady_clock;

// The recorded spans, and the sink that the tee's writer threads report to.
struct TimelineHook::State final : TraceSink {
  struct Span {
    std::string category;
    std::string name;
    Clock::time_point start;
    Clock::time_point end;
    int thread = 0;
    Args args;
  };

  mutable std::mutex mutex;
  Clock::time_point origin = Clock::now();
  std::chrono::system_clock::time_point wall_origin = std::chrono::system_clock::now();
  int ranks = 1;
  bool posted = false;  // this rank's share, in a run of several ranks
  // On rank 0 of a run of several ranks, once they arrived: every rank's share.
  std::vector<std::pair<int, TimelineShare>> shares;
  std::thread::id runner_thread;
  std::map<std::thread::id, int> threads;
  std::map<int, std::string> thread_names;
  // Spans begun by an event and not yet ended, per thread and key ("node:x", "load:y").
  std::map<std::pair<int, std::string>, Span> open;
  std::vector<Span> spans;
  std::size_t written = 0;  // spans in the last file
  std::string run_id;
  std::string pipeline;
  std::string runner;
  // What the run's catalog made of the pipeline's datasets, once every
  // hook had wrapped them: name, description ("BinaryDataset ... (via tee)"), memory only.
  std::vector<std::tuple<std::string, std::string, bool>> datasets;
  std::filesystem::path path;  // the option's path, resolved against the run's project

  // The track of the calling thread; call with mutex held.
  int thread(std::string_view category) {
    const auto id = std::this_thread::get_id();
    auto [at, inserted] = threads.try_emplace(id, static_cast<int>(threads.size()) + 1);
    if (inserted) {
      thread_names[at->second] = id == runner_thread ? "runner"
                                 : category == "tee" ? fmt::format("tee writer {}", at->second)
                                                     : fmt::format("worker {}", at->second);
    }
    return at->second;
  }

  // The calling thread's track if it has one, else 0 (no span began on it); mutex held.
  int known_thread() const {
    const auto at = threads.find(std::this_thread::get_id());
    return at != threads.end() ? at->second : 0;
  }

  void begin(std::string_view category, const std::string& key, std::string name, Args args) {
    std::lock_guard lock(mutex);
    const int track = thread(category);
    open[{track, key}] =
        Span{std::string(category), std::move(name), Clock::now(), {}, track, std::move(args)};
  }

  void end(const std::string& key, Args more) {
    const auto now = Clock::now();
    std::lock_guard lock(mutex);
    const auto at = open.find({known_thread(), key});
    if (at == open.end()) {
      return;
    }
    Span span = std::move(at->second);
    open.erase(at);
    span.end = now;
    span.args.insert(span.args.end(), more.begin(), more.end());
    spans.push_back(std::move(span));
  }

  // Ends every span still open on this thread (a failure ended the work).
  void fail_open(const std::string& error) {
    const auto now = Clock::now();
    std::lock_guard lock(mutex);
    const int track = known_thread();  // a thread without spans gets no track
    for (auto at = open.begin(); at != open.end();) {
      if (at->first.first == track) {
        Span span = std::move(at->second);
        span.end = now;
        span.args.emplace_back("error", error);
        spans.push_back(std::move(span));
        at = open.erase(at);
      } else {
        ++at;
      }
    }
  }

  void record(std::string_view category, std::string_view name, Clock::time_point start,
              Clock::time_point end_time, const Args& args) override {
    std::lock_guard lock(mutex);
    spans.push_back(
        Span{std::string(category), std::string(name), start, end_time, thread(category), args});
  }
};

namespace {

constexpr std::string_view kShareKey = "timeline";

std::int64_t nanos(Clock::duration duration) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(duration).count();
}

// Microseconds from nanoseconds, to the nanosecond.
double micros(std::int64_t ns) {
  return static_cast<double>(ns) / 1000;
}

// This process's spans as a share; call with the state's mutex held.
TimelineShare share_of(const TimelineHook::State& state) {
  TimelineShare share;
  share.wall_origin_ns = nanos(state.wall_origin.time_since_epoch());
  share.pid = static_cast<std::int64_t>(::getpid());
  share.threads = state.thread_names;
  for (const auto& span : state.spans) {
    share.spans.push_back({span.category, span.name, nanos(span.start - state.origin),
                           nanos(span.end - state.origin), span.thread, span.args});
  }
  return share;
}

// The events of `share` as process `pid` named `process`, its times `shift_ns` later.
void add_events(Json& events, std::int64_t pid, const std::string& process,
                const TimelineShare& share, std::int64_t shift_ns) {
  events.push_back(
      {{"name", "process_name"}, {"ph", "M"}, {"pid", pid}, {"args", {{"name", process}}}});
  for (const auto& [track, name] : share.threads) {
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", pid},
                      {"tid", track},
                      {"args", {{"name", name}}}});
  }
  for (const auto& span : share.spans) {
    Json args = Json::object();
    for (const auto& [key, value] : span.args) {
      args[key] = value;
    }
    events.push_back({{"name", span.name},
                      {"cat", span.category},
                      {"ph", "X"},
                      {"ts", micros(shift_ns + span.start_ns)},
                      {"dur", std::max(0.0, micros(span.end_ns) - micros(span.start_ns))},
                      {"pid", pid},
                      {"tid", span.thread},
                      {"args", std::move(args)}});
  }
}

std::string trace_text(const std::string& run_id, const std::string& pipeline, Json events,
                       int ranks, Json more = Json::object()) {
  Json other = {{"run_id", run_id}, {"pipeline", pipeline}};
  if (ranks > 1) {
    other["ranks"] = ranks;
  }
  other.update(more);
  return json_text({{"displayTimeUnit", "ms"},
                    {"otherData", std::move(other)},
                    {"traceEvents", std::move(events)}});
}

std::string bytes_arg(const Value& value) {
  return std::to_string(value.byte_size());
}

std::string node_label(const Node* node) {
  return node != nullptr ? node->name() : std::string("(outside a run)");
}

}  // namespace

TimelineOptions TimelineOptions::parse(const Param& options, const std::string& hook_name) {
  OptionReader reader(options, fmt::format("hook '{}'", hook_name));
  TimelineOptions parsed;
  if (const auto path = reader.optional_string("path")) {
    if (path->empty()) {
      throw ConfigError(reader.where("path") + ": must name a file, e.g. timeline.json");
    }
    parsed.path = *path;
  }
  reader.finish();
  return parsed;
}

TimelineHook::TimelineHook(TimelineOptions options)
    : options_(std::move(options)), state_(std::make_shared<State>()) {
  state_->path = options_.path;
}

TimelineHook::~TimelineHook() {
  // Spans still under way keep the state; from now on none begins with it.
  if (trace_) {
    trace_->remove(state_.get());
  }
  bool late = false;
  {
    std::lock_guard lock(state_->mutex);
    // (In a run of several ranks the file holds the shares the ranks posted.)
    late = state_->ranks == 1 && state_->written > 0 && state_->spans.size() > state_->written;
  }
  if (late) {
    try {
      write();
    } catch (const std::exception& error) {
      logger().error("timeline: {}", error.what());
    }
  }
}

Events TimelineHook::events() const {
  return {Event::after_catalog_created, Event::before_rank_run,      Event::after_rank_run,
          Event::on_rank_error,         Event::after_pipeline_run,   Event::on_pipeline_error,
          Event::before_node_run,       Event::after_node_run,       Event::on_node_error,
          Event::before_dataset_loaded, Event::after_dataset_loaded, Event::before_dataset_saved,
          Event::after_dataset_saved};
}

void TimelineHook::after_catalog_created(Catalog& catalog) {
  auto trace = trace_of(catalog);
  if (trace_ && trace_ != trace) {
    trace_->remove(state_.get());
  }
  trace_ = std::move(trace);
}

void TimelineHook::before_rank_run(const RunInfo& run, const Pipeline& pipeline,
                                   const CatalogView& catalog) {
  std::vector<std::tuple<std::string, std::string, bool>> datasets;
  for (Pipeline::DatasetId id = 0; id < pipeline.dataset_count(); ++id) {
    const std::string& name = pipeline.dataset_name(id);
    if (catalog.contains(name)) {
      datasets.emplace_back(name, catalog.describe(name), catalog.is_ephemeral(name));
    }
  }
  {
    std::lock_guard lock(state_->mutex);
    state_->origin = Clock::now();
    // The same instant on the system clock, which every rank on a machine shares: a run of
    // several ranks lines its ranks up by it.
    state_->wall_origin = std::chrono::system_clock::now();
    state_->ranks = run.ranks;
    state_->posted = false;
    state_->shares.clear();
    state_->runner_thread = std::this_thread::get_id();
    state_->threads.clear();
    state_->thread_names.clear();
    state_->open.clear();
    state_->spans.clear();
    state_->written = 0;
    state_->run_id = run.run_id;
    state_->pipeline = run.pipeline_name;
    state_->runner = run.runner;
    state_->datasets = std::move(datasets);
    state_->path = project_path(run, options_.path);
  }
  if (trace_) {
    trace_->add(state_);
  }
}

void TimelineHook::after_rank_run(const RunInfo& run, const Pipeline&, const CatalogView& catalog) {
  post_share(run, catalog);
}

void TimelineHook::on_rank_error(const RunInfo& run, const Pipeline&, const CatalogView& catalog,
                                 const std::exception& error) {
  state_->fail_open(error.what());
  post_share(run, catalog);
}

void TimelineHook::after_pipeline_run(const RunInfo& run, const Pipeline&, const CatalogView&) {
  take_shares(run);
  write();
}

void TimelineHook::on_pipeline_error(const RunInfo& run, const Pipeline&, const CatalogView&,
                                     const std::exception& error) {
  state_->fail_open(error.what());
  take_shares(run);
  write();
}

void TimelineHook::post_share(const RunInfo& run, const CatalogView& catalog) {
  if (run.ranks <= 1 || run.mail == nullptr) {
    return;  // one process: the file is written from its own spans
  }
  {
    std::lock_guard lock(state_->mutex);
    if (state_->posted) {
      return;  // on_rank_error after a failed after_rank_run
    }
    state_->posted = true;
  }
  // The writes still pending on this rank (the tee's, joined by its own after_rank_run, which
  // may come after this hook's) end before the share goes: their spans are in it.
  for (const auto& name : catalog.names()) {
    if (catalog.contains(name) && catalog.write_pending(name)) {
      catalog.wait_for_writes(name);
    }
  }
  std::string bytes;
  {
    std::lock_guard lock(state_->mutex);
    bytes = share_of(*state_).encode();
  }
  run.mail->post(kShareKey, std::move(bytes));
}

void TimelineHook::take_shares(const RunInfo& run) {
  if (run.ranks <= 1 || run.mail == nullptr) {
    return;
  }
  std::vector<std::pair<int, TimelineShare>> shares;
  for (const auto& [rank, bytes] : run.mail->received(kShareKey)) {
    shares.emplace_back(rank, TimelineShare::decode(bytes, rank));
  }
  std::lock_guard lock(state_->mutex);
  state_->shares = std::move(shares);
}

void TimelineHook::before_node_run(const Node& node, const CatalogView&, std::vector<Value>&) {
  state_->begin("node", "node:" + node.name(), node.name(),
                {{"inputs", fmt::format("{}", fmt::join(node.inputs(), ", "))},
                 {"outputs", fmt::format("{}", fmt::join(node.outputs(), ", "))}});
}

void TimelineHook::after_node_run(const Node& node, const CatalogView&, const std::vector<Value>&,
                                  const std::vector<Value>& outputs) {
  std::uint64_t bytes = 0;
  for (const Value& output : outputs) {
    bytes += output.byte_size();
  }
  state_->end("node:" + node.name(), {{"output_bytes", std::to_string(bytes)}});
}

void TimelineHook::on_node_error(const Node&, const CatalogView&, const std::exception& error,
                                 NodePhase) {
  state_->fail_open(error.what());
}

void TimelineHook::before_dataset_loaded(std::string_view dataset, const Node* node) {
  state_->begin("load", fmt::format("load:{}", dataset), fmt::format("load {}", dataset),
                {{"dataset", std::string(dataset)}, {"node", node_label(node)}});
}

void TimelineHook::after_dataset_loaded(std::string_view dataset, const Node*, const Value& value) {
  state_->end(fmt::format("load:{}", dataset), {{"bytes", bytes_arg(value)}});
}

void TimelineHook::before_dataset_saved(std::string_view dataset, const Node* node,
                                        const Value& value) {
  state_->begin(
      "save", fmt::format("save:{}", dataset), fmt::format("save {}", dataset),
      {{"dataset", std::string(dataset)}, {"node", node_label(node)}, {"bytes", bytes_arg(value)}});
}

void TimelineHook::after_dataset_saved(std::string_view dataset, const Node*, const Value&) {
  state_->end(fmt::format("save:{}", dataset), {});
}

std::string TimelineShare::encode() const {
  Json threads_json = Json::object();
  for (const auto& [track, name] : threads) {
    threads_json[std::to_string(track)] = name;
  }
  Json spans_json = Json::array();
  for (const auto& span : spans) {
    Json args = Json::array();
    for (const auto& [key, value] : span.args) {
      args.push_back({key, value});
    }
    spans_json.push_back(
        {span.category, span.name, span.start_ns, span.end_ns, span.thread, std::move(args)});
  }
  return Json{{"wall_origin_ns", wall_origin_ns},
              {"pid", pid},
              {"threads", std::move(threads_json)},
              {"spans", std::move(spans_json)}}
      .dump();
}

TimelineShare TimelineShare::decode(std::string_view bytes, int rank) {
  const std::string source = fmt::format("the timeline of rank {}", rank);
  try {
    const Json json = parse_json(bytes, source, "run every rank with the same sluice build");
    TimelineShare share;
    share.wall_origin_ns = json.at("wall_origin_ns").get<std::int64_t>();
    share.pid = json.at("pid").get<std::int64_t>();
    for (const auto& [track, name] : json.at("threads").items()) {
      share.threads[std::stoi(track)] = name.get<std::string>();
    }
    for (const Json& span : json.at("spans")) {
      Span read{span.at(0).get<std::string>(),  span.at(1).get<std::string>(),
                span.at(2).get<std::int64_t>(), span.at(3).get<std::int64_t>(),
                span.at(4).get<int>(),          {}};
      for (const Json& arg : span.at(5)) {
        read.args.emplace_back(arg.at(0).get<std::string>(), arg.at(1).get<std::string>());
      }
      share.spans.push_back(std::move(read));
    }
    return share;
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& error) {
    throw Error(
        fmt::format("timeline: {} is not a timeline share ({}); run every rank with "
                    "the same sluice build",
                    source, error.what()));
  }
}

namespace {

// ranks_trace_json, with `more` in otherData.
std::string ranks_trace(const std::string& run_id, const std::string& pipeline,
                        const std::vector<std::pair<int, TimelineShare>>& shares, Json more) {
  std::int64_t earliest = 0;
  for (std::size_t i = 0; i < shares.size(); ++i) {
    earliest = i == 0 ? shares[i].second.wall_origin_ns
                      : std::min(earliest, shares[i].second.wall_origin_ns);
  }
  Json events = Json::array();
  int ranks = 0;
  for (const auto& [rank, share] : shares) {
    events.push_back({{"name", "process_sort_index"},
                      {"ph", "M"},
                      {"pid", rank},
                      {"args", {{"sort_index", rank}}}});
    add_events(events, rank, fmt::format("rank {}", rank), share, share.wall_origin_ns - earliest);
    ranks = std::max(ranks, rank + 1);
  }
  return trace_text(run_id, pipeline, std::move(events), ranks, std::move(more));
}

}  // namespace

std::string ranks_trace_json(const std::string& run_id, const std::string& pipeline,
                             const std::vector<std::pair<int, TimelineShare>>& shares) {
  return ranks_trace(run_id, pipeline, shares, Json::object());
}

std::string TimelineHook::json() const {
  std::lock_guard lock(state_->mutex);
  // What `sluice bench --from-trace` needs to read the spans: the runner, and which loads and
  // saves the catalog's wrappers (tee, cache) served from memory (under --runner mpi, as rank 0
  // has them: every rank attaches the same hooks).
  Json datasets = Json::object();
  for (const auto& [name, description, ephemeral] : state_->datasets) {
    datasets[name] = {{"type", description}, {"ephemeral", ephemeral}};
  }
  Json run = {{"runner", state_->runner}, {"datasets", std::move(datasets)}};
  if (state_->ranks > 1 && !state_->shares.empty()) {
    return ranks_trace(state_->run_id, state_->pipeline, state_->shares, std::move(run));
  }
  Json events = Json::array();
  add_events(events, static_cast<int>(::getpid()), fmt::format("sluice run {}", state_->pipeline),
             share_of(*state_), 0);
  return trace_text(state_->run_id, state_->pipeline, std::move(events), 1, std::move(run));
}

void TimelineHook::write() const {
  const std::string text = json();
  std::filesystem::path path;
  {
    std::lock_guard lock(state_->mutex);
    path = state_->path;
  }
  write_file_atomically(path, text);
  std::size_t spans = 0;
  std::string where;
  {
    std::lock_guard lock(state_->mutex);
    state_->written = state_->spans.size();
    spans = state_->written;
    if (state_->ranks > 1 && !state_->shares.empty()) {
      spans = 0;
      for (const auto& [rank, share] : state_->shares) {
        spans += share.spans.size();
      }
      where = fmt::format(" of {} ranks", state_->shares.size());
    }
  }
  logger().info("Timeline of {} spans{} written to '{}' (open it in https://ui.perfetto.dev)",
                spans, where, path.string());
}

}  // namespace sluice
