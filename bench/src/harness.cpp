#include <algorithm>
#include <cmath>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/bench/harness.hpp>
#include <sluice/bench/lower_bound.hpp>
#include <sluice/bench/predict.hpp>
#include <sluice/core/datasets/binary_dataset.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/node.hpp>
#include <sluice/runners/runner.hpp>

namespace sluice::bench {
namespace {

using Seconds = std::chrono::duration<double>;

double seconds(Clock::duration duration) {
  return Seconds(duration).count();
}

// What the reference runs saw: per node, compute on the clock (simulated) and in real time;
// per dataset, its size.
class Probe final : public Hook {
 public:
  explicit Probe(const Clock& clock) : clock_(clock) {}
  Events events() const override {
    return {Event::before_node_run, Event::after_node_run, Event::after_dataset_loaded,
            Event::after_dataset_saved};
  }
  void before_node_run(const Node& node, const CatalogView&, std::vector<Value>&) override {
    std::lock_guard lock(mutex_);
    started_[node.name()] = {clock_.now(), std::chrono::steady_clock::now()};
  }
  void after_node_run(const Node& node, const CatalogView&, const std::vector<Value>&,
                      const std::vector<Value>&) override {
    const auto real_end = std::chrono::steady_clock::now();
    const auto clock_end = clock_.now();
    std::lock_guard lock(mutex_);
    const auto& [clock_start, real_start] = started_[node.name()];
    simulated[node.name()] = seconds(clock_end - clock_start);
    real[node.name()] = Seconds(real_end - real_start).count();
  }
  void after_dataset_loaded(std::string_view dataset, const Node*, const Value& value) override {
    record(dataset, value);
  }
  void after_dataset_saved(std::string_view dataset, const Node*, const Value& value) override {
    record(dataset, value);
  }

  std::map<std::string, double> simulated, real;
  std::map<std::string, std::uint64_t> bytes;

 private:
  void record(std::string_view dataset, const Value& value) {
    std::lock_guard lock(mutex_);
    bytes[std::string(dataset)] = value.byte_size();
  }

  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, std::pair<Clock::duration, std::chrono::steady_clock::time_point>> started_;
};

// The most bytes the catalog's datasets held in memory at once (each value counted once),
// sampled whenever a value enters a dataset (a save, or a load a cache keeps). What a dataset
// holds changes with its own events, except that a tee keeps a released value until its
// background write finishes and drops a kept one when its budget needs room: released datasets
// and those the tee holds are looked at again on every sample until they are empty. So a
// sample costs one dataset plus what the tee holds, not the whole catalog.
class MemoryMeter final : public Hook {
 public:
  explicit MemoryMeter(const Catalog& catalog) : catalog_(catalog) {}
  Events events() const override {
    return {Event::after_dataset_loaded, Event::after_dataset_saved, Event::on_dataset_released};
  }
  void after_dataset_loaded(std::string_view dataset, const Node*, const Value&) override {
    sample(dataset, false);
  }
  void after_dataset_saved(std::string_view dataset, const Node*, const Value&) override {
    sample(dataset, false);
  }
  void on_dataset_released(std::string_view dataset) override { sample(dataset, true); }
  std::uint64_t peak() const {
    std::lock_guard lock(mutex_);
    return peak_;
  }

 private:
  struct Held {
    std::shared_ptr<Dataset> dataset;
    std::vector<Value> values;
    bool tee = false;  // behind the tee
  };
  struct Counted {
    std::uint64_t bytes = 0;
    std::size_t holders = 0;
  };

  void sample(std::string_view name, bool released) {
    std::lock_guard lock(mutex_);
    auto at = held_.find(name);
    if (at == held_.end()) {
      auto dataset = catalog_.find(name);
      const bool tee = dataset && dataset->dataset_type().ends_with(" (via tee)");
      at = held_.emplace(std::string(name), Held{std::move(dataset), {}, tee}).first;
    }
    refresh(at->second);
    // A tee may also let a value go with no event of its dataset (its budget spills it).
    if (released || (at->second.tee && !at->second.values.empty())) {
      pending_.insert(at->first);
    } else {
      pending_.erase(at->first);
    }
    for (auto it = pending_.begin(); it != pending_.end();) {
      Held& pending = held_.at(*it);
      refresh(pending);
      it = pending.values.empty() ? pending_.erase(it) : std::next(it);
    }
    peak_ = std::max(peak_, total_);
  }

  // Replaces what `held` was known to hold by what it holds now.
  void refresh(Held& held) {
    for (const Value& value : held.values) {
      auto counted = counted_.find(value.raw());
      if (--counted->second.holders == 0) {
        total_ -= counted->second.bytes;
        counted_.erase(counted);
      }
    }
    held.values.clear();
    if (held.dataset) {
      held.dataset->held_values(held.values);
    }
    for (const Value& value : held.values) {
      auto [counted, inserted] = counted_.try_emplace(value.raw());
      if (inserted) {
        counted->second.bytes = value.byte_size();
        total_ += counted->second.bytes;
      }
      ++counted->second.holders;
    }
  }

  const Catalog& catalog_;
  mutable std::mutex mutex_;
  std::map<std::string, Held, std::less<>> held_;
  std::set<std::string, std::less<>> pending_;  // released, maybe still held
  std::unordered_map<const void*, Counted> counted_;
  std::uint64_t total_ = 0;
  std::uint64_t peak_ = 0;
};

// Intermediates in memory: what the `memory` strategy measures against.
void keep_in_memory(Catalog& catalog, const Pipeline& pipeline) {
  for (const auto& output : pipeline.all_outputs()) {
    const auto dataset = catalog.find(output);
    if (dataset && !dataset->is_ephemeral()) {
      catalog.add(output, std::make_shared<MemoryDataset>(), true);
    }
  }
}

std::set<std::string> on_slow_storage(const Catalog& catalog) {
  std::set<std::string> names;
  catalog.for_each([&](const std::string& name, const Dataset& dataset) {
    if (dynamic_cast<const SlowDataset*>(&dataset) != nullptr) {
      names.insert(name);
    }
  });
  return names;
}

double nice_scale_below(double scale) {
  for (double decade = 1; decade >= 1e-3; decade /= 10) {
    for (const double step : {1.0, 0.5, 0.2}) {
      if (step * decade <= scale * (1 + 1e-9)) {
        return step * decade;
      }
    }
  }
  return 1e-3;
}

// Puts every persisted dataset of the catalog on the real backend, as a BinaryDataset under
// `folder`; free inputs (those the pipeline does not write) are copied there first. Returns the
// names moved.
std::set<std::string> on_real_storage(Catalog& catalog, const Pipeline& pipeline,
                                      const std::shared_ptr<const MeasuredStorage>& storage,
                                      const std::string& folder, const CodecRegistry& codecs) {
  std::vector<std::string> persisted;
  catalog.for_each([&](const std::string& name, const Dataset& dataset) {
    if (!dataset.is_ephemeral() && !Catalog::is_parameter(name)) {
      persisted.push_back(name);
    }
  });
  const auto& outputs = pipeline.all_outputs();
  std::set<std::string> names;
  for (const auto& name : persisted) {
    const auto original = catalog.find(name);
    auto real = std::make_shared<BinaryDataset>(FileLocation(storage, folder + "/" + name + ".bin"),
                                                codecs);
    if (!outputs.contains(name) && original->exists()) {
      real->save(original->load());
    }
    catalog.add(name, std::move(real), true);
    names.insert(name);
  }
  storage->reset();
  return names;
}

// Removes what a run wrote on the real backend when it goes, also after a failure.
class RemoveWritten {
 public:
  RemoveWritten(std::shared_ptr<const MeasuredStorage> storage, bool keep)
      : storage_(std::move(storage)), keep_(keep) {}
  ~RemoveWritten() {
    if (keep_) {
      return;
    }
    for (const auto& failure : storage_->remove_written()) {
      spdlog::warn("sluice bench: could not remove {}", failure);
    }
  }
  RemoveWritten(const RemoveWritten&) = delete;
  RemoveWritten& operator=(const RemoveWritten&) = delete;

 private:
  std::shared_ptr<const MeasuredStorage> storage_;
  bool keep_;
};

template <typename T>
T median(std::vector<T> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// The storage times `costs` give (the simulated jitter adds half its span on average, as in
// sequential_cost).
StorageTimes storage_times(const BoundInputs& costs, Clock::duration jitter) {
  const double mean_jitter = seconds(jitter) / 2;
  return {.read_latency = costs.read_latency + mean_jitter,
          .write_latency = costs.write_latency + mean_jitter,
          .bandwidth = costs.bandwidth};
}

// What `predictor` predicts for `strategy` on `storage`; unset for a strategy it does not
// simulate.
std::optional<double> predicted_seconds(const Predictor& predictor, const Strategy& strategy,
                                        const StorageTimes& storage) {
  try {
    return predictor.predict(model_of(strategy), storage).seconds;
  } catch (const ConfigError&) {
    return std::nullopt;  // reported as not predicted
  }
}

// `storage` calibrated on the measured run of the `sequential` strategy, when there is one: the
// overhead per operation this machine adds to the simulated latencies (docs/architecture.md,
// "The advisor").
StorageTimes calibrated(const Predictor& predictor, const std::vector<Strategy>& strategies,
                        const std::vector<BenchResult>& results, const StorageTimes& storage) {
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (strategies[i].name == "sequential" && strategies[i].runner == "sequential" &&
        strategies[i].hooks.empty() && strategies[i].persist) {
      return predictor.calibrate(model_of(strategies[i]), storage, results[i].wall_s);
    }
  }
  return storage;
}

// A result's lower bound, best schedule and (for a small pipeline) optimum, and its wall time
// over each.
void add_model_figures(BenchResult& result, const Pipeline& pipeline, const BoundInputs& inputs) {
  result.bound_s = lower_bound(pipeline, inputs);
  result.ratio = result.bound_s > 0 ? result.wall_s / result.bound_s : 0;
  const SimulatedSchedule schedule = best_schedule(pipeline, inputs);
  result.schedule_s = schedule.seconds;
  result.schedule_rule = schedule.rule;
  if (schedule.seconds > 0) {
    result.schedule_ratio = result.wall_s / schedule.seconds;
  }
  if (pipeline.size() <= kMaxOptimumNodes) {
    result.optimum_s = optimum(pipeline, inputs);
    if (result.optimum_s && *result.optimum_s > 0) {
      result.optimum_ratio = result.wall_s / *result.optimum_s;
    }
  }
}

// Each result's speed-up over the sequential strategy's, when that is among them.
void add_speedups(std::vector<BenchResult>& results) {
  const auto sequential = std::find_if(results.begin(), results.end(), [](const auto& result) {
    return result.strategy == "sequential";
  });
  if (sequential == results.end()) {
    return;
  }
  for (auto& result : results) {
    if (result.wall_s > 0) {
      result.speedup = sequential->wall_s / result.wall_s;
    }
  }
}

// The scenario's workload for predictions: its pipeline and catalog, nothing modelled.
Workload observed_workload(const WorkloadFactory& factory, std::size_t payload) {
  static const ManualClock clock;
  return factory(
      {.compute = {}, .mode = ComputeMode::sleep, .payload = std::max<std::size_t>(1, payload)},
      clock);
}

// The datasets of `catalog` on storage when everything is persisted.
std::set<std::string> persisted_in(const Catalog& catalog) {
  std::set<std::string> names;
  catalog.for_each([&](const std::string& name, const Dataset& dataset) {
    if (!dataset.is_ephemeral() && !Catalog::is_parameter(name)) {
      names.insert(name);
    }
  });
  return names;
}

std::set<std::string> persisted_datasets(const Workload& workload) {
  static const ManualClock clock;
  return persisted_in(workload.make_catalog(clock).catalog);
}

// The costs of `observed` for the predictor and the bounds: each node's observed compute plus
// `modelled`, each dataset's observed bytes, on storage the `persisted` ones.
BoundInputs observed_costs(const Workload& workload, const ObservedRun& observed,
                           Clock::duration modelled, const std::set<std::string>& persisted) {
  BoundInputs inputs;
  for (const Node& node : workload.pipeline.nodes()) {
    const auto at = observed.compute.find(node.name());
    inputs.compute[node.name()] =
        (at != observed.compute.end() ? at->second : 0.0) + seconds(modelled);
  }
  inputs.bytes = observed.bytes;
  inputs.persisted = [persisted](const std::string& dataset) {
    return persisted.contains(dataset);
  };
  return inputs;
}

}  // namespace

WorkloadFactory generated_workload(const std::string& spec) {
  // Fail now, not at the first point, on a malformed spec.
  static const ManualClock validation_clock;
  make_scenario(spec, {}, validation_clock);
  return [spec](const ScenarioOptions& options, const Clock& clock) {
    auto scenario = std::make_shared<Scenario>(make_scenario(spec, options, clock));
    Workload workload;
    workload.pipeline = scenario->pipeline;
    workload.make_catalog = [scenario, options](const Clock&) {
      RunCatalog run;
      scenario->add_inputs(run.catalog, options);
      for (const auto& output : scenario->pipeline.all_outputs()) {
        run.catalog.add(output, std::make_shared<StoredDataset>());
      }
      return run;
    };
    return workload;
  };
}

struct Harness::Reference {
  Clock::duration compute{};
  std::size_t payload = 0;
  std::map<std::string, double> simulated;  // node -> seconds on the clock (modelled compute)
  std::map<std::string, double> real;       // node -> real seconds (the node's own work)
  std::map<std::string, std::uint64_t> bytes;
  std::set<std::string> persisted;           // datasets on storage when everything is persisted
  std::map<std::string, std::size_t> reads;  // dataset -> how many nodes read it
  std::set<std::string> outputs;             // datasets the pipeline writes
};

Harness::Harness(const Registry& registry, std::string scenario, WorkloadFactory factory)
    : registry_(registry), scenario_(std::move(scenario)), factory_(std::move(factory)) {}

const Harness::Reference& Harness::reference(const BenchSettings& settings,
                                             const BenchPoint& point) {
  if (reference_ && reference_->compute == point.compute &&
      reference_->payload == settings.payload) {
    return *reference_;
  }
  auto reference = std::make_shared<Reference>();
  reference->compute = point.compute;
  reference->payload = settings.payload;
  // Two runs on a clock that jumps when waited on: modelled compute is exact, real work is
  // what the nodes take (the smaller of two runs, the first paying for cold caches).
  for (int run = 0; run < 2; ++run) {
    const ManualClock clock;
    const Workload workload = factory_(
        {.compute = point.compute, .mode = ComputeMode::sleep, .payload = settings.payload}, clock);
    RunCatalog prepared = workload.make_catalog(clock);
    if (run == 0) {
      for (const Node& node : workload.pipeline.nodes()) {
        for (const auto& input : node.inputs()) {
          ++reference->reads[input];
        }
        reference->outputs.insert(node.outputs().begin(), node.outputs().end());
      }
      reference->persisted = persisted_in(prepared.catalog);
    }
    keep_in_memory(prepared.catalog, workload.pipeline);
    auto probe = std::make_shared<Probe>(clock);
    auto hooks = std::make_shared<HookManager>();
    hooks->add("probe", probe);
    prepared.catalog.attach(hooks);
    const auto runner = registry_.runners.get("sequential")(Param(Param::Map{}));
    RunInfo info;
    info.run_id = "reference";
    runner->run(workload.pipeline, prepared.catalog, info);
    for (const auto& [node, real] : probe->real) {
      auto [at, inserted] = reference->real.emplace(node, real);
      at->second = std::min(at->second, real);
    }
    reference->simulated = probe->simulated;
    reference->bytes = probe->bytes;
  }
  reference_ = std::move(reference);
  return *reference_;
}

std::pair<double, double> Harness::sequential_cost(const BenchSettings& settings,
                                                   const BenchPoint& point) {
  std::optional<ScopedLogLevel> quiet;
  if (settings.quiet) {
    quiet.emplace(spdlog::level::warn);
  }
  const Reference& ref = reference(settings, point);
  const StorageProfile& profile = point.profile;
  auto transfer = [&](const std::string& dataset) {
    const auto size = ref.bytes.find(dataset);
    return profile.bandwidth > 0 && size != ref.bytes.end()
               ? static_cast<double>(size->second) / profile.bandwidth
               : 0.0;
  };
  // The sequential strategy waits for every read, write and modelled compute in turn; the
  // nodes' real work does not scale.
  double waits = 0;
  for (const auto& [dataset, readers] : ref.reads) {
    if (ref.persisted.contains(dataset)) {
      waits += static_cast<double>(readers) *
               (seconds(profile.read_latency + profile.jitter / 2) + transfer(dataset));
    }
  }
  for (const auto& dataset : ref.outputs) {
    if (ref.persisted.contains(dataset)) {
      waits += seconds(profile.write_latency + profile.jitter / 2) + transfer(dataset);
    }
  }
  double real = 0;
  for (const auto& [node, simulated] : ref.simulated) {
    waits += simulated;
  }
  for (const auto& [node, seconds_of_work] : ref.real) {
    real += seconds_of_work;
  }
  return {waits, real};
}

double Harness::time_scale(const BenchSettings& settings, const BenchPoint& point) {
  if (settings.real_storage) {
    return 1;  // nothing is simulated: real seconds
  }
  if (settings.time_scale > 0) {
    return settings.time_scale;
  }
  const auto [waits, real] = sequential_cost(settings, point);
  if (waits <= 0) {
    return 1;
  }
  const double budget = std::max(settings.target_seconds - real, settings.target_seconds / 2);
  return nice_scale_below(std::min(1.0, budget / waits));
}

double Harness::estimated_seconds(const BenchSettings& settings, const BenchPoint& point,
                                  double time_scale) {
  const auto [waits, real] = sequential_cost(settings, point);
  return waits * time_scale + real;
}

RunMeasurement Harness::run_once(const Strategy& strategy, const BenchSettings& settings,
                                 const BenchPoint& point, double time_scale, int repetition) {
  std::optional<ScopedLogLevel> quiet;
  if (settings.quiet) {
    quiet.emplace(spdlog::level::warn);
  }
  const ScaledClock clock(time_scale);
  const Workload workload = factory_(
      {.compute = point.compute, .mode = settings.compute_mode, .payload = settings.payload},
      clock);
  return measure(strategy, settings, point, workload, clock, repetition);
}

RunMeasurement Harness::measure(const Strategy& strategy, const BenchSettings& settings,
                                const BenchPoint& point, const Workload& workload,
                                const Clock& clock, int repetition) {
  RunMeasurement run;
  // Set-up, untimed: the catalog, simulated storage, then the strategy's hooks and runner
  // as `sluice run` makes them.
  RunCatalog prepared = workload.make_catalog(clock);
  Catalog& catalog = prepared.catalog;
  if (!strategy.persist) {
    keep_in_memory(catalog, workload.pipeline);
  }
  auto stats = std::make_shared<StorageStats>();
  std::shared_ptr<const MeasuredStorage> measured;
  std::optional<RemoveWritten> remove_written;
  if (const auto& real = settings.real_storage) {
    measured = std::make_shared<MeasuredStorage>(real->storage);
    remove_written.emplace(measured, real->keep);
    run.persisted = on_real_storage(
        catalog, workload.pipeline, measured,
        fmt::format("{}/{}/{}", real->prefix, strategy.name, repetition), registry_.codecs);
  } else {
    slow_down(catalog, point.profile, clock, stats);
    run.persisted = on_slow_storage(catalog);
  }
  run.expected_writes = static_cast<std::uint64_t>(
      std::count_if(workload.pipeline.all_outputs().begin(), workload.pipeline.all_outputs().end(),
                    [&](const std::string& output) { return run.persisted.contains(output); }));
  auto hooks = std::make_shared<HookManager>();
  HookContext context;
  context.clock = &clock;
  hooks->add_from_specs(registry_, strategy.hooks, context);
  auto meter = std::make_shared<MemoryMeter>(catalog);
  hooks->add("memory_meter", meter);
  catalog.attach(hooks);
  const auto runner = registry_.runners.get(strategy.runner)(strategy.runner_options);
  RunInfo info;
  info.run_id = fmt::format("bench-{}-{}", strategy.name, repetition);
  info.pipeline_name = scenario_;
  info.runner = strategy.runner;

  auto steady_ns = [] {
    return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                         std::chrono::steady_clock::now().time_since_epoch())
                                         .count());
  };
  run.started_ns = steady_ns();
  const auto start = clock.now();
  try {
    runner->run(workload.pipeline, catalog, info);
  } catch (const std::exception& error) {
    throw Error(fmt::format("scenario '{}', strategy '{}' (run {} of {}): {}", scenario_,
                            strategy.name, repetition, settings.repeat, error.what()));
  }
  run.wall_s = seconds(clock.now() - start);
  run.ended_ns = steady_ns();
  if (measured) {
    run.real_reads = measured->reads();
    run.real_writes = measured->writes();
    stats->reads = run.real_reads.size();
    stats->writes = run.real_writes.size();
  }
  run.peak_bytes = meter->peak();
  run.reads = stats->reads;
  run.writes = stats->writes;
  return run;
}

std::vector<BenchResult> Harness::run(const BenchSettings& settings, const BenchPoint& point,
                                      const ProgressFn& progress) {
  std::vector<Strategy> strategies;
  for (const auto& name : settings.strategies) {
    strategies.push_back(make_strategy(name, point.workers, point.tee_writers, point.tee_budget));
  }
  return run(strategies, settings, point, progress);
}

std::vector<BenchResult> Harness::run(const std::vector<Strategy>& strategies,
                                      const BenchSettings& settings, const BenchPoint& point,
                                      const ProgressFn& progress) {
  std::optional<ScopedLogLevel> quiet;
  if (settings.quiet) {
    quiet.emplace(spdlog::level::warn);
  }
  if (settings.repeat < 1) {
    throw ConfigError(fmt::format("--repeat must be at least 1 (got {})", settings.repeat));
  }
  for (const Strategy& strategy : strategies) {
    if (strategy.ranks > 0 && settings.real_storage) {
      throw ConfigError(fmt::format(
          "strategy '{}' runs in an MPI job of {} processes, each with its own catalog, and "
          "cannot run on a real backend yet (each process would copy the free inputs there); "
          "drop the backend to simulate storage, or leave '{}' out of --strategies",
          strategy.name, strategy.ranks, strategy.name));
    }
    if (strategy.ranks > 0 && !settings.launch) {
      throw ConfigError(fmt::format(
          "strategy '{}' runs in an MPI job of {} processes, which this harness cannot start "
          "(no launcher); run it with `sluice bench --strategies {}`",
          strategy.name, strategy.ranks, strategy.name));
    }
    for (const auto& hook : strategy.hooks) {
      if (!registry_.hooks.contains(hook.name)) {
        throw ConfigError(fmt::format(
            "strategy '{}' needs the hook '{}', which is not registered; load its plugin ({})",
            strategy.name, hook.name, hook.name));
      }
    }
  }
  const double scale = time_scale(settings, point);
  const Reference& ref = reference(settings, point);
  const ScaledClock clock(scale);
  const Workload workload = factory_(
      {.compute = point.compute, .mode = settings.compute_mode, .payload = settings.payload},
      clock);

  BoundInputs bound_inputs;
  for (const auto& [node, simulated] : ref.simulated) {
    const auto real = ref.real.find(node);
    bound_inputs.compute[node] = simulated + (real == ref.real.end() ? 0 : real->second / scale);
  }
  bound_inputs.read_latency = seconds(point.profile.read_latency);
  bound_inputs.write_latency = seconds(point.profile.write_latency);
  bound_inputs.bandwidth = point.profile.bandwidth;
  bound_inputs.bytes = ref.bytes;

  std::vector<BenchResult> results;
  std::vector<std::set<std::string>> persisted_of;  // per result
  std::vector<IoSample> all_reads, all_writes;      // over every strategy
  const std::size_t total = strategies.size() * static_cast<std::size_t>(settings.repeat);
  std::size_t done = 0;
  for (const Strategy& strategy : strategies) {
    std::vector<double> walls;
    std::vector<std::uint64_t> peaks, reads, writes;
    std::set<std::string> persisted;
    std::vector<IoSample> strategy_reads, strategy_writes;
    for (int repetition = 1; repetition <= settings.repeat; ++repetition) {
      if (progress) {
        progress({strategy.name, repetition, done, total});
      }
      RunMeasurement run;
      if (strategy.ranks > 0) {
        try {
          run = settings.launch({.strategy = strategy,
                                 .point = point,
                                 .time_scale = scale,
                                 .repetition = repetition,
                                 .estimated_seconds = estimated_seconds(settings, point, scale)});
        } catch (const std::exception& error) {
          throw Error(fmt::format("scenario '{}', strategy '{}' (run {} of {}): {}", scenario_,
                                  strategy.name, repetition, settings.repeat, error.what()));
        }
      } else {
        run = measure(strategy, settings, point, workload, clock, repetition);
      }
      if (run.writes < run.expected_writes) {
        throw Error(fmt::format(
            "scenario '{}', strategy '{}': the run returned after {} of its {} writes; a "
            "strategy must finish its background writes before the run ends",
            scenario_, strategy.name, run.writes, run.expected_writes));
      }
      walls.push_back(run.wall_s);
      peaks.push_back(run.peak_bytes);
      reads.push_back(run.reads);
      writes.push_back(run.writes);
      persisted = std::move(run.persisted);
      strategy_reads.insert(strategy_reads.end(), run.real_reads.begin(), run.real_reads.end());
      strategy_writes.insert(strategy_writes.end(), run.real_writes.begin(), run.real_writes.end());
      ++done;
    }
    BenchResult result;
    result.scenario = scenario_;
    result.strategy = strategy.name;
    result.wall_s = median(walls);
    result.peak_bytes = median(peaks);
    result.reads = median(reads);
    result.writes = median(writes);
    result.time_scale = scale;
    result.swept = point.swept;
    if (settings.real_storage) {
      result.measured_reads = io_figures(strategy_reads);
      result.measured_writes = io_figures(strategy_writes);
      all_reads.insert(all_reads.end(), strategy_reads.begin(), strategy_reads.end());
      all_writes.insert(all_writes.end(), strategy_writes.begin(), strategy_writes.end());
    }
    results.push_back(std::move(result));
    persisted_of.push_back(std::move(persisted));
  }
  // On a real backend the bound takes what the strategy's own operations measured (the median,
  // transfer included), or what every strategy's did for a kind it made none of.
  const IoFigures pooled_reads = io_figures(all_reads);
  const IoFigures pooled_writes = io_figures(all_writes);
  const Predictor predictor(workload.pipeline, [&] {
    BoundInputs costs = bound_inputs;
    costs.persisted = [&ref](const std::string& dataset) {
      return ref.persisted.contains(dataset);
    };
    return costs;
  }());
  // On real storage the latencies are measured ones, overhead included.
  const StorageTimes simulated_storage =
      settings.real_storage ? StorageTimes{}
                            : calibrated(predictor, strategies, results,
                                         storage_times(bound_inputs, point.profile.jitter));
  for (std::size_t i = 0; i < results.size(); ++i) {
    BenchResult& result = results[i];
    if (settings.real_storage) {
      auto measured = [](const std::optional<IoFigures>& own, const IoFigures& pooled) {
        return own && own->operations > 0 ? own->median_s : pooled.median_s;
      };
      bound_inputs.read_latency = measured(result.measured_reads, pooled_reads);
      bound_inputs.write_latency = measured(result.measured_writes, pooled_writes);
      bound_inputs.bandwidth = 0;
    }
    const std::set<std::string>& persisted = persisted_of[i];
    bound_inputs.workers = strategies[i].workers;
    bound_inputs.persisted = [&persisted](const std::string& dataset) {
      return persisted.contains(dataset);
    };
    result.predicted_s = predicted_seconds(
        predictor, strategies[i],
        settings.real_storage ? storage_times(bound_inputs, {}) : simulated_storage);
    add_model_figures(result, workload.pipeline, bound_inputs);
  }
  add_speedups(results);
  return results;
}

Calibration Harness::calibrate(const ObservedRun& observed, const ObservedStorage& seen) {
  Calibration calibration;
  if (!observed.model) {
    return calibration;
  }
  const Workload workload = observed_workload(factory_, 0);
  const Predictor predictor(workload.pipeline,
                            observed_costs(workload, observed, {}, persisted_datasets(workload)));
  const StorageTimes storage{.read_latency = seen.read_latency,
                             .write_latency = seen.write_latency,
                             .bandwidth = seen.bandwidth};
  calibration.predicted_s = predictor.predict(*observed.model, storage).seconds;
  calibration.overhead = predictor.calibrate(*observed.model, storage, observed.wall_s).overhead;
  return calibration;
}

std::vector<BenchResult> Harness::predict(const std::vector<Strategy>& strategies,
                                          const BenchPoint& point, const ObservedRun& observed,
                                          double overhead) {
  std::vector<StrategyModel> models;
  for (const Strategy& strategy : strategies) {
    models.push_back(model_of(strategy));  // ConfigError for one it does not simulate
  }
  const Workload workload = observed_workload(factory_, 0);
  const Pipeline& pipeline = workload.pipeline;
  std::set<std::string> ran;
  for (const auto& [node, seconds] : observed.compute) {
    ran.insert(node);
  }
  for (const Node& node : pipeline.nodes()) {
    if (ran.erase(node.name()) == 0) {
      throw ConfigError(fmt::format(
          "'{}' has no span of node '{}' of scenario '{}': the trace is of another pipeline, or of "
          "a run that stopped early or ran only some nodes; trace a whole run of this pipeline "
          "(`sluice run --hooks timeline`), or give the --scenario/--pipeline it ran",
          observed.source, node.name(), scenario_));
    }
  }
  if (!ran.empty()) {
    throw ConfigError(fmt::format(
        "'{}' has a span of node '{}', which scenario '{}' does not have: the trace is of "
        "another pipeline; give the --scenario/--pipeline it ran",
        observed.source, *ran.begin(), scenario_));
  }
  const std::set<std::string> persisted = persisted_datasets(workload);
  BoundInputs inputs = observed_costs(workload, observed, point.compute, persisted);
  inputs.read_latency = seconds(point.profile.read_latency);
  inputs.write_latency = seconds(point.profile.write_latency);
  inputs.bandwidth = point.profile.bandwidth;
  const Predictor predictor(pipeline, inputs);
  StorageTimes storage = storage_times(inputs, point.profile.jitter);
  storage.overhead = overhead;
  std::set<std::string> free_inputs;  // on storage when nothing else is persisted
  for (const std::string& name : persisted) {
    if (!pipeline.all_outputs().contains(name)) {
      free_inputs.insert(name);
    }
  }
  std::vector<BenchResult> results;
  for (std::size_t i = 0; i < strategies.size(); ++i) {
    const Prediction prediction = predictor.predict(models[i], storage);
    BenchResult result;
    result.scenario = scenario_;
    result.strategy = strategies[i].name;
    result.wall_s = prediction.seconds;
    result.predicted_s = prediction.seconds;
    result.predicted_only = true;
    result.reads = prediction.reads;
    result.writes = prediction.writes;
    result.time_scale = 1;
    result.swept = point.swept;
    const std::set<std::string>& on_storage = strategies[i].persist ? persisted : free_inputs;
    inputs.workers = strategies[i].workers;
    inputs.persisted = [&on_storage](const std::string& dataset) {
      return on_storage.contains(dataset);
    };
    add_model_figures(result, pipeline, inputs);
    results.push_back(std::move(result));
  }
  add_speedups(results);
  return results;
}

}  // namespace sluice::bench
