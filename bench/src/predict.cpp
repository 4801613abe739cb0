#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <queue>
#include <string>
#include <utility>

#include <fmt/format.h>

#include <sluice/bench/predict.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/util/units.hpp>

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

// The tee's memory_budget and hold as hooks.yml sets them.
void tee_memory(const HookSpec& hook, StrategyModel& model) {
  if (!hook.options.is_map()) {
    return;
  }
  if (const Param* budget = hook.options.find("memory_budget")) {
    model.tee_budget = budget->kind() == Param::Kind::string
                           ? parse_size(budget->as_string(), "memory_budget")
                           : static_cast<std::uint64_t>(budget->as_int());
  }
  if (const Param* hold = hook.options.find("hold")) {
    const std::string mode = hold->as_string();
    model.tee_hold = mode == "always"  ? TeeHold::always
                     : mode == "never" ? TeeHold::never
                                       : TeeHold::adaptive;
  }
}

}  // namespace

StrategyModel model_of(const Strategy& strategy) {
  StrategyModel model;
  if (strategy.runner == "sequential") {
    model.workers = 1;
  } else if (strategy.runner == "parallel" || strategy.runner == "mpi") {
    model.parallel = strategy.runner == "parallel";
    model.mpi = strategy.runner == "mpi";
    model.workers = std::max<std::size_t>(1, strategy.workers);
  } else {
    throw ConfigError(fmt::format(
        "cannot predict strategy '{}': its runner '{}' is not one the predictor simulates "
        "(sequential, parallel, mpi); measure it with `sluice bench` instead",
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
      tee_memory(hook, model);
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

struct Ranks;

// One prediction's state (under the mpi runner, one rank's): the clock is the simulated run's,
// in seconds.
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
    if (strategy.tee) {
      tee_.assign(persisted.size(), TeeValue{});
      readers_left_.resize(persisted.size());
      for (std::size_t id = 0; id < persisted.size(); ++id) {
        readers_left_[id] =
            static_cast<std::uint32_t>(plan.pipeline().consumers_of(Plan::DatasetId(id)).size());
      }
      started_.assign(plan.node_count(), 0);
    }
  }

  // Under the mpi runner: this is rank `rank` of `ranks`, and loads of values another rank saved
  // are fetches from it.
  void join(Ranks* ranks, std::int32_t rank) {
    ranks_ = ranks;
    rank_ = rank;
  }

  // Runs `node` from `start`; returns when it ends on its worker.
  double run(std::size_t node, double start) {
    if (strategy_.tee) {
      started_[node] = 1;
    }
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

  // `node` ended at `at`: the runner releases the inputs it was the last reader of.
  void finished(std::size_t node, double at) {
    if (!strategy_.tee) {
      return;
    }
    settle(at);
    for (const Plan::DatasetId id : plan_.pipeline().input_ids(node)) {
      if (--readers_left_[id] == 0) {
        TeeValue& value = tee_[id];
        value.readers_done = true;
        if (value.state == TeeValue::kept) {
          unkeep(id);
        }
      }
    }
  }

  double last_write() const { return last_write_; }
  Prediction totals() const {
    return {.seconds = 0,
            .reads = reads_,
            .writes = writes_,
            .spilled = spilled_,
            .read_backs = read_backs_,
            .budget_waits = budget_waits_,
            .peak_held_bytes = peak_held_};
  }

 private:
  // What the tee holds of a dataset.
  struct TeeValue {
    enum State : std::uint8_t { none, pending, kept, spilled } state = none;
    bool readers_done = false;
  };
  struct Write {
    double ends;
    Plan::DatasetId id;
    bool operator>(const Write& other) const { return ends > other.ends; }
  };

  double transfer(Plan::DatasetId id) const {
    return storage_.bandwidth > 0 ? static_cast<double>(bytes_[id]) / storage_.bandwidth : 0.0;
  }
  double read_time(Plan::DatasetId id) const {
    return storage_.read_latency + transfer(id) + storage_.overhead;
  }

  std::uint64_t held() const { return pending_bytes_ + kept_bytes_; }
  void keep(Plan::DatasetId id) {
    tee_[id].state = TeeValue::kept;
    kept_bytes_ += bytes_[id];
    kept_.push_back(id);
    peak_held_ = std::max(peak_held_, held());
  }
  void unkeep(Plan::DatasetId id) {
    tee_[id].state = TeeValue::none;
    kept_bytes_ -= bytes_[id];
    kept_.erase(std::find(kept_.begin(), kept_.end(), id));
  }
  // The first reader of `id` not started yet in the plan's order (SIZE_MAX: none), as the
  // tee ranks what it keeps.
  std::size_t next_use(Plan::DatasetId id) const {
    for (const std::uint32_t consumer : plan_.pipeline().consumers_of(id)) {
      if (started_[consumer] == 0) {
        return consumer;
      }
    }
    return SIZE_MAX;
  }
  // Drops the kept value read last if it is read after `after` (SIZE_MAX: any); false when
  // there is none.
  bool spill_one(std::size_t after) {
    std::size_t best = kept_.size();
    std::size_t best_next = 0;
    for (std::size_t i = 0; i < kept_.size(); ++i) {
      const std::size_t next = next_use(kept_[i]);
      if (after != SIZE_MAX && next <= after) {
        continue;
      }
      if (best == kept_.size() || next > best_next ||
          (next == best_next && bytes_[kept_[i]] > bytes_[kept_[best]])) {
        best = i;
        best_next = next;
      }
    }
    if (best == kept_.size()) {
      return false;
    }
    const Plan::DatasetId id = kept_[best];
    unkeep(id);
    tee_[id].state = TeeValue::spilled;
    ++spilled_;
    return true;
  }
  // The writes that ended by `at`: each value goes, is kept or (hold: never) spilled.
  void settle(double at) {
    while (!writes_in_flight_.empty() && writes_in_flight_.top().ends <= at) {
      const Plan::DatasetId id = writes_in_flight_.top().id;
      writes_in_flight_.pop();
      pending_bytes_ -= bytes_[id];
      TeeValue& value = tee_[id];
      if (value.readers_done) {
        value.state = TeeValue::none;
      } else if (strategy_.tee_hold == TeeHold::never) {
        value.state = TeeValue::spilled;
        ++spilled_;
      } else {
        keep(id);
      }
    }
  }
  // When a save of `bytes` from `at` is admitted to the budget, as the tee decides.
  double admit(std::uint64_t bytes, double at) {
    settle(at);
    bool waited = false;
    while (held() > 0 && held() + bytes > strategy_.tee_budget) {
      if (strategy_.tee_hold == TeeHold::adaptive && spill_one(SIZE_MAX)) {
        continue;
      }
      if (writes_in_flight_.empty()) {
        break;  // hold: always keeps what readers need, over the budget
      }
      waited = true;
      at = std::max(at, writes_in_flight_.top().ends);
      settle(at);
    }
    budget_waits_ += waited ? 1 : 0;
    return at;
  }

  // When dataset `id`, loaded from `at`, is in the node's hands.
  double load(Plan::DatasetId id, double at) {
    if (ranks_ != nullptr && produced_[id] != 0) {
      if (const double fetched = fetch(id, at); fetched >= 0) {
        return fetched;
      }
    }
    if (on_storage_[id] == 0) {
      return at;  // a memory dataset
    }
    if (strategy_.tee) {
      return tee_load(id, at);
    }
    if (strategy_.cache && in_memory_[id] != 0) {
      return at;
    }
    ++reads_;
    if (strategy_.cache) {
      in_memory_[id] = 1;  // the first load keeps the value too
    }
    return at + read_time(id);
  }

  double tee_load(Plan::DatasetId id, double at) {
    settle(at);
    TeeValue& value = tee_[id];
    if (value.state == TeeValue::pending || value.state == TeeValue::kept) {
      return at;  // the tee hands the value over in memory
    }
    if (produced_[id] != 0 || value.state == TeeValue::spilled) {
      ++reads_;  // let go before this reader: read back
      ++read_backs_;
      return at + read_time(id);
    }
    // A free input is read once: later readers wait for that read, then take its value while
    // the tee keeps it (hold: never keeps none; auto, what fits by dropping values read later).
    if (read_ends_[id] >= 0) {
      return std::max(at, read_ends_[id]);
    }
    ++reads_;
    const double ends = at + read_time(id);
    bool fits = strategy_.tee_hold == TeeHold::always;
    if (strategy_.tee_hold == TeeHold::adaptive) {
      const std::size_t next = next_use(id);
      const auto over = [&] { return held() > 0 && held() + bytes_[id] > strategy_.tee_budget; };
      while (over() && next != SIZE_MAX && spill_one(next)) {
      }
      fits = !over();
    }
    if (fits) {
      read_ends_[id] = ends;
      keep(id);
    } else {
      value.state = TeeValue::spilled;
    }
    return ends;
  }

  // When the node's save of dataset `id`, from `at`, returns.
  double save(Plan::DatasetId id, double at) {
    if (on_storage_[id] == 0) {
      return at;
    }
    ++writes_;
    const double takes = storage_.write_latency + transfer(id) + storage_.overhead;
    if (strategy_.tee) {
      // The budget first (the save may wait), then a writer of the pool once one is free
      // (writers_ holds when busy ones are free).
      at = admit(bytes_[id], at);
      double begins = at;
      if (writers_.size() >= strategy_.tee_writers) {
        begins = std::max(at, writers_.top());
        writers_.pop();
      }
      const double ends = begins + takes;
      writers_.push(ends);
      last_write_ = std::max(last_write_, ends);
      TeeValue& value = tee_[id];
      value.state = TeeValue::pending;
      value.readers_done = readers_left_[id] == 0;
      pending_bytes_ += bytes_[id];
      peak_held_ = std::max(peak_held_, held());
      writes_in_flight_.push({ends, id});
      return at;
    }
    if (strategy_.cache) {
      in_memory_[id] = 1;
    }
    return at + takes;
  }

  // A value another rank saved: when it is here, fetched from that rank (which loads it and
  // sends it); -1 when this rank saved it.
  double fetch(Plan::DatasetId id, double at);

  Ranks* ranks_ = nullptr;
  std::int32_t rank_ = 0;
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
  // The tee's memory: per dataset, the readers not yet ended, the nodes started, the writes
  // running (by when they end) and the values kept for readers.
  std::vector<TeeValue> tee_;
  std::vector<std::uint32_t> readers_left_;
  std::vector<std::uint8_t> started_;
  std::priority_queue<Write, std::vector<Write>, std::greater<>> writes_in_flight_;
  std::vector<Plan::DatasetId> kept_;
  std::uint64_t pending_bytes_ = 0;
  std::uint64_t kept_bytes_ = 0;
  std::uint64_t peak_held_ = 0;
  std::uint64_t spilled_ = 0;
  std::uint64_t read_backs_ = 0;
  std::uint64_t budget_waits_ = 0;
  double last_write_ = 0;
  std::uint64_t reads_ = 0;
  std::uint64_t writes_ = 0;
};

// The mpi runner's ranks that run nodes, each with its own simulation, and which of them saved
// each value.
struct Ranks {
  std::vector<Simulation> sites;    // by rank - 1
  std::vector<std::int32_t> owner;  // by dataset: the site that saved it, -1 for none yet
};

double Simulation::fetch(Plan::DatasetId id, double at) {
  const std::int32_t owner = ranks_->owner[id];
  if (owner < 0 || owner == rank_) {
    return -1;
  }
  return ranks_->sites[static_cast<std::size_t>(owner)].load(id, at);
}

}  // namespace

Prediction Predictor::predict_mpi(const StrategyModel& strategy,
                                  const StorageTimes& storage) const {
  const std::size_t workers = std::max<std::size_t>(1, strategy.workers);
  Ranks ranks;
  ranks.owner.assign(bytes_.size(), -1);
  ranks.sites.reserve(workers);
  for (std::size_t rank = 0; rank < workers; ++rank) {
    ranks.sites.emplace_back(plan_, compute_, bytes_, persisted_, produced_, strategy, storage);
  }
  for (std::size_t rank = 0; rank < workers; ++rank) {
    ranks.sites[rank].join(&ranks, static_cast<std::int32_t>(rank));
  }
  // Rank 0's queues, first in first out: the ready nodes (at first in plan order, then the
  // consumers of each node that ends, as they become ready) and the ranks free to run one.
  std::deque<std::size_t> ready;
  std::vector<std::uint32_t> waiting = producers_;
  for (std::size_t node = 0; node < plan_.node_count(); ++node) {
    if (waiting[node] == 0) {
      ready.push_back(node);
    }
  }
  std::deque<std::size_t> idle;
  for (std::size_t rank = 0; rank < workers; ++rank) {
    idle.push_back(rank);
  }
  struct Running {
    double ends;
    std::uint64_t order;  // of dispatch: ends reported at the same time arrive in it
    std::size_t node;
    std::size_t rank;
    // Ends within a microsecond are one time (sums of the same costs in another order differ
    // in their last bits), so the order of dispatch decides between them.
    std::int64_t tick() const { return std::llround(ends * 1e6); }
    bool operator>(const Running& other) const {
      return tick() != other.tick() ? tick() > other.tick() : order > other.order;
    }
  };
  std::priority_queue<Running, std::vector<Running>, std::greater<>> running;
  std::uint64_t dispatched = 0;
  double now = 0;
  while (!ready.empty() || !running.empty()) {
    while (!ready.empty() && !idle.empty()) {
      const std::size_t node = ready.front();
      const std::size_t rank = idle.front();
      ready.pop_front();
      idle.pop_front();
      const double ends = ranks.sites[rank].run(node, now);
      running.push({ends, dispatched++, node, rank});
    }
    const Running done = running.top();
    running.pop();
    now = done.ends;
    idle.push_back(done.rank);
    for (Simulation& site : ranks.sites) {
      site.finished(done.node, now);  // rank 0 releases the values this node read last
    }
    for (const Plan::DatasetId id : plan_.outputs_of(done.node)) {
      ranks.owner[id] = static_cast<std::int32_t>(done.rank);
      for (const std::uint32_t consumer : plan_.pipeline().consumers_of(id)) {
        if (--waiting[consumer] == 0) {
          ready.push_back(consumer);
        }
      }
    }
  }
  Prediction prediction;
  prediction.seconds = now;
  for (const Simulation& site : ranks.sites) {
    const Prediction share = site.totals();
    prediction.seconds = std::max(prediction.seconds, site.last_write());
    prediction.reads += share.reads;
    prediction.writes += share.writes;
    prediction.spilled += share.spilled;
    prediction.read_backs += share.read_backs;
    prediction.budget_waits += share.budget_waits;
    prediction.peak_held_bytes = std::max(prediction.peak_held_bytes, share.peak_held_bytes);
  }
  return prediction;
}

Prediction Predictor::predict(const StrategyModel& strategy, const StorageTimes& storage) const {
  if (strategy.mpi) {
    return predict_mpi(strategy, storage);
  }
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
    simulation.finished(node, ends);
    for (const Plan::DatasetId id : plan_.outputs_of(node)) {
      for (const std::uint32_t consumer : plan_.pipeline().consumers_of(id)) {
        if (--waiting[consumer] == 0) {
          ready.emplace(priority(consumer), consumer);
        }
      }
    }
  }
  Prediction prediction = simulation.totals();
  prediction.seconds = std::max(now, simulation.last_write());
  return prediction;
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
