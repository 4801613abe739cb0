#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include <sluice/core/export.hpp>
#include <sluice/core/names.hpp>
#include <sluice/core/node.hpp>

namespace sluice {

class Pipeline;

/// Which part of a pipeline to run, as the arguments of Kedro's `Pipeline.filter`: each
/// non-empty list is one condition (the filter of the same name), applied to the whole
/// pipeline; a node is kept when it meets every condition. So the order of the conditions does
/// not matter, and `tags={"preprocessing"}, to_nodes={"report"}` keeps the preprocessing nodes
/// that `report` depends on.
struct SLUICE_API PipelineFilter {
  std::vector<std::string> tags = {};
  std::vector<std::string> from_nodes = {};
  std::vector<std::string> to_nodes = {};
  std::vector<std::string> nodes = {};
  std::vector<std::string> from_inputs = {};
  std::vector<std::string> to_outputs = {};
  /// Nodes in one of these namespaces, or in a namespace inside one (`model` keeps
  /// `model.train.fit`): Kedro's `--namespaces`.
  std::vector<std::string> namespaces = {};

  /// `pipeline.filter(*this)`.
  Pipeline apply(const Pipeline& pipeline) const;
};

/// An immutable, validated DAG of nodes.
///
/// Construction rejects duplicate node names, datasets produced by two nodes, and cycles (the
/// message shows the cycle). Nodes are kept in a deterministic topological order: among the
/// nodes ready to run, the smallest name comes first. Every node and dataset name is stored
/// once, in the nodes; the producer/consumer index (by dense dataset id) is computed at
/// construction, the name sets (inputs(), datasets(), ...) on first use. Copies share the same
/// data, and any number of threads may read one pipeline at once.
class SLUICE_API Pipeline {
 public:
  /// Datasets are numbered 0..dataset_count()-1 in order of first appearance in nodes().
  using DatasetId = std::uint32_t;

  Pipeline();
  Pipeline(std::vector<Node> nodes);
  Pipeline(std::initializer_list<Node> nodes);

  /// Nodes in topological order.
  const std::vector<Node>& nodes() const;
  std::size_t size() const { return nodes().size(); }
  bool empty() const { return nodes().empty(); }
  std::vector<std::string> node_names() const;

  /// Free inputs: consumed by some node, produced by none (parameters included).
  const std::set<std::string>& inputs() const;
  /// Free outputs: produced by some node, consumed by none.
  const std::set<std::string>& outputs() const;
  const std::set<std::string>& all_inputs() const;
  const std::set<std::string>& all_outputs() const;
  /// Every dataset a node reads or writes.
  const std::set<std::string>& datasets() const;
  const std::set<std::string>& tags() const;

  const Node* find_node(std::string_view name) const;
  /// Position of the node in nodes(); PipelineError with close matches when unknown.
  std::size_t index_of(std::string_view name) const;
  /// Position of the producer of `dataset`, if a node produces it.
  std::optional<std::size_t> producer_of(std::string_view dataset) const;
  /// Positions of the nodes that consume `dataset`, ascending (empty for unknown datasets).
  std::span<const std::uint32_t> consumers_of(std::string_view dataset) const;

  /// The dense dataset index, for schedulers that must not hash names per node.
  std::size_t dataset_count() const;
  const std::string& dataset_name(DatasetId id) const;
  std::optional<DatasetId> dataset_id(std::string_view dataset) const;
  /// The ids of a node's inputs and outputs, in declaration order. The spans (and those of
  /// consumers_of) view arrays of the pipeline, valid as long as one copy of it lives.
  std::span<const DatasetId> input_ids(std::size_t node) const;
  std::span<const DatasetId> output_ids(std::size_t node) const;
  std::optional<std::size_t> producer_of(DatasetId id) const;
  std::span<const std::uint32_t> consumers_of(DatasetId id) const;

  /// Data a layer above core derives from this pipeline (the runners' Plan): made by `make`
  /// (returning std::shared_ptr<const T>) on the first call for T, then kept with the pipeline
  /// and shared by its copies, so a pipeline run many times derives it once. Thread-safe.
  /// What `make` returns must not hold the pipeline (that would be a cycle).
  template <class T, class Make>
  std::shared_ptr<const T> derived(Make&& make) const {
    return std::static_pointer_cast<const T>(
        derived(typeid(T), [&make]() -> std::shared_ptr<const void> { return make(); }));
  }
  /// Identifies this pipeline's definition, shared by its copies and expired when the last is
  /// gone: a key for caches kept elsewhere (the catalog's binding of a pipeline's datasets).
  std::weak_ptr<const void> identity() const { return impl_; }

  /// Exactly the named nodes.
  Pipeline only_nodes(const Names& names) const;
  /// The named nodes and everything downstream of them.
  Pipeline from_nodes(const Names& names) const;
  /// The named nodes and everything upstream of them.
  Pipeline to_nodes(const Names& names) const;
  /// Nodes that depend, directly or transitively, on the named datasets (any dataset of the
  /// pipeline: a free output selects nothing).
  Pipeline from_inputs(const Names& datasets) const;
  /// Nodes needed to produce the named datasets (any dataset of the pipeline: a free input
  /// selects nothing).
  Pipeline to_outputs(const Names& datasets) const;
  /// Nodes carrying at least one of the tags. A tag no node carries is logged as a warning
  /// when others match, and an error when none does.
  Pipeline only_nodes_with_tags(const Names& tags) const;
  /// Nodes in one of the namespaces or a namespace inside one; PipelineError listing the
  /// namespaces in use when one of them has no node.
  Pipeline only_nodes_with_namespaces(const Names& namespaces) const;
  /// The namespaces of the nodes, and every namespace around them (`a.b` gives `a` and `a.b`).
  std::set<std::string> namespaces() const;
  /// The nodes meeting every condition of `filter` (see PipelineFilter), like Kedro's
  /// `Pipeline.filter`. Unknown names are errors as in the single filters; PipelineError when
  /// no node is left, showing what each condition selected.
  Pipeline filter(const PipelineFilter& filter) const;

  /// Union. A node present in both (same definition, or same name, inputs and outputs) counts
  /// once; two different nodes with one name are an error.
  Pipeline operator+(const Pipeline& other) const;
  /// The nodes of this pipeline whose names are not in `other`.
  Pipeline operator-(const Pipeline& other) const;

 private:
  struct Impl;
  explicit Pipeline(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const void> derived(
      const std::type_info& type, const std::function<std::shared_ptr<const void>()>& make) const;
  Pipeline keep(const std::vector<bool>& selected) const;
  std::vector<std::size_t> node_indices(const Names& names, std::string_view filter) const;
  std::vector<bool> select_nodes(const Names& names) const;
  std::vector<bool> select_from_inputs(const Names& datasets) const;
  std::vector<bool> select_to_outputs(const Names& datasets) const;
  std::vector<bool> select_tags(const Names& tags) const;
  std::vector<bool> select_namespaces(const Names& namespaces) const;
  std::vector<bool> downstream(const std::vector<std::size_t>& starts) const;
  std::vector<bool> upstream(const std::vector<std::size_t>& starts) const;

  std::shared_ptr<const Impl> impl_;
};

}  // namespace sluice
