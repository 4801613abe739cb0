#include <algorithm>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <queue>
#include <stdexcept>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/log.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/core/util/suggest.hpp>

namespace sluice {

namespace {

constexpr std::uint32_t kNone = static_cast<std::uint32_t>(-1);

// An open-addressing hash index from names to dense ids. It stores only ids (and a piece of
// each hash, to skip most string comparisons); the names live elsewhere (in the nodes) and are
// reached through `name_of(id)`, so every name is stored once. Up to 4 slots in 5 are used
// (10 bytes per name; any number of slots, the hash is mapped onto them by a multiplication).
class NameIndex {
 public:
  /// Room for `count` names without rehashing; only on an empty index.
  void reserve(std::size_t count) {
    const std::size_t capacity = capacity_for(count);
    if (size_ == 0 && capacity > slots_.size()) {
      slots_.assign(capacity, Slot{});
    }
  }

  /// The id stored under `name`, or nullopt.
  template <class NameOf>
  std::optional<std::uint32_t> find(std::string_view name, NameOf&& name_of) const {
    if (slots_.empty()) {
      return std::nullopt;
    }
    const std::size_t hash = std::hash<std::string_view>{}(name);
    const auto tag = static_cast<std::uint32_t>(hash >> 32);
    for (std::size_t at = slot_of(hash);; at = next(at)) {
      const Slot& slot = slots_[at];
      if (slot.id == kNone) {
        return std::nullopt;
      }
      if (slot.tag == tag && name_of(slot.id) == name) {
        return slot.id;
      }
    }
  }

  /// Starts loading the slot where a lookup of `name` begins (a hint: the table is far larger
  /// than the caches, and a lookup a few names ahead overlaps its cache miss with other work).
  void prefetch(std::string_view name) const {
    if (!slots_.empty()) {
      __builtin_prefetch(&slots_[slot_of(std::hash<std::string_view>{}(name))]);
    }
  }

  /// Stores `id` under `name` unless the name is there already; returns the id under the name
  /// and whether it was added.
  template <class NameOf>
  std::pair<std::uint32_t, bool> insert(std::string_view name, std::uint32_t id, NameOf&& name_of) {
    return insert(name, id, name_of, [&](std::uint32_t at) { return name_of(at) == name; });
  }

  /// The same, where `is_name(id)` tells whether `id` is stored under `name` (a caller that
  /// keeps a digest of each name can answer without reading the name).
  template <class NameOf, class IsName>
  std::pair<std::uint32_t, bool> insert(std::string_view name, std::uint32_t id, NameOf&& name_of,
                                        IsName&& is_name) {
    if (size_ + 1 > slots_.size() - slots_.size() / 5) {
      rehash(std::max(capacity_for(16), 2 * slots_.size()), name_of);
    }
    const std::size_t hash = std::hash<std::string_view>{}(name);
    const auto tag = static_cast<std::uint32_t>(hash >> 32);
    for (std::size_t at = slot_of(hash);; at = next(at)) {
      Slot& slot = slots_[at];
      if (slot.id == kNone) {
        slot = Slot{id, tag};
        ++size_;
        return {id, true};
      }
      if (slot.tag == tag && is_name(slot.id)) {
        return {slot.id, false};
      }
    }
  }

  /// Replaces every stored id by `renumbered[id]` (the names stay where they are).
  void renumber(const std::vector<std::uint32_t>& renumbered) {
    for (Slot& slot : slots_) {
      if (slot.id != kNone) {
        slot.id = renumbered[slot.id];
      }
    }
  }

 private:
  struct Slot {
    std::uint32_t id = kNone;
    std::uint32_t tag = 0;  // high half of the hash
  };

  // At most 4 in 5 slots used, and room for a few more names than asked for.
  static std::size_t capacity_for(std::size_t count) { return count + count / 4 + 16; }
  // The hash's low half scaled onto the slots (uniform for any number of slots).
  std::size_t slot_of(std::size_t hash) const {
    return static_cast<std::size_t>(
        (std::uint64_t{static_cast<std::uint32_t>(hash)} * std::uint64_t{slots_.size()}) >> 32);
  }
  std::size_t next(std::size_t at) const { return at + 1 == slots_.size() ? 0 : at + 1; }

  template <class NameOf>
  void rehash(std::size_t capacity, NameOf& name_of) {
    std::vector<Slot> old(capacity);
    old.swap(slots_);
    for (const Slot& slot : old) {
      if (slot.id != kNone) {
        std::size_t at = slot_of(std::hash<std::string_view>{}(name_of(slot.id)));
        while (slots_[at].id != kNone) {
          at = next(at);
        }
        slots_[at] = slot;
      }
    }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

// Rows of ids stored flat: row i is items[start[i]...start[i + 1]) (compressed sparse rows), so
// a million rows cost two arrays rather than a million small heap blocks.
struct Rows {
  std::vector<std::uint32_t> start;
  std::vector<std::uint32_t> items;

  std::span<const std::uint32_t> operator[](std::size_t row) const {
    return {items.data() + start[row], items.data() + start[row + 1]};
  }
  std::size_t row_count() const { return start.empty() ? 0 : start.size() - 1; }
};

}  // namespace

struct Pipeline::Impl {
  std::vector<Node> nodes;
  NameIndex node_index;  // node name -> position in nodes
  // Datasets by dense id, in order of first appearance in nodes(). The names are the nodes'
  // own strings, which live as long as the Impl.
  NameIndex dataset_index;
  std::vector<const std::string*> dataset_names;
  std::vector<std::uint32_t> producer;  // kNone: a free input
  Rows consumers;                       // by dataset id: node positions, ascending
  Rows input_ids, output_ids;           // by node position

  // The name sets are built on first use, each on its own: a run asks for inputs() only, and
  // a million-node pipeline should not hold three sorted copies of every dataset name.
  struct LazySet {
    std::once_flag once;
    std::set<std::string> names;
  };
  mutable LazySet inputs, outputs, all_inputs, all_outputs, datasets, tags;

  // What layers above derived from the pipeline (see Pipeline::derived), by type.
  mutable std::mutex derived_mutex;
  mutable std::vector<std::pair<const std::type_info*, std::shared_ptr<const void>>> derived;

  std::optional<std::uint32_t> node_position(std::string_view name) const {
    return node_index.find(name,
                           [this](std::uint32_t i) -> std::string_view { return nodes[i].name(); });
  }
  std::optional<std::uint32_t> dataset(std::string_view name) const {
    return dataset_index.find(
        name, [this](std::uint32_t id) -> std::string_view { return *dataset_names[id]; });
  }

  // The names of the datasets for which keep(id) holds, as a set.
  template <class Keep>
  const std::set<std::string>& dataset_set(LazySet& set, Keep keep) const {
    std::call_once(set.once, [&] {
      std::vector<std::string_view> names;
      for (DatasetId id = 0; id < dataset_names.size(); ++id) {
        if (keep(id)) {
          names.push_back(*dataset_names[id]);
        }
      }
      std::sort(names.begin(), names.end());
      for (std::string_view name : names) {
        set.names.emplace_hint(set.names.end(), name);
      }
    });
    return set.names;
  }
};

namespace {

// The inputs and outputs of each node by dataset id, in the order the nodes were given, with
// every dataset name interned once.
struct Graph {
  NameIndex node_index;
  NameIndex dataset_index;
  std::vector<const std::string*> dataset_names;
  std::vector<std::uint32_t> input_start, inputs;  // node i reads inputs[input_start[i]...]
  std::vector<std::uint32_t> output_start, outputs;
  std::vector<std::uint32_t> producer;
  // What the topological sort reads of each node, side by side (it reaches the nodes in an
  // order of their own, so each visit is one cache miss rather than three), and one more entry
  // whose successor_start ends the last node's successors.
  struct TopoNode {
    // The first 8 bytes of the name, big-endian and zero-padded: the sort compares these
    // before the names, without reaching into the (randomly placed) nodes.
    std::uint64_t name_prefix;
    std::uint32_t in_degree;        // inputs read from a producer
    std::uint32_t successor_start;  // the node's successors are successors[successor_start...]
  };
  std::vector<TopoNode> topo;
  std::vector<std::uint32_t> successors;
};

std::uint64_t name_prefix(std::string_view name) {
  std::uint64_t prefix = 0;
  for (std::size_t k = 0; k < 8; ++k) {
    prefix = (prefix << 8) | (k < name.size() ? static_cast<unsigned char>(name[k]) : 0U);
  }
  return prefix;
}

Graph build_graph(const std::vector<Node>& nodes) {
  Graph graph;
  const auto count = static_cast<std::uint32_t>(nodes.size());
  graph.node_index.reserve(count);
  graph.dataset_index.reserve(count);
  graph.input_start.reserve(count + 1);
  graph.output_start.reserve(count + 1);
  graph.topo.reserve(count + 1);
  auto node_name = [&nodes](std::uint32_t i) -> std::string_view { return nodes[i].name(); };
  auto dataset_name = [&graph](std::uint32_t id) -> std::string_view {
    return *graph.dataset_names[id];
  };
  // The first 8 bytes and the length of each dataset name by id, side by side (one cache line
  // per lookup): a name of at most 8 bytes (and most other misses) is compared here, without
  // reaching the randomly placed node that holds the name.
  struct Digest {
    std::uint64_t prefix;
    std::uint64_t length;
  };
  std::vector<Digest> dataset_digest;
  dataset_digest.reserve(count);
  auto intern = [&](const std::string& dataset) {
    const Digest digest{name_prefix(dataset), dataset.size()};
    auto [id, fresh] = graph.dataset_index.insert(
        dataset, static_cast<std::uint32_t>(graph.dataset_names.size()), dataset_name,
        [&](std::uint32_t at) {
          return dataset_digest[at].prefix == digest.prefix &&
                 dataset_digest[at].length == digest.length &&
                 (dataset.size() <= 8 || *graph.dataset_names[at] == dataset);
        });
    if (fresh) {
      graph.dataset_names.push_back(&dataset);
      graph.producer.push_back(kNone);
      dataset_digest.push_back(digest);
    }
    return id;
  };
  constexpr std::uint32_t kAhead = 8;  // nodes, for prefetching
  // One pass over the nodes, which are reached through pointers (and, in a large pipeline,
  // are spread over the heap): each is prefetched in steps ahead of its use, the node itself,
  // then its lists of names, then the index slots of those names.
  for (std::uint32_t i = 0; i < count; ++i) {
    if (i + 3 * kAhead < count) {
      __builtin_prefetch(&nodes[i + 3 * kAhead].name());
      __builtin_prefetch(&nodes[i + 3 * kAhead].outputs());
    }
    if (i + 2 * kAhead < count) {
      __builtin_prefetch(nodes[i + 2 * kAhead].inputs().data());
      __builtin_prefetch(nodes[i + 2 * kAhead].outputs().data());
    }
    if (i + kAhead < count) {
      graph.node_index.prefetch(nodes[i + kAhead].name());
      for (const auto& output : nodes[i + kAhead].outputs()) {
        graph.dataset_index.prefetch(output);
      }
      for (const auto& input : nodes[i + kAhead].inputs()) {
        graph.dataset_index.prefetch(input);
      }
    }
    if (auto [at, fresh] = graph.node_index.insert(nodes[i].name(), i, node_name); !fresh) {
      throw PipelineError(fmt::format(
          "two nodes are named '{}'; node names must be unique within a pipeline (rename one, or "
          "give it a namespace)",
          nodes[i].name()));
    }
    graph.topo.push_back(Graph::TopoNode{name_prefix(nodes[i].name()), 0, 0});
    graph.output_start.push_back(static_cast<std::uint32_t>(graph.outputs.size()));
    for (const auto& output : nodes[i].outputs()) {
      const std::uint32_t id = intern(output);
      if (graph.producer[id] != kNone) {
        throw PipelineError(fmt::format(
            "dataset '{}' is an output of both node '{}' and node '{}'; a dataset has exactly "
            "one producer",
            output, nodes[graph.producer[id]].name(), nodes[i].name()));
      }
      graph.producer[id] = i;
      graph.outputs.push_back(id);
    }
    // Inputs are interned in the same pass (an input may be produced by a later node: its id
    // is taken here, its producer set when that node comes).
    graph.input_start.push_back(static_cast<std::uint32_t>(graph.inputs.size()));
    for (const auto& input : nodes[i].inputs()) {
      graph.inputs.push_back(intern(input));
    }
  }
  graph.output_start.push_back(static_cast<std::uint32_t>(graph.outputs.size()));
  graph.input_start.push_back(static_cast<std::uint32_t>(graph.inputs.size()));

  // Successors (one per input read from a producer) as one array, grouped by producer.
  // Counted first: topo[p + 1].successor_start holds p's count until the prefix sum.
  graph.topo.push_back(Graph::TopoNode{0, 0, 0});
  for (std::uint32_t i = 0; i < count; ++i) {
    for (std::uint32_t k = graph.input_start[i]; k < graph.input_start[i + 1]; ++k) {
      if (const std::uint32_t producer = graph.producer[graph.inputs[k]]; producer != kNone) {
        ++graph.topo[producer + 1].successor_start;
        ++graph.topo[i].in_degree;
      }
    }
  }
  std::vector<std::uint32_t> filled(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    graph.topo[i + 1].successor_start += graph.topo[i].successor_start;
    filled[i] = graph.topo[i].successor_start;
  }
  graph.successors.resize(graph.topo[count].successor_start);
  for (std::uint32_t i = 0; i < count; ++i) {
    for (std::uint32_t k = graph.input_start[i]; k < graph.input_start[i + 1]; ++k) {
      if (const std::uint32_t producer = graph.producer[graph.inputs[k]]; producer != kNone) {
        graph.successors[filled[producer]++] = i;
      }
    }
  }
  return graph;
}

[[noreturn]] void throw_cycle(const std::vector<Node>& nodes, const Graph& graph,
                              const std::vector<Graph::TopoNode>& topo) {
  // Every node left has an unfinished producer among the nodes left: walk producers until one
  // repeats, which closes the cycle.
  std::uint32_t current = 0;
  while (topo[current].in_degree == 0) {
    ++current;
  }
  std::vector<std::uint32_t> path;
  std::vector<std::string_view> via;
  std::unordered_map<std::uint32_t, std::size_t> position;
  while (!position.contains(current)) {
    position.emplace(current, path.size());
    path.push_back(current);
    for (std::uint32_t k = graph.input_start[current]; k < graph.input_start[current + 1]; ++k) {
      const std::uint32_t producer = graph.producer[graph.inputs[k]];
      if (producer != kNone && topo[producer].in_degree > 0) {
        via.push_back(*graph.dataset_names[graph.inputs[k]]);
        current = producer;
        break;
      }
    }
  }
  // path[k] consumes via[k], produced by path[k + 1]; print it in data-flow order.
  std::string cycle = nodes[current].name();
  for (std::size_t k = path.size(); k-- > position[current];) {
    cycle += fmt::format(" -> [{}] -> {}", via[k], nodes[path[k]].name());
  }
  throw PipelineError(
      fmt::format("the pipeline has a cycle: {}; a node cannot depend on its own outputs", cycle));
}

}  // namespace

Pipeline::Pipeline() : impl_(std::make_shared<const Impl>()) {}

Pipeline::Pipeline(std::initializer_list<Node> nodes) : Pipeline(std::vector<Node>(nodes)) {}

Pipeline::Pipeline(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

std::shared_ptr<const void> Pipeline::derived(
    const std::type_info& type, const std::function<std::shared_ptr<const void>()>& make) const {
  const std::lock_guard lock(impl_->derived_mutex);
  for (const auto& [made_type, value] : impl_->derived) {
    if (*made_type == type) {
      return value;
    }
  }
  std::shared_ptr<const void> value = make();
  impl_->derived.emplace_back(&type, value);
  return value;
}

Pipeline::Pipeline(std::vector<Node> nodes) {
  Graph graph = build_graph(nodes);
  const auto count = static_cast<std::uint32_t>(nodes.size());

  // Kahn's algorithm; ready nodes leave in name order, so the order does not depend on how the
  // pipeline was assembled. Each entry carries the first 8 bytes of the name, so most
  // comparisons do not reach the node's string, and where the node's successors start, so the
  // next node's can be fetched while this one's are visited.
  struct Ready {
    std::uint64_t prefix;
    std::uint32_t node;
    std::uint32_t successor_start;
  };
  std::vector<Graph::TopoNode>& topo = graph.topo;
  auto ready_entry = [&topo](std::uint32_t i) {
    return Ready{topo[i].name_prefix, i, topo[i].successor_start};
  };
  auto later = [&nodes](const Ready& a, const Ready& b) {
    return a.prefix != b.prefix ? a.prefix > b.prefix : nodes[a.node].name() > nodes[b.node].name();
  };
  std::priority_queue<Ready, std::vector<Ready>, decltype(later)> ready(later);
  for (std::uint32_t i = 0; i < count; ++i) {
    if (topo[i].in_degree == 0) {
      ready.push(ready_entry(i));
    }
  }
  std::vector<std::uint32_t> order;
  order.reserve(count);
  while (!ready.empty()) {
    const Ready next = ready.top();
    ready.pop();
    order.push_back(next.node);
    if (!ready.empty()) {
      // Most often the next node to leave (unless a successor of this one comes first).
      __builtin_prefetch(graph.successors.data() + ready.top().successor_start);
      __builtin_prefetch(&topo[ready.top().node + 1]);
    }
    const std::uint32_t end = topo[next.node + 1].successor_start;
    for (std::uint32_t k = next.successor_start; k < end; ++k) {
      __builtin_prefetch(&topo[graph.successors[k]]);
    }
    for (std::uint32_t k = next.successor_start; k < end; ++k) {
      if (--topo[graph.successors[k]].in_degree == 0) {
        ready.push(ready_entry(graph.successors[k]));
      }
    }
  }
  if (order.size() != count) {
    throw_cycle(nodes, graph, topo);
  }
  graph.successors = {};
  graph.topo = {};

  // Renumber nodes by position and datasets by first appearance in that order (inputs before
  // outputs, node by node). The names stay in the nodes' strings.
  auto impl = std::make_shared<Impl>();
  const std::size_t dataset_count = graph.dataset_names.size();
  std::vector<std::uint32_t> position(count);
  std::vector<std::uint32_t> dataset_id(dataset_count, kNone);
  impl->dataset_names.reserve(dataset_count);
  impl->producer.assign(dataset_count, kNone);
  impl->input_ids.start.reserve(count + 1);
  impl->input_ids.items.reserve(graph.inputs.size());
  impl->output_ids.start.reserve(count + 1);
  impl->output_ids.items.reserve(graph.outputs.size());
  auto renumbered = [&](std::uint32_t old) {
    if (dataset_id[old] == kNone) {
      dataset_id[old] = static_cast<std::uint32_t>(impl->dataset_names.size());
      impl->dataset_names.push_back(graph.dataset_names[old]);
    }
    return dataset_id[old];
  };
  for (std::uint32_t i = 0; i < count; ++i) {
    if (i + 8 < count) {
      __builtin_prefetch(&graph.input_start[order[i + 8]]);
      __builtin_prefetch(&graph.output_start[order[i + 8]]);
    }
    if (i + 4 < count) {
      __builtin_prefetch(graph.inputs.data() + graph.input_start[order[i + 4]]);
      __builtin_prefetch(graph.outputs.data() + graph.output_start[order[i + 4]]);
    }
    if (i + 2 < count) {
      const std::uint32_t ahead = order[i + 2];
      for (std::uint32_t k = graph.input_start[ahead]; k < graph.input_start[ahead + 1]; ++k) {
        __builtin_prefetch(&dataset_id[graph.inputs[k]]);
      }
      for (std::uint32_t k = graph.output_start[ahead]; k < graph.output_start[ahead + 1]; ++k) {
        __builtin_prefetch(&dataset_id[graph.outputs[k]]);
      }
    }
    const std::uint32_t old = order[i];
    position[old] = i;
    impl->input_ids.start.push_back(static_cast<std::uint32_t>(impl->input_ids.items.size()));
    for (std::uint32_t k = graph.input_start[old]; k < graph.input_start[old + 1]; ++k) {
      impl->input_ids.items.push_back(renumbered(graph.inputs[k]));
    }
    impl->output_ids.start.push_back(static_cast<std::uint32_t>(impl->output_ids.items.size()));
    for (std::uint32_t k = graph.output_start[old]; k < graph.output_start[old + 1]; ++k) {
      const DatasetId id = renumbered(graph.outputs[k]);
      impl->output_ids.items.push_back(id);
      impl->producer[id] = i;
    }
  }
  impl->input_ids.start.push_back(static_cast<std::uint32_t>(impl->input_ids.items.size()));
  impl->output_ids.start.push_back(static_cast<std::uint32_t>(impl->output_ids.items.size()));

  // Consumers by dataset, ascending: count, then fill in node order. A node that reads a
  // dataset twice consumes it once (`last_reader` skips its second read).
  std::vector<std::uint32_t>& consumer_start = impl->consumers.start;
  consumer_start.assign(dataset_count + 1, 0);
  {
    std::vector<std::uint32_t> last_reader(dataset_count, kNone);
    for (std::uint32_t i = 0; i < count; ++i) {
      for (const DatasetId id : impl->input_ids[i]) {
        if (last_reader[id] != i) {
          last_reader[id] = i;
          ++consumer_start[id + 1];
        }
      }
    }
  }
  for (std::size_t id = 0; id < dataset_count; ++id) {
    consumer_start[id + 1] += consumer_start[id];
  }
  impl->consumers.items.resize(consumer_start[dataset_count]);
  {
    std::vector<std::uint32_t> filled(consumer_start.begin(), consumer_start.end() - 1);
    for (std::uint32_t i = 0; i < count; ++i) {
      for (const DatasetId id : impl->input_ids[i]) {
        if (filled[id] == consumer_start[id] || impl->consumers.items[filled[id] - 1] != i) {
          impl->consumers.items[filled[id]++] = i;
        }
      }
    }
  }
  graph.node_index.renumber(position);
  graph.dataset_index.renumber(dataset_id);
  impl->node_index = std::move(graph.node_index);
  impl->dataset_index = std::move(graph.dataset_index);
  impl->nodes.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    if (i + 8 < count) {
      __builtin_prefetch(&nodes[order[i + 8]]);
    }
    impl->nodes.push_back(std::move(nodes[order[i]]));
  }
  impl_ = std::move(impl);
}

const std::vector<Node>& Pipeline::nodes() const {
  return impl_->nodes;
}
const std::set<std::string>& Pipeline::inputs() const {
  return impl_->dataset_set(impl_->inputs, [this](DatasetId id) {
    return impl_->producer[id] == kNone && !impl_->consumers[id].empty();
  });
}
const std::set<std::string>& Pipeline::outputs() const {
  return impl_->dataset_set(impl_->outputs, [this](DatasetId id) {
    return impl_->producer[id] != kNone && impl_->consumers[id].empty();
  });
}
const std::set<std::string>& Pipeline::all_inputs() const {
  return impl_->dataset_set(impl_->all_inputs,
                            [this](DatasetId id) { return !impl_->consumers[id].empty(); });
}
const std::set<std::string>& Pipeline::all_outputs() const {
  return impl_->dataset_set(impl_->all_outputs,
                            [this](DatasetId id) { return impl_->producer[id] != kNone; });
}
const std::set<std::string>& Pipeline::datasets() const {
  return impl_->dataset_set(impl_->datasets, [](DatasetId) { return true; });
}
const std::set<std::string>& Pipeline::tags() const {
  std::call_once(impl_->tags.once, [this] {
    for (const auto& node : impl_->nodes) {
      impl_->tags.names.insert(node.tags().begin(), node.tags().end());
    }
  });
  return impl_->tags.names;
}

std::vector<std::string> Pipeline::node_names() const {
  std::vector<std::string> names;
  names.reserve(size());
  for (const auto& node : nodes()) {
    names.push_back(node.name());
  }
  return names;
}

const Node* Pipeline::find_node(std::string_view name) const {
  const auto found = impl_->node_position(name);
  return found ? &impl_->nodes[*found] : nullptr;
}

std::size_t Pipeline::index_of(std::string_view name) const {
  if (const auto found = impl_->node_position(name)) {
    return *found;
  }
  throw PipelineError(
      fmt::format("the pipeline has no node named '{}'{}", name, did_you_mean(name, node_names())));
}

std::size_t Pipeline::dataset_count() const {
  return impl_->dataset_names.size();
}

const std::string& Pipeline::dataset_name(DatasetId id) const {
  return *impl_->dataset_names.at(id);
}

std::optional<Pipeline::DatasetId> Pipeline::dataset_id(std::string_view dataset) const {
  return impl_->dataset(dataset);
}

std::span<const Pipeline::DatasetId> Pipeline::input_ids(std::size_t node) const {
  return impl_->input_ids[node];
}

std::span<const Pipeline::DatasetId> Pipeline::output_ids(std::size_t node) const {
  return impl_->output_ids[node];
}

std::optional<std::size_t> Pipeline::producer_of(DatasetId id) const {
  const std::uint32_t producer = impl_->producer.at(id);
  if (producer == kNone) {
    return std::nullopt;
  }
  return producer;
}

std::span<const std::uint32_t> Pipeline::consumers_of(DatasetId id) const {
  if (id >= impl_->consumers.row_count()) {
    throw std::out_of_range(fmt::format("dataset id {} is out of range (the pipeline has {})", id,
                                        impl_->consumers.row_count()));
  }
  return impl_->consumers[id];
}

std::optional<std::size_t> Pipeline::producer_of(std::string_view dataset) const {
  const auto id = dataset_id(dataset);
  return id ? producer_of(*id) : std::nullopt;
}

std::span<const std::uint32_t> Pipeline::consumers_of(std::string_view dataset) const {
  const auto id = dataset_id(dataset);
  return id ? consumers_of(*id) : std::span<const std::uint32_t>{};
}

std::vector<std::size_t> Pipeline::node_indices(const Names& names, std::string_view filter) const {
  std::vector<std::size_t> indices;
  std::vector<std::string> unknown;
  for (const auto& name : names.items) {
    if (const auto found = impl_->node_position(name)) {
      indices.push_back(*found);
    } else {
      unknown.push_back(fmt::format("'{}'{}", name, did_you_mean(name, node_names())));
    }
  }
  if (!unknown.empty()) {
    throw PipelineError(
        fmt::format("{}: the pipeline has no node named {}", filter, fmt::join(unknown, ", ")));
  }
  return indices;
}

namespace {

// Nodes reachable from `starts`, where `neighbours(i, visit)` calls visit for each next node.
template <class Neighbours>
std::vector<bool> reach(std::size_t node_count, const std::vector<std::size_t>& starts,
                        Neighbours&& neighbours) {
  std::vector<bool> reached(node_count, false);
  std::vector<std::size_t> stack = starts;
  while (!stack.empty()) {
    const std::size_t i = stack.back();
    stack.pop_back();
    if (!reached[i]) {
      reached[i] = true;
      neighbours(i, [&stack](std::size_t next) { stack.push_back(next); });
    }
  }
  return reached;
}

}  // namespace

std::vector<bool> Pipeline::downstream(const std::vector<std::size_t>& starts) const {
  return reach(size(), starts, [this](std::size_t i, auto&& visit) {
    for (DatasetId output : impl_->output_ids[i]) {
      for (const std::uint32_t consumer : impl_->consumers[output]) {
        visit(consumer);
      }
    }
  });
}

std::vector<bool> Pipeline::upstream(const std::vector<std::size_t>& starts) const {
  return reach(size(), starts, [this](std::size_t i, auto&& visit) {
    for (DatasetId input : impl_->input_ids[i]) {
      if (const std::uint32_t producer = impl_->producer[input]; producer != kNone) {
        visit(producer);
      }
    }
  });
}

Pipeline Pipeline::keep(const std::vector<bool>& selected) const {
  std::vector<Node> kept;
  for (std::size_t i = 0; i < size(); ++i) {
    if (selected[i]) {
      kept.push_back(impl_->nodes[i]);
    }
  }
  return Pipeline(std::move(kept));
}

std::vector<bool> Pipeline::select_nodes(const Names& names) const {
  std::vector<bool> selected(size(), false);
  for (std::size_t i : node_indices(names, "only_nodes")) {
    selected[i] = true;
  }
  return selected;
}

Pipeline Pipeline::only_nodes(const Names& names) const {
  return keep(select_nodes(names));
}

Pipeline Pipeline::from_nodes(const Names& names) const {
  return keep(downstream(node_indices(names, "from_nodes")));
}

Pipeline Pipeline::to_nodes(const Names& names) const {
  return keep(upstream(node_indices(names, "to_nodes")));
}

namespace {

// Like Kedro, any dataset of the pipeline may start or end a selection; only names the
// pipeline does not have are errors.
void check_datasets_known(std::string_view filter, const Names& names, const Pipeline& pipeline) {
  std::vector<std::string> unknown;
  for (const auto& name : names.items) {
    if (!pipeline.dataset_id(name)) {
      unknown.push_back(name);
    }
  }
  if (unknown.empty()) {
    return;
  }
  const std::vector<std::string> candidates(pipeline.datasets().begin(), pipeline.datasets().end());
  std::vector<std::string> described;
  for (const auto& name : unknown) {
    described.push_back(fmt::format("'{}'{}", name, did_you_mean(name, candidates)));
  }
  throw PipelineError(
      fmt::format("{}: the pipeline has no dataset named {}", filter, fmt::join(described, ", ")));
}

}  // namespace

std::vector<bool> Pipeline::select_from_inputs(const Names& datasets) const {
  check_datasets_known("from_inputs", datasets, *this);
  std::vector<std::size_t> starts;
  for (const auto& dataset : datasets.items) {
    const auto& consumers = consumers_of(dataset);
    starts.insert(starts.end(), consumers.begin(), consumers.end());
  }
  return downstream(starts);
}

std::vector<bool> Pipeline::select_to_outputs(const Names& datasets) const {
  check_datasets_known("to_outputs", datasets, *this);
  std::vector<std::size_t> starts;
  for (const auto& dataset : datasets.items) {
    if (auto producer = producer_of(dataset)) {
      starts.push_back(*producer);
    }
  }
  return upstream(starts);
}

Pipeline Pipeline::from_inputs(const Names& datasets) const {
  return keep(select_from_inputs(datasets));
}

Pipeline Pipeline::to_outputs(const Names& datasets) const {
  return keep(select_to_outputs(datasets));
}

std::vector<bool> Pipeline::select_tags(const Names& tags) const {
  const std::set<std::string>& in_use = this->tags();
  const std::vector<std::string> known(in_use.begin(), in_use.end());
  std::vector<std::string> unknown;
  for (const auto& tag : tags.items) {
    if (!in_use.contains(tag)) {
      unknown.push_back(fmt::format("'{}'{}", tag, did_you_mean(tag, known)));
    }
  }
  if (!unknown.empty()) {
    const std::string message =
        fmt::format("only_nodes_with_tags: no node has the tag {}; tags in use: {}",
                    fmt::join(unknown, ", "), fmt::join(in_use, ", "));
    // Kedro ignores unknown tags; a list where none matches is surely a mistake, one where
    // some match may be a list shared between pipelines.
    if (unknown.size() == tags.items.size()) {
      throw PipelineError(message);
    }
    logger().warn("{}; keeping the nodes with the other tags", message);
  }
  std::vector<bool> selected(size(), false);
  for (std::size_t i = 0; i < size(); ++i) {
    for (const auto& tag : tags.items) {
      selected[i] = selected[i] || impl_->nodes[i].has_tag(tag);
    }
  }
  return selected;
}

std::set<std::string> Pipeline::namespaces() const {
  std::set<std::string> found;
  for (const auto& node : impl_->nodes) {
    const std::string& space = node.namespace_name();
    for (std::size_t dot = space.find('.'); dot != std::string::npos;
         dot = space.find('.', dot + 1)) {
      found.insert(space.substr(0, dot));
    }
    if (!space.empty()) {
      found.insert(space);
    }
  }
  return found;
}

std::vector<bool> Pipeline::select_namespaces(const Names& namespaces) const {
  const std::set<std::string> in_use = this->namespaces();
  const std::vector<std::string> known(in_use.begin(), in_use.end());
  for (const auto& space : namespaces.items) {
    if (!in_use.contains(space)) {
      throw PipelineError(fmt::format(
          "namespaces: no node is in the namespace '{}'{}; namespaces in use: {}", space,
          did_you_mean(space, known),
          known.empty() ? std::string("none") : fmt::format("{}", fmt::join(known, ", "))));
    }
  }
  std::vector<bool> selected(size(), false);
  for (std::size_t i = 0; i < size(); ++i) {
    const std::string& space = impl_->nodes[i].namespace_name();
    for (const auto& wanted : namespaces.items) {
      selected[i] = selected[i] || space == wanted ||
                    (space.size() > wanted.size() && space.starts_with(wanted) &&
                     space[wanted.size()] == '.');
    }
  }
  return selected;
}

Pipeline Pipeline::only_nodes_with_namespaces(const Names& namespaces) const {
  return keep(select_namespaces(namespaces));
}

Pipeline Pipeline::only_nodes_with_tags(const Names& tags) const {
  return keep(select_tags(tags));
}

Pipeline Pipeline::filter(const PipelineFilter& filter) const {
  struct Condition {
    const char* name;
    const std::vector<std::string>& values;
    std::function<std::vector<bool>()> select;
  };
  const Condition conditions[] = {
      {"tags", filter.tags, [&] { return select_tags(filter.tags); }},
      {"from_nodes", filter.from_nodes,
       [&] { return downstream(node_indices(filter.from_nodes, "from_nodes")); }},
      {"to_nodes", filter.to_nodes,
       [&] { return upstream(node_indices(filter.to_nodes, "to_nodes")); }},
      {"nodes", filter.nodes, [&] { return select_nodes(filter.nodes); }},
      {"from_inputs", filter.from_inputs, [&] { return select_from_inputs(filter.from_inputs); }},
      {"to_outputs", filter.to_outputs, [&] { return select_to_outputs(filter.to_outputs); }},
      {"namespaces", filter.namespaces, [&] { return select_namespaces(filter.namespaces); }},
  };
  // Each condition selects from the whole pipeline; a node stays when all of them select it.
  std::vector<bool> kept(size(), true);
  std::vector<std::string> selections;
  for (const auto& condition : conditions) {
    if (condition.values.empty()) {
      continue;
    }
    const std::vector<bool> selected = condition.select();
    std::vector<std::string> names;
    for (std::size_t i = 0; i < size(); ++i) {
      kept[i] = kept[i] && selected[i];
      if (selected[i]) {
        names.push_back(impl_->nodes[i].name());
      }
    }
    selections.push_back(
        fmt::format("{} [{}] selects {}", condition.name, fmt::join(condition.values, ", "),
                    names.empty() ? "no node" : fmt::format("{}", fmt::join(names, ", "))));
  }
  Pipeline result = keep(kept);
  if (result.empty()) {
    if (selections.empty()) {
      throw PipelineError("the pipeline has no nodes");
    }
    throw PipelineError(fmt::format(
        "no node is left to run: {}{}", fmt::join(selections, "; "),
        selections.size() > 1
            ? "; filters are combined as in Kedro: a node runs only when every filter selects it"
            : ""));
  }
  return result;
}

Pipeline PipelineFilter::apply(const Pipeline& pipeline) const {
  return pipeline.filter(*this);
}

Pipeline Pipeline::operator+(const Pipeline& other) const {
  std::vector<Node> merged = nodes();
  for (const auto& node : other.nodes()) {
    const Node* mine = find_node(node.name());
    if (mine == nullptr) {
      merged.push_back(node);
    } else if (!mine->same_as(node) &&
               (mine->inputs() != node.inputs() || mine->outputs() != node.outputs())) {
      throw PipelineError(fmt::format(
          "cannot combine pipelines: both have a node named '{}', with different inputs or "
          "outputs; rename one of them or give it a namespace",
          node.name()));
    }
  }
  return Pipeline(std::move(merged));
}

Pipeline Pipeline::operator-(const Pipeline& other) const {
  std::vector<bool> selected(size(), true);
  for (std::size_t i = 0; i < size(); ++i) {
    selected[i] = other.find_node(impl_->nodes[i].name()) == nullptr;
  }
  return keep(selected);
}

}  // namespace sluice
