// Reading configuration must cost the same per entry for 1k and 100k entries: parsing YAML,
// checking keys, merging anchors and building the catalog are linear.
//
//   build/release/bin/config_bench --benchmark_counters_tabular=true

#include <string>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/registry.hpp>

namespace {

std::string catalog_yaml(std::int64_t entries) {
  std::string text = "_memory: &memory {type: MemoryDataset}\n";
  for (std::int64_t i = 0; i < entries; ++i) {
    text += fmt::format("dataset_{}:\n  <<: *memory\n  metadata: {{owner: team_{}}}\n", i, i % 7);
  }
  return text;
}

std::string parameters_yaml(std::int64_t keys) {
  std::string text;
  for (std::int64_t i = 0; i < keys; ++i) {
    text += fmt::format("key_{}: {}\n", i, i);
  }
  return text;
}

void report_per_entry(benchmark::State& state) {
  state.counters["per_entry"] = benchmark::Counter(
      static_cast<double>(state.range(0)),
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

// catalog.yml with N entries that merge an anchored map, parsed and made into a catalog.
void BM_CatalogFromConfig(benchmark::State& state) {
  const std::string text = catalog_yaml(state.range(0));
  sluice::Registry registry;
  sluice::register_builtins(registry);
  for (auto _ : state) {
    const sluice::Param config = sluice::parse_yaml(text, "catalog.yml");
    sluice::Catalog catalog = sluice::make_catalog(config, {}, {}, registry);
    benchmark::DoNotOptimize(catalog);
  }
  report_per_entry(state);
}
BENCHMARK(BM_CatalogFromConfig)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

// parameters.yml with N keys, parsed and flattened into `params:` datasets.
void BM_ParametersFromConfig(benchmark::State& state) {
  const std::string text = parameters_yaml(state.range(0));
  sluice::Registry registry;
  sluice::register_builtins(registry);
  for (auto _ : state) {
    const sluice::Param parameters = sluice::parse_yaml(text, "parameters.yml");
    sluice::Catalog catalog = sluice::make_catalog({}, {}, parameters, registry);
    benchmark::DoNotOptimize(catalog);
  }
  report_per_entry(state);
}
BENCHMARK(BM_ParametersFromConfig)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->Unit(benchmark::kMillisecond);

}  // namespace
