#include <algorithm>
#include <functional>
#include <queue>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/log.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/core/util/suggest.hpp>

namespace sluice {

struct Pipeline::Impl {
  static constexpr std::size_t kNoProducer = static_cast<std::size_t>(-1);

  std::vector<Node> nodes;
  std::unordered_map<std::string_view, std::size_t> index_by_name;
  // Datasets by dense id, in order of first appearance in nodes().
  std::unordered_map<std::string_view, DatasetId> dataset_ids;
  std::vector<const std::string*> dataset_names;
  std::vector<std::size_t> producer;
  std::vector<std::vector<std::size_t>> consumers;
  std::vector<std::vector<DatasetId>> input_ids, output_ids;
  std::set<std::string> inputs, outputs, all_inputs, all_outputs, datasets, tags;
};

namespace {

struct Graph {
  std::unordered_map<std::string_view, std::size_t> producer;
  std::vector<std::vector<std::size_t>> successors;
  std::vector<std::size_t> in_degree;
};

Graph build_graph(const std::vector<Node>& nodes) {
  Graph graph;
  std::unordered_map<std::string_view, std::size_t> seen_names;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (auto [at, fresh] = seen_names.emplace(nodes[i].name(), i); !fresh) {
      throw PipelineError(fmt::format(
          "two nodes are named '{}'; node names must be unique within a pipeline (rename one, or "
          "give it a namespace)",
          nodes[i].name()));
    }
    for (const auto& output : nodes[i].outputs()) {
      if (auto [at, fresh] = graph.producer.emplace(output, i); !fresh) {
        throw PipelineError(fmt::format(
            "dataset '{}' is an output of both node '{}' and node '{}'; a dataset has exactly "
            "one producer",
            output, nodes[at->second].name(), nodes[i].name()));
      }
    }
  }
  graph.successors.resize(nodes.size());
  graph.in_degree.assign(nodes.size(), 0);
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    for (const auto& input : nodes[i].inputs()) {
      if (auto found = graph.producer.find(input); found != graph.producer.end()) {
        graph.successors[found->second].push_back(i);
        ++graph.in_degree[i];
      }
    }
  }
  return graph;
}

[[noreturn]] void throw_cycle(const std::vector<Node>& nodes, const Graph& graph,
                              const std::vector<std::size_t>& in_degree) {
  // Every node left has an unfinished producer among the nodes left: walk producers until one
  // repeats, which closes the cycle.
  std::size_t current = 0;
  while (in_degree[current] == 0) {
    ++current;
  }
  std::vector<std::size_t> path;
  std::vector<std::string_view> via;
  std::unordered_map<std::size_t, std::size_t> position;
  while (!position.contains(current)) {
    position.emplace(current, path.size());
    path.push_back(current);
    for (const auto& input : nodes[current].inputs()) {
      auto found = graph.producer.find(input);
      if (found != graph.producer.end() && in_degree[found->second] > 0) {
        via.push_back(input);
        current = found->second;
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

Pipeline::Pipeline(std::vector<Node> nodes) {
  const Graph graph = build_graph(nodes);

  // Kahn's algorithm; ready nodes leave in name order, so the order does not depend on how the
  // pipeline was assembled.
  auto later = [&nodes](std::size_t a, std::size_t b) { return nodes[a].name() > nodes[b].name(); };
  std::priority_queue<std::size_t, std::vector<std::size_t>, decltype(later)> ready(later);
  std::vector<std::size_t> in_degree = graph.in_degree;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (in_degree[i] == 0) {
      ready.push(i);
    }
  }
  std::vector<std::size_t> order;
  order.reserve(nodes.size());
  while (!ready.empty()) {
    const std::size_t next = ready.top();
    ready.pop();
    order.push_back(next);
    for (std::size_t successor : graph.successors[next]) {
      if (--in_degree[successor] == 0) {
        ready.push(successor);
      }
    }
  }
  if (order.size() != nodes.size()) {
    throw_cycle(nodes, graph, in_degree);
  }

  auto impl = std::make_shared<Impl>();
  impl->nodes.reserve(nodes.size());
  for (std::size_t i : order) {
    impl->nodes.push_back(std::move(nodes[i]));
  }
  // The maps view strings owned by the nodes, which live as long as the Impl.
  auto id_of = [&impl](const std::string& dataset) {
    auto [at, fresh] =
        impl->dataset_ids.try_emplace(dataset, static_cast<DatasetId>(impl->dataset_names.size()));
    if (fresh) {
      impl->dataset_names.push_back(&dataset);
      impl->producer.push_back(Impl::kNoProducer);
      impl->consumers.emplace_back();
    }
    return at->second;
  };
  impl->input_ids.resize(impl->nodes.size());
  impl->output_ids.resize(impl->nodes.size());
  for (std::size_t i = 0; i < impl->nodes.size(); ++i) {
    const Node& node = impl->nodes[i];
    impl->index_by_name.emplace(node.name(), i);
    for (const auto& input : node.inputs()) {
      const DatasetId id = id_of(input);
      impl->input_ids[i].push_back(id);
      auto& consumers = impl->consumers[id];
      if (consumers.empty() || consumers.back() != i) {
        consumers.push_back(i);
      }
      impl->all_inputs.insert(input);
    }
    for (const auto& output : node.outputs()) {
      const DatasetId id = id_of(output);
      impl->output_ids[i].push_back(id);
      impl->producer[id] = i;
      impl->all_outputs.insert(output);
    }
    impl->tags.insert(node.tags().begin(), node.tags().end());
  }
  std::set_difference(impl->all_inputs.begin(), impl->all_inputs.end(), impl->all_outputs.begin(),
                      impl->all_outputs.end(), std::inserter(impl->inputs, impl->inputs.end()));
  std::set_difference(impl->all_outputs.begin(), impl->all_outputs.end(), impl->all_inputs.begin(),
                      impl->all_inputs.end(), std::inserter(impl->outputs, impl->outputs.end()));
  std::set_union(impl->all_inputs.begin(), impl->all_inputs.end(), impl->all_outputs.begin(),
                 impl->all_outputs.end(), std::inserter(impl->datasets, impl->datasets.end()));
  impl_ = std::move(impl);
}

const std::vector<Node>& Pipeline::nodes() const {
  return impl_->nodes;
}
const std::set<std::string>& Pipeline::inputs() const {
  return impl_->inputs;
}
const std::set<std::string>& Pipeline::outputs() const {
  return impl_->outputs;
}
const std::set<std::string>& Pipeline::all_inputs() const {
  return impl_->all_inputs;
}
const std::set<std::string>& Pipeline::all_outputs() const {
  return impl_->all_outputs;
}
const std::set<std::string>& Pipeline::datasets() const {
  return impl_->datasets;
}
const std::set<std::string>& Pipeline::tags() const {
  return impl_->tags;
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
  auto found = impl_->index_by_name.find(name);
  return found == impl_->index_by_name.end() ? nullptr : &impl_->nodes[found->second];
}

std::size_t Pipeline::index_of(std::string_view name) const {
  if (auto found = impl_->index_by_name.find(name); found != impl_->index_by_name.end()) {
    return found->second;
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
  auto found = impl_->dataset_ids.find(dataset);
  if (found == impl_->dataset_ids.end()) {
    return std::nullopt;
  }
  return found->second;
}

const std::vector<Pipeline::DatasetId>& Pipeline::input_ids(std::size_t node) const {
  return impl_->input_ids[node];
}

const std::vector<Pipeline::DatasetId>& Pipeline::output_ids(std::size_t node) const {
  return impl_->output_ids[node];
}

std::optional<std::size_t> Pipeline::producer_of(DatasetId id) const {
  const std::size_t producer = impl_->producer.at(id);
  if (producer == Impl::kNoProducer) {
    return std::nullopt;
  }
  return producer;
}

const std::vector<std::size_t>& Pipeline::consumers_of(DatasetId id) const {
  return impl_->consumers.at(id);
}

std::optional<std::size_t> Pipeline::producer_of(std::string_view dataset) const {
  const auto id = dataset_id(dataset);
  return id ? producer_of(*id) : std::nullopt;
}

const std::vector<std::size_t>& Pipeline::consumers_of(std::string_view dataset) const {
  static const std::vector<std::size_t> none;
  const auto id = dataset_id(dataset);
  return id ? consumers_of(*id) : none;
}

std::vector<std::size_t> Pipeline::node_indices(const Names& names, std::string_view filter) const {
  std::vector<std::size_t> indices;
  std::vector<std::string> unknown;
  for (const auto& name : names.items) {
    if (auto found = impl_->index_by_name.find(name); found != impl_->index_by_name.end()) {
      indices.push_back(found->second);
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
      for (std::size_t consumer : impl_->consumers[output]) {
        visit(consumer);
      }
    }
  });
}

std::vector<bool> Pipeline::upstream(const std::vector<std::size_t>& starts) const {
  return reach(size(), starts, [this](std::size_t i, auto&& visit) {
    for (DatasetId input : impl_->input_ids[i]) {
      if (const std::size_t producer = impl_->producer[input]; producer != Impl::kNoProducer) {
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
void check_datasets_known(std::string_view filter, const Names& names,
                          const std::set<std::string>& known) {
  std::vector<std::string> unknown;
  for (const auto& name : names.items) {
    if (!known.contains(name)) {
      unknown.push_back(name);
    }
  }
  if (unknown.empty()) {
    return;
  }
  const std::vector<std::string> candidates(known.begin(), known.end());
  std::vector<std::string> described;
  for (const auto& name : unknown) {
    described.push_back(fmt::format("'{}'{}", name, did_you_mean(name, candidates)));
  }
  throw PipelineError(
      fmt::format("{}: the pipeline has no dataset named {}", filter, fmt::join(described, ", ")));
}

}  // namespace

std::vector<bool> Pipeline::select_from_inputs(const Names& datasets) const {
  check_datasets_known("from_inputs", datasets, impl_->datasets);
  std::vector<std::size_t> starts;
  for (const auto& dataset : datasets.items) {
    const auto& consumers = consumers_of(dataset);
    starts.insert(starts.end(), consumers.begin(), consumers.end());
  }
  return downstream(starts);
}

std::vector<bool> Pipeline::select_to_outputs(const Names& datasets) const {
  check_datasets_known("to_outputs", datasets, impl_->datasets);
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
  const std::vector<std::string> known(impl_->tags.begin(), impl_->tags.end());
  std::vector<std::string> unknown;
  for (const auto& tag : tags.items) {
    if (!impl_->tags.contains(tag)) {
      unknown.push_back(fmt::format("'{}'{}", tag, did_you_mean(tag, known)));
    }
  }
  if (!unknown.empty()) {
    const std::string message =
        fmt::format("only_nodes_with_tags: no node has the tag {}; tags in use: {}",
                    fmt::join(unknown, ", "), fmt::join(impl_->tags, ", "));
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
