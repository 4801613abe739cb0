#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/error.hpp>
#include <sluice/core/export.hpp>
#include <sluice/core/hook.hpp>

namespace sluice {

/// A node failed. The message names the node, the phase and the original error, lists the
/// other failures of the same run (nodes failing at once in the parallel runner), and suggests
/// the `--from-nodes` to resume from (resume_nodes(), ResumableError's); the original exception
/// stays available as cause().
class SLUICE_API NodeError : public ResumableError {
 public:
  NodeError(std::string node, NodePhase phase, std::string cause_message,
            std::vector<std::string> resume_nodes, std::exception_ptr cause,
            std::vector<std::string> unreadable_inputs = {},
            std::vector<std::string> other_failures = {});
  ~NodeError() override;

  const std::string& node() const { return node_; }
  NodePhase phase() const { return phase_; }
  const std::string& cause_message() const { return cause_message_; }
  std::exception_ptr cause() const { return cause_; }
  /// The datasets whose load failed in this run (this node's, and other failed nodes'): they
  /// are no resume point even if their file exists (it is corrupt or unreadable).
  const std::vector<std::string>& unreadable_inputs() const { return unreadable_inputs_; }
  /// The messages of the run's other failures, in the order they happened.
  const std::vector<std::string>& other_failures() const { return other_failures_; }
  /// Throws this error with `failures` appended to other_failures().
  [[noreturn]] void throw_with_other_failures(
      const std::vector<std::string>& failures) const override;

 private:
  std::string node_;
  NodePhase phase_;
  std::string cause_message_;
  std::exception_ptr cause_;
  std::vector<std::string> unreadable_inputs_;
  std::vector<std::string> other_failures_;
};

/// The pipeline cannot start (missing inputs and the like).
class SLUICE_API RunError : public Error {
 public:
  using Error::Error;
  ~RunError() override;
};

}  // namespace sluice
