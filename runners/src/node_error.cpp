#include <fmt/format.h>

#include <sluice/runners/node_error.hpp>

namespace sluice {

namespace {

std::string describe(const std::string& node, NodePhase phase, const std::string& cause,
                     const std::vector<std::string>& other_failures) {
  std::string message =
      fmt::format("node '{}' failed while {}: {}", node, phase_name(phase), cause);
  if (!other_failures.empty()) {
    message += "\nAlso failed in this run:";
    for (const auto& other : other_failures) {
      message += "\n  - " + other;
    }
  }
  return message;
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
RunError::~RunError() = default;

}  // namespace sluice
