#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sluice/core/export.hpp>
#include <sluice/core/pipeline.hpp>

namespace sluice {

/// What every runner needs to schedule a pipeline, computed in O(nodes + edges) from the
/// pipeline's dataset index (no name is hashed): each node's distinct inputs and its outputs by
/// dataset id, how many nodes consume each dataset, and which datasets are free outputs (kept
/// after the run).
class SLUICE_API Plan {
 public:
  using DatasetId = Pipeline::DatasetId;

  explicit Plan(Pipeline pipeline);

  const Pipeline& pipeline() const { return pipeline_; }
  std::size_t node_count() const { return pipeline_.size(); }
  std::size_t dataset_count() const { return pipeline_.dataset_count(); }

  const std::string& dataset_name(DatasetId id) const { return pipeline_.dataset_name(id); }
  /// Distinct datasets node `node` reads (a dataset read twice by one node counts once).
  const std::vector<DatasetId>& inputs_of(std::size_t node) const { return inputs_[node]; }
  std::span<const DatasetId> outputs_of(std::size_t node) const {
    return pipeline_.output_ids(node);
  }
  /// Number of nodes that read the dataset.
  std::uint32_t consumer_count(DatasetId id) const { return consumers_[id]; }
  /// Free outputs survive the run; everything else is released after its last consumer.
  bool is_free_output(DatasetId id) const { return free_output_[id] != 0; }

 private:
  Pipeline pipeline_;
  std::vector<std::vector<DatasetId>> inputs_;
  std::vector<std::uint32_t> consumers_;
  std::vector<char> free_output_;
};

}  // namespace sluice
