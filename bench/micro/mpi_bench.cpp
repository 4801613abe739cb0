// The MPI runner against raw MPI: a value moved from one rank to another by the runner (a
// producer node on rank 1, its consumer on rank 2: fetched through the codec of
// std::vector<std::uint8_t>) and the same bytes sent with MPI_Send/MPI_Recv; and the runner's
// overhead per node on a chain of small nodes. Run with 3 ranks (rank 0 reports):
//
//   mpirun -np 3 --oversubscribe --mca btl self,vader build/release/bin/mpi_bench
//
// Every rank runs every benchmark with the same fixed iteration counts (the runs are
// collective).

#include <climits>
#include <cstdint>
#include <vector>

#include <benchmark/benchmark.h>
#include <mpi.h>
#include <spdlog/spdlog.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/node.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/runners/mpi/mpi_runner.hpp>

namespace {

using Bytes = std::vector<std::uint8_t>;

int rank() {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

const sluice::Registry& registry() {
  static const sluice::Registry registry = [] {
    sluice::Registry made;
    sluice::register_builtins(made);
    return made;
  }();
  return registry;
}

// `make` runs on rank 1; `use` then runs on rank 2 (rank 1 is last in the idle line) and
// fetches the value. Includes making the value and the run's own overhead.
void BM_RunnerTransfer(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  const sluice::Pipeline pipeline({
      sluice::node(
          "make", [bytes] { return Bytes(bytes, 7); }, {}, "blob"),
      sluice::node(
          "use", [](const Bytes& blob) { return static_cast<std::int64_t>(blob.size()); }, "blob",
          "size"),
  });
  sluice::MpiRunner runner(registry().codecs);
  for (auto _ : state) {
    sluice::Catalog catalog;
    benchmark::DoNotOptimize(runner.run(pipeline, catalog));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// The same bytes from rank 1 to rank 2 with MPI_Send/MPI_Recv (in 1 GiB messages at most), the
// value made once; a barrier per iteration so that every rank times the whole transfer.
void BM_RawSendRecv(benchmark::State& state) {
  const auto bytes = static_cast<std::size_t>(state.range(0));
  Bytes buffer(rank() == 1 ? bytes : 0, 7);
  for (auto _ : state) {
    if (rank() == 1) {
      for (const auto& chunk : sluice::mpi::message_chunks(bytes)) {
        MPI_Send(buffer.data() + chunk.offset, chunk.count, MPI_BYTE, 2, 0, MPI_COMM_WORLD);
      }
    } else if (rank() == 2) {
      Bytes received(bytes);
      for (const auto& chunk : sluice::mpi::message_chunks(bytes)) {
        MPI_Recv(received.data() + chunk.offset, chunk.count, MPI_BYTE, 1, 0, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
      }
      benchmark::DoNotOptimize(received.data());
    }
    MPI_Barrier(MPI_COMM_WORLD);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// A chain of small nodes (int64 in, int64 out): each node waits for the one before, whose
// value is on whichever rank ran it. Time per node: the runner's scheduling and fetch cost.
void BM_RunnerChain(benchmark::State& state) {
  const auto length = static_cast<std::size_t>(state.range(0));
  std::vector<sluice::Node> nodes;
  nodes.push_back(sluice::node(
      "n0", [] { return std::int64_t{1}; }, {}, "d0"));
  for (std::size_t i = 1; i < length; ++i) {
    nodes.push_back(sluice::node(
        "n" + std::to_string(i), [](std::int64_t value) { return value + 1; },
        "d" + std::to_string(i - 1), "d" + std::to_string(i)));
  }
  const sluice::Pipeline pipeline(std::move(nodes));
  sluice::MpiRunner runner(registry().codecs);
  for (auto _ : state) {
    sluice::Catalog catalog;
    benchmark::DoNotOptimize(runner.run(pipeline, catalog));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// Fixed iteration counts (the same on every rank): 100 for 1 KiB and 1 MiB, 5 for 16 and
// 256 MiB.
void small_values(benchmark::internal::Benchmark* bench) {
  bench->Arg(std::int64_t{1} << 10)->Arg(std::int64_t{1} << 20)->Iterations(100);
  bench->UseRealTime()->Unit(benchmark::kMicrosecond);
}
void large_values(benchmark::internal::Benchmark* bench) {
  bench->Arg(std::int64_t{16} << 20)->Arg(std::int64_t{256} << 20)->Iterations(5);
  bench->UseRealTime()->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_RunnerTransfer)->Apply(small_values);
BENCHMARK(BM_RawSendRecv)->Apply(small_values);
BENCHMARK(BM_RunnerTransfer)->Apply(large_values);
BENCHMARK(BM_RawSendRecv)->Apply(large_values);
BENCHMARK(BM_RunnerChain)->Arg(100)->Iterations(20)->UseRealTime()->Unit(benchmark::kMicrosecond);

// Reports nothing: the ranks but 0.
class Silent : public benchmark::BenchmarkReporter {
 public:
  bool ReportContext(const Context&) override { return true; }
  void ReportRuns(const std::vector<Run>&) override {}
};

}  // namespace

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  sluice::logger().set_level(spdlog::level::warn);
  benchmark::Initialize(&argc, argv);
  if (rank() == 0) {
    benchmark::RunSpecifiedBenchmarks();
  } else {
    Silent silent;
    benchmark::RunSpecifiedBenchmarks(&silent);
  }
  benchmark::Shutdown();
  MPI_Finalize();
  return 0;
}
