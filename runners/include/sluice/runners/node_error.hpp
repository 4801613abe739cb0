#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/error.hpp>
#include <sluice/core/export.hpp>
#include <sluice/core/hook.hpp>

namespace sluice {

/// A node failed. The message names the node, the phase and the original error, and suggests
/// the `--from-nodes` to resume from; the original exception stays available as cause().
class SLUICE_API NodeError : public Error {
 public:
  NodeError(std::string node, NodePhase phase, std::string cause_message,
            std::vector<std::string> resume_nodes, std::exception_ptr cause);
  ~NodeError() override;

  const std::string& node() const { return node_; }
  NodePhase phase() const { return phase_; }
  const std::string& cause_message() const { return cause_message_; }
  /// The nodes to pass to `--from-nodes` to resume the run.
  const std::vector<std::string>& resume_nodes() const { return resume_nodes_; }
  std::exception_ptr cause() const { return cause_; }

 private:
  std::string node_;
  NodePhase phase_;
  std::string cause_message_;
  std::vector<std::string> resume_nodes_;
  std::exception_ptr cause_;
};

/// The pipeline cannot start (missing inputs and the like).
class SLUICE_API RunError : public Error {
 public:
  using Error::Error;
  ~RunError() override;
};

}  // namespace sluice
