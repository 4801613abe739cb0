// LocalStorage writes by durability (issue 14.6): no fsync, the file only (sluice before 14.6),
// the file and its folder (the default), on the disk of the current folder and on /dev/shm:
//
//   cd build/release && bin/storage_bench --benchmark_filter=LocalWrite
//   --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//   --benchmark_enable_random_interleaving=true
//
// Loading a versioned file dataset on memory://: the first load of a dataset lists its
// versions (on S3 a ListObjectsV2 and a HEAD), later loads reuse the version found and cost what
// an unversioned load costs, however many versions there are.
//
//   build/release/bin/storage_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <sluice/core/datasets/text_dataset.hpp>
#include <sluice/core/storage.hpp>

namespace {

constexpr const char* kPath = "bench/notes.txt";

// A store holding `versions` versions of kPath.
std::shared_ptr<const sluice::MemoryStorage> store_with(std::int64_t versions) {
  auto storage = std::make_shared<const sluice::MemoryStorage>();
  for (std::int64_t version = 0; version < versions; ++version) {
    storage->write(fmt::format("{}/2026-01-01T00.00.00.000Z-{:06}/notes.txt", kPath, version),
                   "notes");
  }
  return storage;
}

// Loads of one dataset: the latest version is looked up once, by the first load.
void BM_VersionedLoadOnMemory(benchmark::State& state) {
  const auto storage = store_with(state.range(0));
  sluice::TextDataset dataset(sluice::FileLocation(storage, kPath),
                              sluice::Versioning{true, "", "9999"});
  for (auto _ : state) {
    benchmark::DoNotOptimize(dataset.load());
  }
  state.SetLabel(fmt::format("{} versions", state.range(0)));
}
BENCHMARK(BM_VersionedLoadOnMemory)->Arg(1)->Arg(100)->Arg(1000);

// A new dataset (a new run) each time: every load lists the versions.
void BM_FirstVersionedLoadOnMemory(benchmark::State& state) {
  const auto storage = store_with(state.range(0));
  for (auto _ : state) {
    sluice::TextDataset dataset(sluice::FileLocation(storage, kPath),
                                sluice::Versioning{true, "", "9999"});
    benchmark::DoNotOptimize(dataset.load());
  }
  state.SetLabel(fmt::format("{} versions", state.range(0)));
}
BENCHMARK(BM_FirstVersionedLoadOnMemory)->Arg(1)->Arg(100)->Arg(1000);

// The baseline: an unversioned load.
void BM_UnversionedLoadOnMemory(benchmark::State& state) {
  const auto storage = store_with(0);
  storage->write(kPath, "notes");
  sluice::TextDataset dataset(sluice::FileLocation(storage, kPath));
  for (auto _ : state) {
    benchmark::DoNotOptimize(dataset.load());
  }
}
BENCHMARK(BM_UnversionedLoadOnMemory);

// One LocalStorage write of range(0) bytes; range(1): the durability (0 none, 1 file, 2 file and
// folder); range(2): 0 the current folder's disk, 1 /dev/shm (tmpfs).
void BM_LocalWrite(benchmark::State& state) {
  namespace fs = std::filesystem;
  const auto durability = static_cast<sluice::Durability>(state.range(1));
  const fs::path folder = state.range(2) == 0 ? fs::current_path() / ".storage_bench"
                                              : fs::path("/dev/shm/sluice-storage-bench");
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) {
    state.SkipWithError(
        fmt::format("cannot create {}: {}", folder.string(), error.message()).c_str());
    return;
  }
  const sluice::LocalStorage storage(durability);
  const std::string path =
      (folder / fmt::format("w{}-{}", state.range(0), state.range(1))).string();
  const std::string bytes(static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    storage.write(path, bytes);
  }
  fs::remove(path, error);
  static const char* const kDurability[] = {"none", "file", "file+folder"};
  state.SetLabel(
      fmt::format("{} {}", state.range(2) == 0 ? "disk" : "tmpfs", kDurability[state.range(1)]));
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_LocalWrite)
    ->ArgsProduct({{8 << 10, 1 << 20}, {0, 1, 2}, {0, 1}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
