#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <limits>
#include <numeric>
#include <queue>
#include <random>
#include <tuple>
#include <vector>

#include <sluice/bench/lower_bound.hpp>

// The model and the proof of each term are in docs/architecture.md, "The lower bound and the
// optimum"; each term below repeats its proof in short.

namespace sluice::bench {

namespace {

double transfer(const BoundInputs& inputs, const std::string& dataset) {
  if (inputs.bandwidth <= 0) {
    return 0;
  }
  const auto size = inputs.bytes.find(dataset);
  return size == inputs.bytes.end() ? 0 : static_cast<double>(size->second) / inputs.bandwidth;
}

// A pipeline as the model sees it, nodes in topological order.
struct Model {
  std::vector<double> compute;  // c(v)
  std::vector<double> release;  // when v's persisted free inputs are all read: max r + t(i)
  std::vector<double> write;    // the longest write of v's persisted outputs: max w + t(o)
  std::vector<std::vector<std::size_t>> producers;  // without repeats
  std::vector<std::vector<std::size_t>> consumers;  // add_consumers() fills them
  std::size_t workers = 1;
  std::vector<double> head;  // h(v): the earliest start of v
  std::vector<double> tail;  // q(v): the least time from v's end to the run's end

  std::size_t size() const { return compute.size(); }
};

Model model_of(const Pipeline& pipeline, const BoundInputs& inputs) {
  const auto& nodes = pipeline.nodes();
  const std::size_t n = nodes.size();
  Model model;
  model.compute.assign(n, 0);
  model.release.assign(n, 0);
  model.write.assign(n, 0);
  model.producers.resize(n);
  model.workers = std::max<std::size_t>(1, inputs.workers);
  for (std::size_t v = 0; v < n; ++v) {
    const auto compute = inputs.compute.find(nodes[v].name());
    model.compute[v] = compute == inputs.compute.end() ? 0 : compute->second;
    auto& producers = model.producers[v];
    for (const auto& input : nodes[v].inputs()) {
      if (auto producer = pipeline.producer_of(input)) {
        producers.push_back(*producer);
      } else if (inputs.persisted(input)) {
        model.release[v] =
            std::max(model.release[v], inputs.read_latency + transfer(inputs, input));
      }
    }
    std::sort(producers.begin(), producers.end());
    producers.erase(std::unique(producers.begin(), producers.end()), producers.end());
    for (const auto& output : nodes[v].outputs()) {
      if (inputs.persisted(output)) {
        model.write[v] = std::max(model.write[v], inputs.write_latency + transfer(inputs, output));
      }
    }
  }
  // h(v) = max(release(v), max over producers p of h(p) + c(p)): v waits for its reads and for
  // every producer, which cannot start before h(p) (induction in topological order).
  model.head.assign(n, 0);
  for (std::size_t v = 0; v < n; ++v) {
    model.head[v] = model.release[v];
    for (const std::size_t p : model.producers[v]) {
      model.head[v] = std::max(model.head[v], model.head[p] + model.compute[p]);
    }
  }
  // q(v) = max(write(v), max over consumers x of c(x) + q(x)): after v ends, its writes must
  // end, and each consumer must still start, compute and be followed by its own tail.
  // In reverse topological order q(x) is final when x is reached: it is pushed to x's producers.
  model.tail = model.write;
  for (std::size_t x = n; x-- > 0;) {
    for (const std::size_t p : model.producers[x]) {
      model.tail[p] = std::max(model.tail[p], model.compute[x] + model.tail[x]);
    }
  }
  return model;
}

// The consumers of each node, for the search.
void add_consumers(Model& model) {
  model.consumers.assign(model.size(), {});
  for (std::size_t v = 0; v < model.size(); ++v) {
    for (const std::size_t p : model.producers[v]) {
      model.consumers[p].push_back(v);
    }
  }
}

// W_P(S): the least time P workers need for computes of these costs, sorted largest first.
// Sum / P: the workers together give P seconds per second. And for any m, the m largest jobs
// put ceil(m / P) of them on one worker (pigeonhole), which then works at least as long as the
// ceil(m / P) smallest of those m. (m = 1 is the largest job, m = P + 1 the P-th and (P+1)-th.)
double least_time(const std::vector<double>& costs, std::size_t workers) {
  std::vector<double> prefix(costs.size() + 1, 0);
  for (std::size_t i = 0; i < costs.size(); ++i) {
    prefix[i + 1] = prefix[i] + costs[i];
  }
  double time = prefix.back() / static_cast<double>(workers);
  for (std::size_t m = 1; m <= costs.size(); ++m) {
    const std::size_t k = (m + workers - 1) / workers;
    time = std::max(time, prefix[m] - prefix[m - k]);
  }
  return time;
}

// Any set S of nodes: none of them starts before a = min over S of h, the last of them to end,
// u, ends no earlier than a + W_P(S) (their computes all lie between), and the run ends no
// earlier than u's end + q(u) >= b = min over S of q. So the run takes at least
// a + W_P(S) + b. For given thresholds a and b, the largest S with min h >= a and min q >= b is
// {v : h(v) >= a, q(v) >= b}, and W_P grows with S.
double set_term(const Model& model) {
  const std::size_t n = model.size();
  std::vector<double> thresholds = model.head;
  std::sort(thresholds.begin(), thresholds.end());
  thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
  std::vector<std::size_t> by_tail(n);
  std::iota(by_tail.begin(), by_tail.end(), 0);
  std::sort(by_tail.begin(), by_tail.end(),
            [&](std::size_t x, std::size_t y) { return model.tail[x] > model.tail[y]; });
  double bound = 0;
  std::vector<double> costs;
  for (const double a : thresholds) {
    costs.clear();
    for (std::size_t i = 0; i < n;) {
      const double b = model.tail[by_tail[i]];
      for (; i < n && model.tail[by_tail[i]] == b; ++i) {
        const std::size_t v = by_tail[i];
        if (model.head[v] >= a) {
          costs.insert(
              std::upper_bound(costs.begin(), costs.end(), model.compute[v], std::greater<>()),
              model.compute[v]);
        }
      }
      if (!costs.empty()) {
        bound = std::max(bound, a + least_time(costs, model.workers) + b);
      }
    }
  }
  return bound;
}

double bound_of(const Model& model) {
  const std::size_t n = model.size();
  if (n == 0) {
    return 0;
  }
  // The critical path: v starts no earlier than h(v), computes c(v), and q(v) follows its end.
  double bound = 0;
  for (std::size_t v = 0; v < n; ++v) {
    bound = std::max(bound, model.head[v] + model.compute[v] + model.tail[v]);
  }
  // The first read, all the work, the last write: the set term for S = every node.
  std::vector<double> costs = model.compute;
  std::sort(costs.begin(), costs.end(), std::greater<>());
  bound = std::max(bound, *std::min_element(model.head.begin(), model.head.end()) +
                              least_time(costs, model.workers) +
                              *std::min_element(model.tail.begin(), model.tail.end()));
  if (n <= kMaxSetBoundNodes) {
    bound = std::max(bound, set_term(model));
  }
  return bound;
}

// Branch and bound over list schedules: nodes are placed one at a time, in any order that
// respects the edges, each at the earliest time its inputs and a worker allow. Some optimal
// schedule is such a list schedule: place the nodes of an optimal schedule in the order they
// start there (producers first on ties), each on the worker free first; by induction each starts
// no later than in the optimal schedule (its producers end no later, and at most P - 1 nodes
// placed before it are still running at its optimal start, so some worker is free by then).
class Search {
 public:
  Search(const Model& model, const OptimumOptions& options)
      : model_(model),
        options_(options),
        finish_(model.size(), -1),
        waiting_(model.size()),
        machines_(std::min(model.workers, std::max<std::size_t>(1, model.size())), 0.0),
        estimate_(model.size(), 0) {
    for (std::size_t v = 0; v < model.size(); ++v) {
      waiting_[v] = model.producers[v].size();
    }
    // Interchangeable nodes (same cost, reads, writes, producers and consumers) are placed in
    // index order only: swapping two of them in a schedule changes nothing.
    first_twin_.resize(model.size());
    for (std::size_t v = 0; v < model.size(); ++v) {
      first_twin_[v] = v;
      for (std::size_t u = 0; u < v; ++u) {
        if (model.compute[u] == model.compute[v] && model.release[u] == model.release[v] &&
            model.write[u] == model.write[v] && model.producers[u] == model.producers[v] &&
            model.consumers[u] == model.consumers[v]) {
          first_twin_[v] = first_twin_[u];
          break;
        }
      }
    }
  }

  std::optional<double> run(double root_bound) {
    root_bound_ = root_bound;
    dive(0, 0);
    if (exhausted_) {
      return std::nullopt;
    }
    return best_;
  }

 private:
  static constexpr double kSlack = 1e-12;

  bool good_enough(double value) const {
    return value <= root_bound_ + kSlack * std::max(1.0, std::abs(root_bound_));
  }

  // What any completion of the current partial schedule takes at least.
  double partial_bound(double end) {
    double bound = end;
    double remaining = 0;
    double least_tail = std::numeric_limits<double>::infinity();
    const double earliest = *std::min_element(machines_.begin(), machines_.end());
    for (std::size_t v = 0; v < model_.size(); ++v) {
      if (finish_[v] >= 0) {
        continue;
      }
      // Later nodes start after their producers and reads, and no earlier than a worker is
      // free: placing a node never makes a worker free sooner.
      double start = std::max(model_.release[v], earliest);
      for (const std::size_t p : model_.producers[v]) {
        start = std::max(start, finish_[p] >= 0 ? finish_[p] : estimate_[p] + model_.compute[p]);
      }
      estimate_[v] = start;
      bound = std::max(bound, start + model_.compute[v] + model_.tail[v]);
      remaining += model_.compute[v];
      least_tail = std::min(least_tail, model_.tail[v]);
    }
    if (remaining > 0) {
      // The remaining computes lie between each worker's free time and the last of their ends,
      // T: sum over workers of max(0, T - free) >= remaining. Water-fill for the least T.
      std::vector<double> free = machines_;
      std::sort(free.begin(), free.end());
      double level = free[0];
      double left = remaining;
      std::size_t used = 1;
      while (true) {
        const double next =
            used < free.size() ? free[used] : std::numeric_limits<double>::infinity();
        const double room = (next - level) * static_cast<double>(used);
        if (room >= left) {
          level += left / static_cast<double>(used);
          break;
        }
        left -= room;
        level = next;
        ++used;
      }
      bound = std::max(bound, level + least_tail);
    }
    return bound;
  }

  void dive(std::size_t placed, double end) {
    if (exhausted_ || done_) {
      return;
    }
    if (++states_ > options_.max_states) {
      exhausted_ = true;
      return;
    }
    if (placed == model_.size()) {
      best_ = std::min(best_, end);
      done_ = !options_.every_assignment && good_enough(best_);
      return;
    }
    if (!options_.every_assignment && partial_bound(end) >= best_) {
      return;
    }
    for (std::size_t v = 0; v < model_.size(); ++v) {
      if (finish_[v] >= 0 || waiting_[v] > 0) {
        continue;
      }
      if (!options_.every_assignment && twin_waits(v)) {
        continue;
      }
      double ready = model_.release[v];
      for (const std::size_t p : model_.producers[v]) {
        ready = std::max(ready, finish_[p]);
      }
      if (options_.every_assignment) {
        for (std::size_t m = 0; m < machines_.size(); ++m) {
          place(v, m, ready, placed, end);
        }
      } else {
        const auto first_free = std::min_element(machines_.begin(), machines_.end());
        place(v, static_cast<std::size_t>(first_free - machines_.begin()), ready, placed, end);
      }
    }
  }

  // An interchangeable node of lower index is still to be placed.
  bool twin_waits(std::size_t v) const {
    for (std::size_t u = first_twin_[v]; u < v; ++u) {
      if (first_twin_[u] == first_twin_[v] && finish_[u] < 0) {
        return true;
      }
    }
    return false;
  }

  void place(std::size_t v, std::size_t machine, double ready, std::size_t placed, double end) {
    const double before = machines_[machine];
    const double finish = std::max(ready, before) + model_.compute[v];
    machines_[machine] = finish;
    finish_[v] = finish;
    for (const std::size_t x : model_.consumers[v]) {
      --waiting_[x];
    }
    dive(placed + 1, std::max(end, finish + model_.write[v]));
    for (const std::size_t x : model_.consumers[v]) {
      ++waiting_[x];
    }
    finish_[v] = -1;
    machines_[machine] = before;
  }

  const Model& model_;
  const OptimumOptions& options_;
  std::vector<double> finish_;        // per node; -1: not placed
  std::vector<std::size_t> waiting_;  // producers not placed yet
  std::vector<double> machines_;      // when each worker is free
  std::vector<double> estimate_;      // scratch of partial_bound
  std::vector<std::size_t> first_twin_;
  double best_ = std::numeric_limits<double>::infinity();
  double root_bound_ = 0;
  std::size_t states_ = 0;
  bool exhausted_ = false;
  bool done_ = false;
};

// The most nodes on a path from v to a sink, v included.
std::vector<double> node_path(const Model& model) {
  std::vector<double> nodes(model.size(), 1);
  for (std::size_t v = model.size(); v-- > 0;) {
    for (const std::size_t x : model.consumers[v]) {
      nodes[v] = std::max(nodes[v], 1 + nodes[x]);
    }
  }
  return nodes;
}

using Timed = std::pair<double, std::size_t>;
using EarliestFirst = std::priority_queue<Timed, std::vector<Timed>, std::greater<>>;

// A list schedule of the model: whenever a worker is free and a node is ready (its producers
// ended, its reads in), the ready node of the highest key starts (ties: the lower index). Every
// node starts no earlier than the model allows and uses one worker, so the schedule is feasible.
double list_schedule(const Model& model, const std::vector<double>& key) {
  const std::size_t n = model.size();
  auto lower = [&](std::size_t a, std::size_t b) {
    return key[a] != key[b] ? key[a] < key[b] : a > b;
  };
  std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(lower)> ready(lower);
  EarliestFirst arriving;  // producers ended: (when it is ready, node)
  EarliestFirst running;   // (when its compute ends, node)
  std::vector<std::size_t> waiting(n);
  std::vector<double> available = model.release;
  for (std::size_t v = 0; v < n; ++v) {
    waiting[v] = model.producers[v].size();
    if (waiting[v] == 0) {
      arriving.emplace(available[v], v);
    }
  }
  std::size_t free = model.workers;
  std::size_t done = 0;
  double now = 0;
  double end = 0;
  while (done < n) {
    while (!arriving.empty() && arriving.top().first <= now) {
      ready.push(arriving.top().second);
      arriving.pop();
    }
    for (; free > 0 && !ready.empty(); --free) {
      const std::size_t v = ready.top();
      ready.pop();
      running.emplace(now + model.compute[v], v);
    }
    double next = running.empty() ? std::numeric_limits<double>::infinity() : running.top().first;
    if (free > 0 && !arriving.empty()) {
      next = std::min(next, arriving.top().first);
    }
    now = next;
    while (!running.empty() && running.top().first <= now) {
      const auto [finish, v] = running.top();
      running.pop();
      ++free;
      ++done;
      end = std::max(end, finish + model.write[v]);
      for (const std::size_t x : model.consumers[v]) {
        available[x] = std::max(available[x], finish);
        if (--waiting[x] == 0) {
          arriving.emplace(available[x], x);
        }
      }
    }
  }
  return end;
}

// ParallelRunner's order in the model: the roots queued in plan order, ready nodes queued first
// in first out, and the worker that ends a node runs the first consumer it made ready itself,
// queueing the others. A worker that takes a node before its reads are in waits for them (the
// runner's worker reads). Simultaneous ends are taken worker by worker.
double runner_schedule(const Model& model) {
  const std::size_t n = model.size();
  std::deque<std::size_t> queue;
  std::vector<std::size_t> waiting(n);
  for (std::size_t v = 0; v < n; ++v) {
    waiting[v] = model.producers[v].size();
    if (waiting[v] == 0) {
      queue.push_back(v);
    }
  }
  using Running = std::tuple<double, std::size_t, std::size_t>;  // (end, worker, node)
  std::priority_queue<Running, std::vector<Running>, std::greater<>> running;
  std::vector<std::size_t> idle;
  double end = 0;
  auto start = [&](std::size_t worker, std::size_t v, double now) {
    running.emplace(std::max(now, model.release[v]) + model.compute[v], worker, v);
  };
  for (std::size_t worker = model.workers; worker-- > 0;) {
    idle.push_back(worker);
  }
  auto wake = [&](double now) {
    while (!idle.empty() && !queue.empty()) {
      start(idle.back(), queue.front(), now);
      idle.pop_back();
      queue.pop_front();
    }
  };
  wake(0);
  std::vector<std::size_t> made_ready;
  while (!running.empty()) {
    const auto [finish, worker, v] = running.top();
    running.pop();
    end = std::max(end, finish + model.write[v]);
    made_ready.clear();
    for (const std::size_t x : model.consumers[v]) {
      if (--waiting[x] == 0) {
        made_ready.push_back(x);
      }
    }
    if (!made_ready.empty()) {
      start(worker, made_ready.front(), finish);
      queue.insert(queue.end(), made_ready.begin() + 1, made_ready.end());
    } else if (!queue.empty()) {
      start(worker, queue.front(), finish);
      queue.pop_front();
    } else {
      idle.push_back(worker);
    }
    wake(finish);
  }
  return end;
}

SimulatedSchedule simulate(const Model& model, SchedulePriority priority) {
  const std::size_t n = model.size();
  std::vector<double> key(n);
  const std::vector<double> nodes = node_path(model);
  switch (priority) {
    case SchedulePriority::runner_fifo:
      return {"runner order", runner_schedule(model)};
    case SchedulePriority::longest_path:
      // The path's length first; the node count only breaks ties (it is below 1 part in 2^20).
      for (std::size_t v = 0; v < n; ++v) {
        key[v] = model.compute[v] + model.tail[v];
      }
      {
        std::vector<std::size_t> order(n);
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
          return key[a] != key[b] ? key[a] < key[b] : nodes[a] < nodes[b];
        });
        for (std::size_t rank = 0; rank < n; ++rank) {
          key[order[rank]] = static_cast<double>(rank);
        }
      }
      return {"longest path", list_schedule(model, key)};
    case SchedulePriority::longest_node_path: {
      std::vector<std::size_t> order(n);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const double path_a = model.compute[a] + model.tail[a];
        const double path_b = model.compute[b] + model.tail[b];
        return nodes[a] != nodes[b] ? nodes[a] < nodes[b] : path_a < path_b;
      });
      for (std::size_t rank = 0; rank < n; ++rank) {
        key[order[rank]] = static_cast<double>(rank);
      }
      return {"longest node path", list_schedule(model, key)};
    }
    case SchedulePriority::plan_order:
      for (std::size_t v = 0; v < n; ++v) {
        key[v] = -static_cast<double>(v);
      }
      return {"plan order", list_schedule(model, key)};
  }
  return {};
}

}  // namespace

double lower_bound(const Pipeline& pipeline, const BoundInputs& inputs) {
  return bound_of(model_of(pipeline, inputs));
}

std::optional<double> optimum(const Pipeline& pipeline, const BoundInputs& inputs,
                              const OptimumOptions& options) {
  Model model = model_of(pipeline, inputs);
  if (model.size() == 0) {
    return 0.0;
  }
  add_consumers(model);
  return Search(model, options).run(bound_of(model));
}

SimulatedSchedule simulate(const Pipeline& pipeline, const BoundInputs& inputs,
                           SchedulePriority priority) {
  Model model = model_of(pipeline, inputs);
  if (model.size() == 0) {
    return {"empty", 0};
  }
  add_consumers(model);
  return simulate(model, priority);
}

SimulatedSchedule best_schedule(const Pipeline& pipeline, const BoundInputs& inputs) {
  Model model = model_of(pipeline, inputs);
  if (model.size() == 0) {
    return {"empty", 0};
  }
  add_consumers(model);
  SimulatedSchedule best{"", std::numeric_limits<double>::infinity()};
  for (const SchedulePriority priority :
       {SchedulePriority::runner_fifo, SchedulePriority::longest_path,
        SchedulePriority::longest_node_path, SchedulePriority::plan_order}) {
    SimulatedSchedule schedule = simulate(model, priority);
    if (schedule.seconds < best.seconds) {
      best = std::move(schedule);
    }
  }
  // The longest path, each node's length scaled by up to 20 % at random: ties and near-ties of
  // the path broken otherwise, which on wide DAGs finds shorter schedules.
  std::mt19937_64 random(14);
  std::uniform_real_distribution<double> scale(0.8, 1.2);
  std::vector<double> key(model.size());
  for (std::size_t trial = 0; trial < kPerturbedSchedules; ++trial) {
    for (std::size_t v = 0; v < model.size(); ++v) {
      key[v] = (model.compute[v] + model.tail[v]) * scale(random);
    }
    const double seconds = list_schedule(model, key);
    if (seconds < best.seconds) {
      best = {"longest path (perturbed)", seconds};
    }
  }
  return best;
}

}  // namespace sluice::bench
