#include <algorithm>

#include <sluice/runners/plan.hpp>

namespace sluice {

Plan::Plan(Pipeline pipeline)
    : pipeline_(std::move(pipeline)),
      data_(pipeline_.derived<Data>([this] { return make_data(pipeline_); })) {}

std::shared_ptr<const Plan::Data> Plan::make_data(const Pipeline& pipeline) {
  // Dataset ids come from the pipeline's own index, so no name is hashed here.
  auto data = std::make_shared<Data>();
  const std::size_t nodes = pipeline.size();
  data->input_start.reserve(nodes + 1);
  for (std::size_t i = 0; i < nodes; ++i) {
    const auto start = static_cast<std::uint32_t>(data->inputs.size());
    data->input_start.push_back(start);
    for (DatasetId id : pipeline.input_ids(i)) {
      if (std::find(data->inputs.begin() + start, data->inputs.end(), id) == data->inputs.end()) {
        data->inputs.push_back(id);
      }
    }
  }
  data->input_start.push_back(static_cast<std::uint32_t>(data->inputs.size()));
  data->inputs.shrink_to_fit();
  const std::size_t datasets = pipeline.dataset_count();
  data->consumers.resize(datasets);
  data->kind.resize(datasets);
  for (DatasetId id = 0; id < datasets; ++id) {
    data->consumers[id] = static_cast<std::uint32_t>(pipeline.consumers_of(id).size());
    const bool produced = pipeline.producer_of(id).has_value();
    data->kind[id] = static_cast<std::uint8_t>(
        (produced ? 0 : kFreeInput) | (produced && data->consumers[id] == 0 ? kFreeOutput : 0));
  }
  // In reverse (topological) order each consumer's count is final when its producer is reached.
  data->path_nodes.assign(nodes, 1);
  for (std::size_t i = nodes; i-- > 0;) {
    std::uint32_t longest = 1;
    for (DatasetId id : pipeline.output_ids(i)) {
      for (const std::uint32_t consumer : pipeline.consumers_of(id)) {
        longest = std::max(longest, data->path_nodes[consumer] + 1);
      }
    }
    data->path_nodes[i] = longest;
  }
  return data;
}

}  // namespace sluice
