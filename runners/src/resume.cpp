#include <algorithm>

#include <sluice/runners/resume.hpp>

namespace sluice {

std::vector<std::string> find_resume_nodes(const Pipeline& pipeline, const Catalog& catalog,
                                           const std::vector<bool>& finished,
                                           const std::vector<std::string>& unreadable) {
  const auto& nodes = pipeline.nodes();
  std::vector<bool> rerun(nodes.size(), false);
  std::vector<std::size_t> stack;
  auto is_resume_point = [&](const std::string& dataset) {
    if (Catalog::is_parameter(dataset)) {
      return true;
    }
    if (std::find(unreadable.begin(), unreadable.end(), dataset) != unreadable.end()) {
      return false;
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
  // A finished node whose persisted output does not exist (a background write failed, say) is
  // unfinished as far as resuming goes.
  auto lost_an_output = [&](const Node& node) {
    return std::any_of(node.outputs().begin(), node.outputs().end(), [&](const std::string& out) {
      const auto dataset = catalog.find(out);
      return dataset && !dataset->is_ephemeral() && !is_resume_point(out);
    });
  };
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!finished[i] || lost_an_output(nodes[i])) {
      stack.push_back(i);
    }
  }
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
  // Keep the suggestion minimal: a start downstream of another start is re-run anyway.
  std::vector<std::string> minimal;
  for (const auto& start : starts) {
    const bool covered = std::any_of(starts.begin(), starts.end(), [&](const std::string& other) {
      return other != start && pipeline.from_nodes(other).find_node(start) != nullptr;
    });
    if (!covered) {
      minimal.push_back(start);
    }
  }
  std::sort(minimal.begin(), minimal.end());
  return minimal;
}

}  // namespace sluice
