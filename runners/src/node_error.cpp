#include <fmt/format.h>

#include <sluice/runners/node_error.hpp>

namespace sluice {

namespace {

std::string describe(const std::string& node, NodePhase phase, const std::string& cause,
                     const std::vector<std::string>& other_failures) {
  return with_other_failures(
      fmt::format("node '{}' failed while {}: {}", node, phase_name(phase), cause), other_failures);
}

}  // namespace

NodeError::NodeError(std::string node, NodePhase phase, std::string cause_message,
                     std::vector<std::string> resume_nodes, std::exception_ptr cause,
                     std::vector<std::string> unreadable_inputs,
                     std::vector<std::string> other_failures)
    : ResumableError(describe(node, phase, cause_message, other_failures), std::move(resume_nodes)),
      node_(std::move(node)),
      phase_(phase),
      cause_message_(std::move(cause_message)),
      cause_(std::move(cause)),
      unreadable_inputs_(std::move(unreadable_inputs)),
      other_failures_(std::move(other_failures)) {}

NodeError::~NodeError() = default;

void NodeError::throw_with_other_failures(const std::vector<std::string>& failures) const {
  std::vector<std::string> all = other_failures_;
  all.insert(all.end(), failures.begin(), failures.end());
  throw NodeError(node_, phase_, cause_message_, resume_nodes(), cause_, unreadable_inputs_,
                  std::move(all));
}
RunError::~RunError() = default;

}  // namespace sluice
