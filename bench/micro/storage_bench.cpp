// Loading a versioned file dataset on memory://: the first load of a dataset lists its
// versions (on S3 a ListObjectsV2 and a HEAD), later loads reuse the version found and cost what
// an unversioned load costs, however many versions there are.
//
//   build/release/bin/storage_bench --benchmark_repetitions=5
//   --benchmark_report_aggregates_only=true

#include <cstdint>
#include <memory>

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

}  // namespace
