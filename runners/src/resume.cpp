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

Pipeline with_missing_outputs(const Pipeline& pipeline, const Catalog& catalog) {
  const auto& nodes = pipeline.nodes();
  // A dataset is there when it is persisted and exists (an exists() that fails: not there).
  auto persisted = [&](const std::string& dataset) {
    const auto found = catalog.find(dataset);
    return found != nullptr && !found->is_ephemeral();
  };
  auto exists = [&](const std::string& dataset) {
    try {
      return catalog.find(dataset)->exists();
    } catch (const std::exception&) {
      return false;
    }
  };
  std::vector<bool> runs(nodes.size(), false);
  // Consumers come after their producers in nodes(): from the last node back, a node's running
  // consumers are known when it is decided.
  for (std::size_t i = nodes.size(); i-- > 0;) {
    const Node& node = nodes[i];
    bool run = node.outputs().empty();
    for (const auto& output : node.outputs()) {
      if (run) {
        break;
      }
      if (persisted(output) && !exists(output)) {
        run = true;
        break;
      }
      for (const auto consumer : pipeline.consumers_of(output)) {
        if (runs[consumer] && (!persisted(output) || !exists(output))) {
          run = true;
          break;
        }
      }
    }
    runs[i] = run;
  }
  std::vector<Node> kept;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (runs[i]) {
      kept.push_back(nodes[i]);
    }
  }
  return Pipeline(std::move(kept));
}

}  // namespace sluice
