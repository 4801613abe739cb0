#pragma once

#include <cstddef>

#include <sluice/runners/runner.hpp>

namespace sluice {

/// Runs nodes on a pool of worker threads. A node is submitted the moment its last input
/// exists (not layer by layer); datasets are released by the same rule as the sequential
/// runner, by whichever thread finishes their last consumer.
///
/// On a failure nothing new is submitted, the nodes already running finish, and the first
/// error is thrown (the others are logged); the resume suggestion covers every node that did
/// not finish.
class SLUICE_API ParallelRunner final : public Runner {
 public:
  /// `max_workers` 0 means one per hardware thread.
  explicit ParallelRunner(std::size_t max_workers = 0, bool async_io = false);

  std::string name() const override { return "parallel"; }
  std::size_t max_workers() const { return max_workers_; }

 protected:
  void run_plan(const RunState& state, std::vector<std::uint8_t>& finished) override;

 private:
  std::size_t max_workers_;
};

}  // namespace sluice
