#include <algorithm>
#include <functional>
#include <queue>
#include <string>
#include <utility>

#include <fmt/format.h>

#include <sluice/bench/predict.hpp>
#include <sluice/core/error.hpp>

namespace sluice::bench {

namespace {

bool option_flag(const Param& options, std::string_view key) {
  const Param* value = options.is_map() ? options.find(key) : nullptr;
  return value != nullptr && value->as_bool();
}

// The tee's max_writers (or its older name, writers) as hooks.yml sets it; 256 by default, as
// TeeOptions has it.
std::size_t tee_writers(const HookSpec& hook) {
  for (const char* key : {"max_writers", "writers"}) {
    const Param* value = hook.options.is_map() ? hook.options.find(key) : nullptr;
    if (value != nullptr) {
      return static_cast<std::size_t>(std::max<std::int64_t>(1, value->as_int()));
    }
  }
  return 256;
}

}  // namespace

StrategyModel model_of(const Strategy& strategy) {
  StrategyModel model;
  if (strategy.runner == "sequential") {
    model.workers = 1;
  } else if (strategy.runner == "parallel") {
    model.parallel = true;
    model.workers = std::max<std::size_t>(1, strategy.workers);
  } else {
    throw ConfigError(fmt::format(
        "cannot predict strategy '{}': its runner '{}' is not one the predictor simulates "
        "(sequential, parallel); measure it with `sluice bench` instead",
        strategy.name, strategy.runner));
  }
  model.async_io = option_flag(strategy.runner_options, "async_io");
  model.persist = strategy.persist;
  for (const HookSpec& hook : strategy.hooks) {
    if (hook.name == "cache") {
      model.cache = true;
    } else if (hook.name == "tee") {
      model.tee = true;
      model.tee_writers = tee_writers(hook);
    } else if (hook.name != "timeline" && hook.name != "memory_profiler" &&
               hook.name != "debug_catalog") {
      throw ConfigError(fmt::format(
          "cannot predict strategy '{}': its hook '{}' is not one the predictor simulates "
          "(cache, tee, and the observers timeline, memory_profiler and debug_catalog, which "
          "take no time); measure it with `sluice bench` instead",
          strategy.name, hook.name));
    }
  }
  return model;
}

Predictor::Predictor(const Pipeline& pipeline, const BoundInputs& costs)
    : plan_(pipeline),
      compute_(pipeline.size(), 0.0),
      bytes_(pipeline.dataset_count(), 0),
      persisted_(pipeline.dataset_count(), 0),
      produced_(pipeline.dataset_count(), 0),
      producers_(pipeline.size(), 0) {
  for (std::size_t node = 0; node < pipeline.size(); ++node) {
    if (const auto it = costs.compute.find(pipeline.nodes()[node].name());
        it != costs.compute.end()) {
      compute_[node] = it->second;
    }
    for (const Plan::DatasetId id : pipeline.output_ids(node)) {
      produced_[id] = 1;
    }
  }
  for (Plan::DatasetId id = 0; id < pipeline.dataset_count(); ++id) {
    const std::string& name = pipeline.dataset_name(id);
    if (const auto it = costs.bytes.find(name); it != costs.bytes.end()) {
      bytes_[id] = it->second;
    }
    persisted_[id] = costs.persisted && costs.persisted(name) ? 1 : 0;
  }
  for (std::size_t node = 0; node < pipeline.size(); ++node) {
    for (const Plan::DatasetId id : plan_.inputs_of(node)) {
      producers_[node] += produced_[id];
    }
  }
}

namespace {

// One prediction's state: the clock is the simulated run's, in seconds.
class Simulation {
 public:
  Simulation(const Plan& plan, const std::vector<double>& compute,
             const std::vector<std::uint64_t>& bytes, const std::vector<std::uint8_t>& persisted,
             const std::vector<std::uint8_t>& produced, const StrategyModel& strategy,
             const StorageTimes& storage)
      : plan_(plan),
        compute_(compute),
        bytes_(bytes),
        produced_(produced),
        strategy_(strategy),
        storage_(storage),
        on_storage_(persisted.size()),
        in_memory_(persisted.size(), 0),
        read_ends_(persisted.size(), -1.0) {
    for (std::size_t id = 0; id < persisted.size(); ++id) {
      // Without persistence only the free inputs stay on storage (they are read from it).
      on_storage_[id] = persisted[id] != 0 && (strategy.persist || produced[id] == 0) ? 1 : 0;
    }
  }

  // Runs `node` from `start`; returns when it ends on its worker.
  double run(std::size_t node, double start) {
    double now = start;
    double loads_end = start;
    for (const Plan::DatasetId id : plan_.pipeline().input_ids(node)) {
      const double ready = load(id, strategy_.async_io ? start : now);
      loads_end = std::max(loads_end, ready);
      if (!strategy_.async_io) {
        now = ready;
      }
    }
    now = loads_end + compute_[node] + storage_.overhead;
    double saves_end = now;
    const double computed = now;
    for (const Plan::DatasetId id : plan_.pipeline().output_ids(node)) {
      const double saved = save(id, strategy_.async_io ? computed : now);
      saves_end = std::max(saves_end, saved);
      if (!strategy_.async_io) {
        now = saved;
      }
    }
    return saves_end;
  }

  double last_write() const { return last_write_; }
  std::uint64_t reads() const { return reads_; }
  std::uint64_t writes() const { return writes_; }

 private:
  double transfer(Plan::DatasetId id) const {
    return storage_.bandwidth > 0 ? static_cast<double>(bytes_[id]) / storage_.bandwidth : 0.0;
  }

  // When dataset `id`, loaded from `at`, is in the node's hands.
  double load(Plan::DatasetId id, double at) {
    if (on_storage_[id] == 0) {
      return at;  // a memory dataset
    }
    if (strategy_.tee) {
      if (produced_[id] != 0) {
        return at;  // the tee hands the saved value over in memory
      }
      // A free input is read once: later readers wait for that read, then take its value.
      if (read_ends_[id] < 0) {
        ++reads_;
        read_ends_[id] = at + storage_.read_latency + transfer(id) + storage_.overhead;
      }
      return std::max(at, read_ends_[id]);
    }
    if (strategy_.cache && in_memory_[id] != 0) {
      return at;
    }
    ++reads_;
    if (strategy_.cache) {
      in_memory_[id] = 1;  // the first load keeps the value too
    }
    return at + storage_.read_latency + transfer(id) + storage_.overhead;
  }

  // When the node's save of dataset `id`, from `at`, returns.
  double save(Plan::DatasetId id, double at) {
    if (on_storage_[id] == 0) {
      return at;
    }
    ++writes_;
    const double takes = storage_.write_latency + transfer(id) + storage_.overhead;
    if (strategy_.tee) {
      // A writer of the pool takes it once free (writers_ holds when busy ones are free).
      double begins = at;
      if (writers_.size() >= strategy_.tee_writers) {
        begins = std::max(at, writers_.top());
        writers_.pop();
      }
      const double ends = begins + takes;
      writers_.push(ends);
      last_write_ = std::max(last_write_, ends);
      return at;
    }
    if (strategy_.cache) {
      in_memory_[id] = 1;
    }
    return at + takes;
  }

  const Plan& plan_;
  const std::vector<double>& compute_;
  const std::vector<std::uint64_t>& bytes_;
  const std::vector<std::uint8_t>& produced_;
  const StrategyModel& strategy_;
  const StorageTimes& storage_;
  std::vector<std::uint8_t> on_storage_;
  std::vector<std::uint8_t> in_memory_;  // the cache holds it
  std::vector<double> read_ends_;        // the tee's read of a free input: when it ends
  std::priority_queue<double, std::vector<double>, std::greater<>> writers_;
  double last_write_ = 0;
  std::uint64_t reads_ = 0;
  std::uint64_t writes_ = 0;
};

}  // namespace

Prediction Predictor::predict(const StrategyModel& strategy, const StorageTimes& storage) const {
  Simulation simulation(plan_, compute_, bytes_, persisted_, produced_, strategy, storage);
  const std::size_t n = plan_.node_count();
  // The ready nodes, best first: the parallel runner's priority (most nodes to a sink, then
  // the lower index), or the plan's order (also the parallel runner's with one worker).
  const bool by_path = strategy.parallel && strategy.workers > 1;
  const auto priority = [&](std::size_t node) -> std::uint64_t {
    const std::uint64_t index_rank = 0xFFFFFFFFU - static_cast<std::uint64_t>(node);
    return by_path ? (std::uint64_t{plan_.path_nodes(node)} << 32U) | index_rank : index_rank;
  };
  std::priority_queue<std::pair<std::uint64_t, std::size_t>> ready;
  std::vector<std::uint32_t> waiting = producers_;
  for (std::size_t node = 0; node < n; ++node) {
    if (waiting[node] == 0) {
      ready.emplace(priority(node), node);
    }
  }
  using Running = std::pair<double, std::size_t>;  // when it ends, node
  std::priority_queue<Running, std::vector<Running>, std::greater<>> running;
  const std::size_t workers = std::max<std::size_t>(1, strategy.workers);
  double now = 0;
  while (!ready.empty() || !running.empty()) {
    while (running.size() < workers && !ready.empty()) {
      const std::size_t node = ready.top().second;
      ready.pop();
      running.emplace(simulation.run(node, now), node);
    }
    const auto [ends, node] = running.top();
    running.pop();
    now = ends;
    for (const Plan::DatasetId id : plan_.outputs_of(node)) {
      for (const std::uint32_t consumer : plan_.pipeline().consumers_of(id)) {
        if (--waiting[consumer] == 0) {
          ready.emplace(priority(consumer), consumer);
        }
      }
    }
  }
  return {.seconds = std::max(now, simulation.last_write()),
          .reads = simulation.reads(),
          .writes = simulation.writes()};
}

StorageTimes Predictor::calibrate(const StrategyModel& strategy, StorageTimes storage,
                                  double measured_seconds) const {
  storage.overhead = 0;
  const Prediction ideal = predict(strategy, storage);
  // Each operation and node on the run's path adds the overhead once; for the sequential
  // runner (one operation at a time) that is every one of them.
  const auto operations = static_cast<double>(ideal.reads + ideal.writes + plan_.node_count());
  if (measured_seconds > ideal.seconds && operations > 0) {
    storage.overhead = (measured_seconds - ideal.seconds) / operations;
  }
  return storage;
}

}  // namespace sluice::bench
