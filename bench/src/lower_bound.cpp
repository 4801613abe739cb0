#include <algorithm>

#include <sluice/bench/lower_bound.hpp>

namespace sluice::bench {

namespace {

double transfer(const BoundInputs& inputs, const std::string& dataset) {
  if (inputs.bandwidth <= 0) {
    return 0;
  }
  const auto size = inputs.bytes.find(dataset);
  return size == inputs.bytes.end() ? 0 : static_cast<double>(size->second) / inputs.bandwidth;
}

}  // namespace

double lower_bound(const Pipeline& pipeline, const BoundInputs& inputs) {
  const auto& nodes = pipeline.nodes();
  std::vector<double> finish(nodes.size(), 0);
  double bound = 0;
  double total_compute = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {  // topological order
    double ready = 0;
    for (const auto& input : nodes[i].inputs()) {
      if (auto producer = pipeline.producer_of(input)) {
        ready = std::max(ready, finish[*producer]);
      } else if (inputs.persisted(input)) {
        ready = std::max(ready, inputs.read_latency + transfer(inputs, input));
      }
    }
    const auto compute = inputs.compute.find(nodes[i].name());
    const double c = compute == inputs.compute.end() ? 0 : compute->second;
    total_compute += c;
    finish[i] = ready + c;
    bound = std::max(bound, finish[i]);
    for (const auto& output : nodes[i].outputs()) {
      if (inputs.persisted(output)) {
        bound = std::max(bound, finish[i] + inputs.write_latency + transfer(inputs, output));
      }
    }
  }
  return std::max(bound,
                  total_compute / static_cast<double>(std::max<std::size_t>(1, inputs.workers)));
}

}  // namespace sluice::bench
