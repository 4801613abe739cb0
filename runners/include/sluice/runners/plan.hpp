#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <sluice/core/export.hpp>
#include <sluice/core/pipeline.hpp>

namespace sluice {

/// What every runner needs to schedule a pipeline, computed in O(nodes + edges) from the
/// pipeline's dataset index (no name is hashed): each node's distinct inputs and its outputs by
/// dataset id, how many nodes consume each dataset, and which datasets are free inputs and free
/// outputs (kept after the run). Computed once per pipeline and kept with it (Pipeline::derived),
/// so a pipeline run many times is planned once; a Plan is a cheap handle on that.
class SLUICE_API Plan {
 public:
  using DatasetId = Pipeline::DatasetId;

  explicit Plan(Pipeline pipeline);

  const Pipeline& pipeline() const { return pipeline_; }
  std::size_t node_count() const { return pipeline_.size(); }
  std::size_t dataset_count() const { return pipeline_.dataset_count(); }

  const std::string& dataset_name(DatasetId id) const { return pipeline_.dataset_name(id); }
  /// Distinct datasets node `node` reads (a dataset read twice by one node counts once).
  std::span<const DatasetId> inputs_of(std::size_t node) const {
    return {data_->inputs.data() + data_->input_start[node],
            data_->input_start[node + 1] - data_->input_start[node]};
  }
  std::span<const DatasetId> outputs_of(std::size_t node) const {
    return pipeline_.output_ids(node);
  }
  /// The most nodes on a path from `node` to a node nothing reads from, `node` included: the
  /// parallel runner starts the ready node with the most first (the longest path first).
  std::uint32_t path_nodes(std::size_t node) const { return data_->path_nodes[node]; }
  /// Number of nodes that read the dataset.
  std::uint32_t consumer_count(DatasetId id) const { return data_->consumers[id]; }
  /// Free outputs survive the run; everything else is released after its last consumer.
  bool is_free_output(DatasetId id) const { return (data_->kind[id] & kFreeOutput) != 0; }
  /// No node of the pipeline produces it.
  bool is_free_input(DatasetId id) const { return (data_->kind[id] & kFreeInput) != 0; }

 private:
  static constexpr std::uint8_t kFreeInput = 1;
  static constexpr std::uint8_t kFreeOutput = 2;
  struct Data {
    std::vector<std::uint32_t> input_start;  // node i's distinct inputs: inputs[input_start[i]..]
    std::vector<DatasetId> inputs;
    std::vector<std::uint32_t> consumers;   // by dataset
    std::vector<std::uint8_t> kind;         // by dataset: kFreeInput | kFreeOutput
    std::vector<std::uint32_t> path_nodes;  // by node
  };
  static std::shared_ptr<const Data> make_data(const Pipeline& pipeline);

  Pipeline pipeline_;
  std::shared_ptr<const Data> data_;
};

}  // namespace sluice
