#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
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

}  // namespace sluice::bench
