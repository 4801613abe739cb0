// S3 PUT and GET throughput on loopback against s3rver (started here, as the tests start it),
// for 1 KiB, 1 MiB and 64 MiB objects, 64 MiB also as a multipart upload (8 MiB parts, 4 at
// a time). Needs s3rver: scripts/setup.sh installs it.
//
//   build/release/bin/s3_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include <sluice/storage/s3_client.hpp>

#include "support/s3rver.hpp"

namespace {

sluice::testing::S3rver& server() {
  static const auto started = [] {
    const std::string missing = sluice::testing::S3rver::missing();
    if (!missing.empty())
      throw std::runtime_error(missing);
    return std::make_unique<sluice::testing::S3rver>("sluice-bench");
  }();
  return *started;
}

sluice::s3::S3Client& client(bool multipart) {
  const auto make = [](bool parts) {
    sluice::s3::S3Options options;
    options.endpoint_url = server().endpoint();
    options.credentials = {sluice::testing::S3rver::access_key, sluice::testing::S3rver::secret_key,
                           "", "the benchmark"};
    options.multipart_threshold = parts ? 8u << 20 : std::size_t{1} << 40;
    options.part_size = 8u << 20;
    options.parallel_parts = 4;
    return std::make_unique<sluice::s3::S3Client>(options);
  };
  static const auto single = make(false);
  static const auto parts = make(true);
  return multipart ? *parts : *single;
}

std::string label(std::int64_t bytes) {
  return bytes >= (1 << 20) ? std::to_string(bytes >> 20) + " MiB"
                            : std::to_string(bytes >> 10) + " KiB";
}

// 1 KiB, 1 MiB and 64 MiB in one request, and 64 MiB in parts (S3's parts are 5 MiB or more).
void sizes(benchmark::internal::Benchmark* bench) {
  bench->Args({1 << 10, 0})
      ->Args({1 << 20, 0})
      ->Args({64 << 20, 0})
      ->Args({64 << 20, 1})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

// Arguments: object size, multipart (0 or 1).
void BM_S3Put(benchmark::State& state) {
  const std::string bytes(static_cast<std::size_t>(state.range(0)), 'x');
  const bool multipart = state.range(1) != 0;
  const std::string key =
      "bench/put-" + std::to_string(state.range(0)) + "-" + std::to_string(state.range(1));
  sluice::s3::S3Client& s3 = client(multipart);  // starts s3rver before the timing
  for (auto _ : state)
    s3.put_object(server().bucket(), key, bytes);
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.SetLabel(label(state.range(0)) + (multipart ? ", multipart" : ""));
}
BENCHMARK(BM_S3Put)->Apply(sizes);

// Arguments: object size, whether it was uploaded in parts.
void BM_S3Get(benchmark::State& state) {
  const bool multipart = state.range(1) != 0;
  const std::string key =
      "bench/get-" + std::to_string(state.range(0)) + "-" + std::to_string(state.range(1));
  client(multipart).put_object(server().bucket(), key,
                               std::string(static_cast<std::size_t>(state.range(0)), 'x'));
  for (auto _ : state) {
    std::string bytes = client(false).get_object(server().bucket(), key);
    benchmark::DoNotOptimize(bytes.data());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
  state.SetLabel(label(state.range(0)) + (multipart ? ", uploaded in parts" : ""));
}
BENCHMARK(BM_S3Get)->Apply(sizes);

}  // namespace
