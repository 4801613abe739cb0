#include <algorithm>
#include <unordered_map>

#include <sluice/runners/plan.hpp>

namespace sluice {

Plan::Plan(Pipeline pipeline) : pipeline_(std::move(pipeline)) {
  const auto& nodes = pipeline_.nodes();
  std::unordered_map<std::string_view, DatasetId> ids;
  ids.reserve(pipeline_.datasets().size());
  names_.reserve(pipeline_.datasets().size());
  auto id_of = [&](const std::string& name) {
    auto [at, fresh] = ids.try_emplace(name, static_cast<DatasetId>(names_.size()));
    if (fresh) {
      names_.push_back(name);
    }
    return at->second;
  };
  inputs_.resize(nodes.size());
  outputs_.resize(nodes.size());
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    for (const auto& input : nodes[i].inputs()) {
      const DatasetId id = id_of(input);
      if (std::find(inputs_[i].begin(), inputs_[i].end(), id) == inputs_[i].end()) {
        inputs_[i].push_back(id);
      }
    }
    for (const auto& output : nodes[i].outputs()) {
      outputs_[i].push_back(id_of(output));
    }
  }
  consumers_.assign(names_.size(), 0);
  free_output_.assign(names_.size(), 0);
  for (const auto& node_inputs : inputs_) {
    for (DatasetId id : node_inputs) {
      ++consumers_[id];
    }
  }
  for (const auto& node_outputs : outputs_) {
    for (DatasetId id : node_outputs) {
      free_output_[id] = consumers_[id] == 0 ? 1 : 0;
    }
  }
}

}  // namespace sluice
