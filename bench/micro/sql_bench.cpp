// SQLTableDataset save and load of a table of int64, double and string columns (10k and 100k
// rows), on SQLite (a file in /tmp) and on a PostgreSQL server of its own on loopback (the tests'
// fixture, tests/support/postgres_server.hpp); saves replace the table in one transaction.
//
//   build/release/bin/sql_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true

#include <memory>
#include <string>

#include <benchmark/benchmark.h>

#include <sluice/storage/sql_dataset.hpp>

#include "support/postgres_server.hpp"
#include "support/temp_dir.hpp"

namespace {

// One scratch folder and one server for the whole run; no server (and the PostgreSQL benchmarks
// skipped) when PostgreSQL is missing.
struct Databases {
  sluice::testing::TempDir folder;
  std::unique_ptr<sluice::testing::PostgresServer> postgres;
  Databases() {
    if (sluice::testing::postgres_missing().empty()) {
      postgres = std::make_unique<sluice::testing::PostgresServer>(folder.path());
    }
  }
};

Databases& databases() {
  static Databases instance;
  return instance;
}

sluice::Table rows(std::int64_t count) {
  std::vector<std::int64_t> ids;
  std::vector<double> scores;
  std::vector<std::string> names;
  for (std::int64_t i = 0; i < count; ++i) {
    ids.push_back(i);
    scores.push_back(static_cast<double>(i) * 0.25);
    names.push_back("company " + std::to_string(i));
  }
  sluice::Table table;
  table.add_column("id", std::move(ids));
  table.add_column("score", std::move(scores));
  table.add_column("name", std::move(names));
  return table;
}

// The dataset for a backend (0 SQLite, 1 PostgreSQL), or null with the benchmark skipped.
std::unique_ptr<sluice::SQLTableDataset> dataset(benchmark::State& state) {
  Databases& all = databases();
  const bool postgres = state.range(1) == 1;
  if (postgres && !all.postgres) {
    state.SkipWithError(sluice::testing::postgres_missing().c_str());
    return nullptr;
  }
  state.SetLabel(postgres ? "postgresql" : "sqlite");
  return std::make_unique<sluice::SQLTableDataset>(
      "bench", "bench_" + std::to_string(state.range(0)),
      postgres ? all.postgres->url() : "sqlite:///bench.sqlite", all.folder.path(),
      sluice::IfExists::replace);
}

void BM_SqlSave(benchmark::State& state) {
  auto table = dataset(state);
  if (!table) {
    return;
  }
  const sluice::Value value = sluice::Value::of(rows(state.range(0)));
  for (auto _ : state) {
    table->save(value);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_SqlLoad(benchmark::State& state) {
  auto table = dataset(state);
  if (!table) {
    return;
  }
  table->save(sluice::Value::of(rows(state.range(0))));
  for (auto _ : state) {
    benchmark::DoNotOptimize(table->load());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void sizes(benchmark::internal::Benchmark* bench) {
  for (const std::int64_t count : {10'000, 100'000}) {
    for (const std::int64_t backend : {0, 1}) {
      bench->Args({count, backend});
    }
  }
  bench->ArgNames({"rows", "postgres"})->Unit(benchmark::kMillisecond)->UseRealTime();
}

BENCHMARK(BM_SqlSave)->Apply(sizes);
BENCHMARK(BM_SqlLoad)->Apply(sizes);

}  // namespace
