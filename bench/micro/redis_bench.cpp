// RedisDataset SET/GET throughput on loopback against a redis-server of its own, for 1 KiB,
// 1 MiB and 64 MiB values: chunked (1 MiB chunks, 8 in flight, the default) and whole (one SET
// or GET per value). Times include the framing (codec, FNV-1a checksum) a BinaryDataset does too.
//
//   build/release/bin/redis_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include <sluice/core/codec.hpp>
#include <sluice/storage/redis_dataset.hpp>

#include "support/redis_server.hpp"
#include "support/temp_dir.hpp"

namespace {

struct Server {
  sluice::testing::TempDir folder;
  sluice::testing::RedisServer redis;
  explicit Server(const std::filesystem::path& binary) : redis(binary, folder.path()) {}
};

// One server for the whole run; null (and the benchmark skipped) when redis-server is missing.
const Server* server() {
  static const std::unique_ptr<Server> instance = [] {
    const auto binary = sluice::testing::find_redis_server();
    return binary ? std::make_unique<Server>(*binary) : nullptr;
  }();
  return instance.get();
}

const sluice::CodecRegistry& codecs() {
  static const sluice::CodecRegistry registry = [] {
    sluice::CodecRegistry built;
    sluice::add_builtin_codecs(built);
    return built;
  }();
  return registry;
}

std::unique_ptr<sluice::RedisDataset> make_dataset(std::int64_t size, bool chunked) {
  sluice::RedisOptions options;
  options.key = "bench:" + std::to_string(size) + (chunked ? ":chunked" : ":whole");
  options.url = server()->redis.url();
  if (!chunked) {
    options.chunk_size = static_cast<std::uint64_t>(size) + 4096;  // the value and its header
    options.pipeline = 1;
  }
  return std::make_unique<sluice::RedisDataset>("bench", options, codecs());
}

std::string label(std::int64_t size, bool chunked) {
  const std::string amount =
      size >= (1 << 20) ? std::to_string(size >> 20) + " MiB" : std::to_string(size >> 10) + " KiB";
  return amount + (chunked ? " chunked" : " whole");
}

void BM_RedisSet(benchmark::State& state) {
  if (server() == nullptr) {
    state.SkipWithError(sluice::testing::kRedisMissing);
    return;
  }
  const bool chunked = state.range(1) != 0;
  auto dataset = make_dataset(state.range(0), chunked);
  const sluice::Value value =
      sluice::Value::of(std::string(static_cast<std::size_t>(state.range(0)), 'x'));
  for (auto _ : state) {
    dataset->save(value);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.SetLabel(label(state.range(0), chunked));
}

void BM_RedisGet(benchmark::State& state) {
  if (server() == nullptr) {
    state.SkipWithError(sluice::testing::kRedisMissing);
    return;
  }
  const bool chunked = state.range(1) != 0;
  auto dataset = make_dataset(state.range(0), chunked);
  dataset->save(sluice::Value::of(std::string(static_cast<std::size_t>(state.range(0)), 'x')));
  for (auto _ : state) {
    benchmark::DoNotOptimize(dataset->load());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.SetLabel(label(state.range(0), chunked));
}

void sizes(benchmark::internal::Benchmark* bench) {
  for (const std::int64_t size : {1 << 10, 1 << 20, 64 << 20}) {
    for (const std::int64_t chunked : {0, 1}) {
      bench->Args({size, chunked});
    }
  }
  bench->ArgNames({"bytes", "chunked"})->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_RedisSet)->Apply(sizes);
BENCHMARK(BM_RedisGet)->Apply(sizes);

}  // namespace
