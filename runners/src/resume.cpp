#include <algorithm>

#include <sluice/runners/resume.hpp>

namespace sluice {

std::vector<std::string> find_resume_nodes(const Pipeline& pipeline, const Catalog& catalog,
                                           const std::vector<bool>& finished) {
  const auto& nodes = pipeline.nodes();
  std::vector<bool> rerun(nodes.size(), false);
  std::vector<std::size_t> stack;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!finished[i]) {
      stack.push_back(i);
    }
  }
  auto is_resume_point = [&catalog](const std::string& dataset) {
    if (Catalog::is_parameter(dataset)) {
      return true;
    }
    const auto found = catalog.find(dataset);
    if (!found || found->is_ephemeral()) {
      return false;
    }
    try {
      return found->exists();
    } catch (const std::exception&) {
      return false;
    }
  };
  while (!stack.empty()) {
    const std::size_t i = stack.back();
    stack.pop_back();
    if (rerun[i]) {
      continue;
    }
    rerun[i] = true;
    for (const auto& input : nodes[i].inputs()) {
      const auto producer = pipeline.producer_of(input);
      if (producer && !rerun[*producer] && !is_resume_point(input)) {
        stack.push_back(*producer);
      }
    }
  }
  std::vector<std::string> starts;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!rerun[i]) {
      continue;
    }
    const bool fed_by_rerun = std::any_of(nodes[i].inputs().begin(), nodes[i].inputs().end(),
                                          [&](const std::string& input) {
                                            const auto producer = pipeline.producer_of(input);
                                            return producer && rerun[*producer];
                                          });
    if (!fed_by_rerun) {
      starts.push_back(nodes[i].name());
    }
  }
  std::sort(starts.begin(), starts.end());
  return starts;
}

}  // namespace sluice
