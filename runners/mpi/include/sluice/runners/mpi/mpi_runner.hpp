#pragma once

#include <cstddef>

#include <sluice/core/codec.hpp>
#include <sluice/runners/mpi/chunks.hpp>
#include <sluice/runners/runner.hpp>

namespace sluice {

/// Runs a pipeline on the processes of an MPI job (`mpirun -np N sluice run --runner mpi`).
/// Every rank runs the same pipeline against its own catalog built from the same configuration.
///
/// Rank 0 only schedules: a node is sent to a free rank (1..N-1, one node at a time each) as
/// soon as its inputs exist. A value stays on the rank that produced it (saved there, persisted
/// there when its dataset is persisted); a node on another rank fetches it rank-to-rank, encoded
/// through the codec of its type (values of 1 GiB or more in several messages). Each rank has a
/// progress thread that serves fetches while the rank runs a node (MPI_THREAD_MULTIPLE). A value
/// is released on its rank once its last consumer, on any rank, has finished. Free outputs held
/// in memory are sent to every rank at the end, so every rank returns the same outputs.
///
/// Every rank emits the rank events around its share (rank 0 only the pipeline events): a rank
/// ends its share when rank 0 stops it, then sends rank 0 what its hooks posted (RankMail) and
/// whether its after_rank_run failed (the tee's background writes on that rank).
///
/// On a node failure nothing new starts, the running nodes finish, and every rank throws the
/// same NodeError with the same resume suggestion; so it does when a rank's hooks failed at the
/// end of its share (a NotPersistedError naming the datasets its tee could not write).
///
/// Needs at least 2 ranks: the constructor initialises MPI (once per process, finalised when
/// the process or the plugin ends, unless someone else initialised it) and throws RunError when
/// MPI cannot give MPI_THREAD_MULTIPLE or the job has a single rank.
class MpiRunner final : public Runner {
 public:
  /// `codecs` (the registry's) must outlive the runner. `max_message_bytes`: the largest
  /// message of a transfer (tests make it small to exercise chunking).
  explicit MpiRunner(const CodecRegistry& codecs, bool async_io = false,
                     std::size_t max_message_bytes = mpi::kMaxMessageBytes);

  std::string name() const override { return "mpi"; }
  int rank() const override { return rank_; }
  int ranks() const override { return size_; }
  int size() const { return size_; }

 protected:
  void run_plan(const RunState& state, std::vector<std::uint8_t>& finished) override;

 private:
  const CodecRegistry& codecs_;
  std::size_t max_message_bytes_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace sluice
