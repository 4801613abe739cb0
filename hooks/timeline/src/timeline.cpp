#include <cmath>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

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
  std::thread::id runner_thread;
  std::map<std::thread::id, int> threads;
  std::map<int, std::string> thread_names;
  // Spans begun by an event and not yet ended, per thread and key ("node:x", "load:y").
  std::map<std::pair<int, std::string>, Span> open;
  std::vector<Span> spans;
  std::size_t written = 0;  // spans in the last file
  std::string run_id;
  std::string pipeline;
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

  void begin(std::string_view category, const std::string& key, std::string name, Args args) {
    std::lock_guard lock(mutex);
    const int track = thread(category);
    open[{track, key}] =
        Span{std::string(category), std::move(name), Clock::now(), {}, track, std::move(args)};
  }

  void end(const std::string& key, Args more) {
    const auto now = Clock::now();
    std::lock_guard lock(mutex);
    const auto at = open.find({thread(""), key});
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
    const int track = thread("");
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
    late = state_->written > 0 && state_->spans.size() > state_->written;
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
  return {Event::after_catalog_created, Event::before_rank_run,       Event::after_pipeline_run,
          Event::on_pipeline_error,     Event::before_node_run,       Event::after_node_run,
          Event::on_node_error,         Event::before_dataset_loaded, Event::after_dataset_loaded,
          Event::before_dataset_saved,  Event::after_dataset_saved};
}

void TimelineHook::after_catalog_created(Catalog& catalog) {
  auto trace = trace_of(catalog);
  if (trace_ && trace_ != trace) {
    trace_->remove(state_.get());
  }
  trace_ = std::move(trace);
}

void TimelineHook::before_rank_run(const RunInfo& run, const Pipeline&, const CatalogView&) {
  {
    std::lock_guard lock(state_->mutex);
    state_->origin = Clock::now();
    state_->runner_thread = std::this_thread::get_id();
    state_->threads.clear();
    state_->thread_names.clear();
    state_->open.clear();
    state_->spans.clear();
    state_->written = 0;
    state_->run_id = run.run_id;
    state_->pipeline = run.pipeline_name;
    state_->path = project_path(run, options_.path);
  }
  if (trace_) {
    trace_->add(state_);
  }
}

void TimelineHook::after_pipeline_run(const RunInfo&, const Pipeline&, const CatalogView&) {
  write();
}

void TimelineHook::on_pipeline_error(const RunInfo&, const Pipeline&, const CatalogView&,
                                     const std::exception& error) {
  state_->fail_open(error.what());
  write();
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

std::string TimelineHook::json() const {
  std::lock_guard lock(state_->mutex);
  // Microseconds since the run started, to the nanosecond.
  auto micros = [&](Clock::time_point at) {
    return std::round(std::chrono::duration<double, std::micro>(at - state_->origin).count() *
                      1000) /
           1000;
  };
  const int pid = static_cast<int>(::getpid());
  Json events = Json::array();
  events.push_back({{"name", "process_name"},
                    {"ph", "M"},
                    {"pid", pid},
                    {"args", {{"name", fmt::format("sluice run {}", state_->pipeline)}}}});
  for (const auto& [track, name] : state_->thread_names) {
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", pid},
                      {"tid", track},
                      {"args", {{"name", name}}}});
  }
  for (const auto& span : state_->spans) {
    Json args = Json::object();
    for (const auto& [key, value] : span.args) {
      args[key] = value;
    }
    events.push_back({{"name", span.name},
                      {"cat", span.category},
                      {"ph", "X"},
                      {"ts", micros(span.start)},
                      {"dur", std::max(0.0, micros(span.end) - micros(span.start))},
                      {"pid", pid},
                      {"tid", span.thread},
                      {"args", std::move(args)}});
  }
  return json_text({{"displayTimeUnit", "ms"},
                    {"otherData", {{"run_id", state_->run_id}, {"pipeline", state_->pipeline}}},
                    {"traceEvents", std::move(events)}});
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
  {
    std::lock_guard lock(state_->mutex);
    state_->written = state_->spans.size();
    spans = state_->written;
  }
  logger().info("Timeline of {} spans written to '{}' (open it in https://ui.perfetto.dev)", spans,
                path.string());
}

}  // namespace sluice
