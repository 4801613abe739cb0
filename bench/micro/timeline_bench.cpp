// `sluice timeline` reads a trace and sums the busy time per thread: linear in the spans, and
// a 100k-span trace (about 20 MB) in well under a second. The same trace through the YAML reader
// sluice used before, for comparison (smaller: it takes seconds).
//
//   build/release/bin/timeline_bench --benchmark_counters_tabular=true

#include <string>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <sluice/core/config_loader.hpp>
#include <sluice/core/util/json.hpp>
#include <sluice/hooks/timeline_trace.hpp>

namespace {

// A trace as the timeline hook writes it: N spans of nodes, loads, saves and background
// writes on 4 threads, each with its dataset, node and size as arguments.
std::string trace_text(std::int64_t spans) {
  const char* const categories[] = {"node", "load", "save", "tee"};
  sluice::Json events = sluice::Json::array();
  events.push_back(
      {{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", "sluice run"}}}});
  for (int thread = 1; thread <= 4; ++thread) {
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", 1},
                      {"tid", thread},
                      {"args", {{"name", fmt::format("thread {}", thread)}}}});
  }
  for (std::int64_t i = 0; i < spans; ++i) {
    const std::string dataset = fmt::format("dataset_{}", i % 1000);
    events.push_back({{"name", fmt::format("{} {}", categories[i % 4], dataset)},
                      {"cat", categories[i % 4]},
                      {"ph", "X"},
                      {"ts", static_cast<double>(i) * 10.125},
                      {"dur", 9.5},
                      {"pid", 1},
                      {"tid", 1 + i % 4},
                      {"args",
                       {{"dataset", dataset},
                        {"node", fmt::format("node_{}", i % 500)},
                        {"bytes", std::to_string(i * 64)}}}});
  }
  return sluice::json_text({{"displayTimeUnit", "ms"},
                            {"otherData", {{"run_id", "bench"}, {"pipeline", "__default__"}}},
                            {"traceEvents", std::move(events)}});
}

void report_per_span(benchmark::State& state, std::size_t bytes) {
  state.counters["per_span"] = benchmark::Counter(
      static_cast<double>(state.range(0)),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["MB"] = static_cast<double>(bytes) / 1e6;
}

// What `sluice timeline <trace>` does before plotting: read the spans, then summarise them.
void BM_TimelineReadAndSummary(benchmark::State& state) {
  const std::string text = trace_text(state.range(0));
  for (auto _ : state) {
    const sluice::Trace trace = sluice::parse_trace(text, "timeline.json");
    benchmark::DoNotOptimize(sluice::trace_summary(trace, "timeline.json"));
  }
  report_per_span(state, text.size());
}
BENCHMARK(BM_TimelineReadAndSummary)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);

// The same trace read into a Param tree by the YAML reader (YAML 1.2 reads JSON).
void BM_TraceThroughYaml(benchmark::State& state) {
  const std::string text = trace_text(state.range(0));
  for (auto _ : state) {
    benchmark::DoNotOptimize(sluice::parse_yaml(text, "timeline.json"));
  }
  report_per_span(state, text.size());
}
BENCHMARK(BM_TraceThroughYaml)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond);

}  // namespace
