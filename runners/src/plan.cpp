#include <algorithm>

#include <sluice/runners/plan.hpp>

namespace sluice {

Plan::Plan(Pipeline pipeline) : pipeline_(std::move(pipeline)) {
  // Dataset ids come from the pipeline's own index, so no name is hashed here.
  const std::size_t nodes = pipeline_.size();
  inputs_.resize(nodes);
  for (std::size_t i = 0; i < nodes; ++i) {
    for (DatasetId id : pipeline_.input_ids(i)) {
      if (std::find(inputs_[i].begin(), inputs_[i].end(), id) == inputs_[i].end()) {
        inputs_[i].push_back(id);
      }
    }
  }
  const std::size_t datasets = pipeline_.dataset_count();
  consumers_.resize(datasets);
  free_output_.resize(datasets);
  for (DatasetId id = 0; id < datasets; ++id) {
    consumers_[id] = static_cast<std::uint32_t>(pipeline_.consumers_of(id).size());
    free_output_[id] = consumers_[id] == 0 && pipeline_.producer_of(id).has_value() ? 1 : 0;
  }
}

}  // namespace sluice
