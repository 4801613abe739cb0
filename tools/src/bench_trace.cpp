#include "bench_trace.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <vector>

#include <fmt/format.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/error.hpp>

namespace sluice::cli {
namespace {

constexpr std::string_view kTraceHow =
    "trace a whole run of the pipeline: `sluice run --hooks timeline` writes timeline.json";

std::string arg(const TracedSpan& span, const std::string& key) {
  const auto at = span.args.find(key);
  return at != span.args.end() ? at->second : std::string();
}

std::uint64_t bytes_of(const TracedSpan& span) {
  const std::string text = arg(span, "bytes");
  std::uint64_t bytes = 0;
  std::from_chars(text.data(), text.data() + text.size(), bytes);
  return bytes;
}

double seconds_of(const TracedSpan& span) {
  return std::max(0.0, span.end_ms - span.start_ms) / 1000;
}

// How the traced run's catalog held a dataset.
struct Held {
  bool persisted = true;
  bool tee = false;
  bool cached = false;
};

// Whether two loads of one node overlap: its loads ran at once (`--async`).
bool loads_overlap(const std::vector<const TracedSpan*>& loads) {
  std::map<std::string, std::vector<std::pair<double, double>>> by_node;
  for (const TracedSpan* span : loads) {
    by_node[arg(*span, "node")].emplace_back(span->start_ms, span->end_ms);
  }
  for (auto& [node, spans] : by_node) {
    std::sort(spans.begin(), spans.end());
    for (std::size_t i = 1; i < spans.size(); ++i) {
      // A little overlap is clock granularity; half of the shorter one is real.
      const double overlap = spans[i - 1].second - spans[i].first;
      const double shorter =
          std::min(spans[i - 1].second - spans[i - 1].first, spans[i].second - spans[i].first);
      if (overlap > 0 && overlap >= shorter / 2 && shorter > 0) {
        return true;
      }
    }
  }
  return false;
}

}  // namespace

bench::ObservedRun observe_trace(const Trace& trace, const std::string& source) {
  bench::ObservedRun run;
  run.source = source;
  run.wall_s = trace.end_ms / 1000;
  std::vector<const TracedSpan*> loads, saves, writes;
  std::map<std::string, double> ended;  // node -> its span's end, the last one kept
  std::set<TrackId> node_tracks;
  for (const TracedSpan& span : trace.spans) {
    if (span.category == "node") {
      if (const std::string error = arg(span, "error"); !error.empty()) {
        throw ConfigError(fmt::format(
            "'{}': node '{}' failed in the traced run ({}); a prediction needs the costs of a run "
            "that finished: fix the node, then {}",
            source, span.name, error, kTraceHow));
      }
      if (const auto at = ended.find(span.name); at == ended.end() || span.end_ms >= at->second) {
        ended[span.name] = span.end_ms;
        run.compute[span.name] = seconds_of(span);
      }
      node_tracks.insert(span.track);
    } else if (Catalog::is_parameter(arg(span, "dataset"))) {
      continue;  // parameters are in memory, whatever the catalog says of them
    } else if (span.category == "load") {
      loads.push_back(&span);
    } else if (span.category == "save") {
      saves.push_back(&span);
    } else if (span.category == "tee" && span.name.starts_with("write ")) {
      writes.push_back(&span);
    }
  }
  if (run.compute.empty()) {
    throw ConfigError(fmt::format("'{}' has no node spans, so it tells no node's compute; {}",
                                  source, kTraceHow));
  }
  for (const auto* span : loads) {
    run.bytes[arg(*span, "dataset")] = bytes_of(*span);
  }
  for (const auto* spans : {&saves, &writes}) {
    for (const auto* span : *spans) {
      run.bytes[arg(*span, "dataset")] = bytes_of(*span);
    }
  }
  // What the run's catalog made of each dataset; an older trace does not say: every dataset is
  // taken as on storage, and as the tee's where the tee wrote it.
  std::set<std::string> tee_written;
  for (const auto* span : writes) {
    tee_written.insert(arg(*span, "dataset"));
  }
  std::set<std::string> produced;
  for (const auto* span : saves) {
    produced.insert(arg(*span, "dataset"));
  }
  auto held = [&](const std::string& dataset) {
    Held how;
    if (trace.datasets.empty()) {
      how.tee = tee_written.contains(dataset);
      return how;
    }
    const auto at = trace.datasets.find(dataset);
    if (at == trace.datasets.end()) {
      how.persisted = false;
      return how;
    }
    how.persisted = !at->second.ephemeral;
    how.tee = at->second.type.find("(via tee)") != std::string::npos;
    how.cached = at->second.type.find("(cached)") != std::string::npos;
    return how;
  };
  std::sort(loads.begin(), loads.end(),
            [](const TracedSpan* a, const TracedSpan* b) { return a->start_ms < b->start_ms; });
  std::set<std::string> read_once;  // read by the tee or the cache: later loads are from memory
  for (const auto* span : loads) {
    const std::string dataset = arg(*span, "dataset");
    const Held how = held(dataset);
    if (!how.persisted || ((how.tee || how.cached) && produced.contains(dataset))) {
      continue;
    }
    if ((how.tee || how.cached) && !read_once.insert(dataset).second) {
      continue;
    }
    run.operations.push_back({dataset, false, seconds_of(*span), bytes_of(*span)});
  }
  for (const auto* span : saves) {
    const std::string dataset = arg(*span, "dataset");
    const Held how = held(dataset);
    if (how.persisted && !how.tee) {
      run.operations.push_back({dataset, true, seconds_of(*span), bytes_of(*span)});
    }
  }
  for (const auto* span : writes) {
    const std::string dataset = arg(*span, "dataset");
    if (held(dataset).persisted) {
      run.operations.push_back({dataset, true, seconds_of(*span), bytes_of(*span)});
    }
  }

  // The run's strategy, where the trace tells it.
  bench::StrategyModel model;
  std::vector<std::string> parts;
  if (trace.runner == "sequential") {
    parts.emplace_back("runner sequential");
  } else if (trace.runner == "parallel") {
    model.parallel = true;
    model.workers = std::max<std::size_t>(1, node_tracks.size());
    parts.push_back(fmt::format("runner parallel with {} worker{} (the threads that ran nodes)",
                                model.workers, model.workers == 1 ? "" : "s"));
  } else if (trace.runner == "mpi") {
    // Rank 0 schedules; every other rank runs one node at a time (on its runner thread).
    model.mpi = true;
    model.workers =
        std::max<std::size_t>({1, node_tracks.size(), static_cast<std::size_t>(trace.ranks - 1)});
    parts.push_back(fmt::format("runner mpi with {} rank{} running nodes", model.workers,
                                model.workers == 1 ? "" : "s"));
  } else {
    run.described = fmt::format(
        "runner {}, which the predictor does not simulate: the predictions are not calibrated on "
        "the traced run",
        trace.runner.empty()
            ? std::string("unknown (the trace is older than the runner's record in "
                          "otherData)")
            : "'" + trace.runner + "'");
    return run;
  }
  model.async_io = loads_overlap(loads);
  if (model.async_io) {
    parts.emplace_back("loads at once (--async)");
  }
  for (const auto& [name, dataset] : trace.datasets) {
    model.tee = model.tee || dataset.type.find("(via tee)") != std::string::npos;
    model.cache = model.cache || dataset.type.find("(cached)") != std::string::npos;
  }
  model.tee = model.tee || !writes.empty();
  if (model.tee) {
    parts.emplace_back("the tee");
  }
  if (model.cache) {
    parts.emplace_back("the cache");
  }
  run.model = model;
  run.described = fmt::format("{}", fmt::join(parts, ", "));
  return run;
}

}  // namespace sluice::cli
