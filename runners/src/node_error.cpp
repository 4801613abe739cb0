#include <fmt/format.h>

#include <sluice/runners/node_error.hpp>

namespace sluice {

namespace {

std::string describe(const std::string& node, NodePhase phase, const std::string& cause,
                     const std::vector<std::string>& resume_nodes) {
  std::string message =
      fmt::format("node '{}' failed while {}: {}", node, phase_name(phase), cause);
  if (!resume_nodes.empty()) {
    message += fmt::format(
        "\nResume from the nearest nodes with persisted inputs by adding to your command:\n"
        "  --from-nodes \"{}\"",
        fmt::join(resume_nodes, ","));
  }
  return message;
}

}  // namespace

NodeError::NodeError(std::string node, NodePhase phase, std::string cause_message,
                     std::vector<std::string> resume_nodes, std::exception_ptr cause)
    : Error(describe(node, phase, cause_message, resume_nodes)),
      node_(std::move(node)),
      phase_(phase),
      cause_message_(std::move(cause_message)),
      resume_nodes_(std::move(resume_nodes)),
      cause_(std::move(cause)) {}

NodeError::~NodeError() = default;
RunError::~RunError() = default;

}  // namespace sluice
