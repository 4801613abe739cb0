#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/bench/observed.hpp>
#include <sluice/bench/predict.hpp>
#include <sluice/bench/strategy.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/node.hpp>
#include <sluice/core/pipeline.hpp>

namespace sluice {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

int same(int x) {
  return x;
}

int sum(int a, int b) {
  return a + b;
}

// Every dataset on storage, each node computing `seconds`.
bench::BoundInputs costs(const Pipeline& pipeline, double seconds) {
  bench::BoundInputs inputs;
  for (const Node& node : pipeline.nodes()) {
    inputs.compute[node.name()] = seconds;
  }
  inputs.persisted = [](const std::string&) { return true; };
  return inputs;
}

bench::StrategyModel model(const std::string& strategy, std::size_t workers = 1,
                           std::size_t tee_writers = 0) {
  return bench::model_of(bench::make_strategy(strategy, workers, tee_writers));
}

const bench::StorageTimes kOneSecond{.read_latency = 1, .write_latency = 1};

TEST(Predictor, AChainOfThreeTakesWhatEachStrategyWaitsFor) {
  const Pipeline chain{node("a", same, "in", "d1"), node("b", same, "d1", "d2"),
                       node("c", same, "d2", "d3")};
  const bench::Predictor predictor(chain, costs(chain, 0.5));
  // Each node reads its input (1 s), computes (0.5 s) and writes its output (1 s).
  const auto sequential = predictor.predict(model("sequential"), kOneSecond);
  EXPECT_DOUBLE_EQ(sequential.seconds, 7.5);
  EXPECT_EQ(sequential.reads, 3U);
  EXPECT_EQ(sequential.writes, 3U);
  EXPECT_DOUBLE_EQ(predictor.predict(model("async"), kOneSecond).seconds, 7.5);
  // The cache: only the input is read; every write is waited for.
  const auto cache = predictor.predict(model("cache"), kOneSecond);
  EXPECT_DOUBLE_EQ(cache.seconds, 1 + 3 * 1.5);
  EXPECT_EQ(cache.reads, 1U);
  // The tee: read, three computes, and the last write in the background.
  const auto tee = predictor.predict(model("tee"), kOneSecond);
  EXPECT_DOUBLE_EQ(tee.seconds, 1 + 1.5 + 1);
  EXPECT_EQ(tee.reads, 1U);
  EXPECT_EQ(tee.writes, 3U);
  // One writer: each write waits for the one before (d1 1.5-2.5, d2 2.5-3.5, d3 3.5-4.5).
  EXPECT_DOUBLE_EQ(predictor.predict(model("tee", 1, 1), kOneSecond).seconds, 4.5);
  // Memory: the input is read, nothing is written.
  const auto memory = predictor.predict(model("memory"), kOneSecond);
  EXPECT_DOUBLE_EQ(memory.seconds, 2.5);
  EXPECT_EQ(memory.writes, 0U);
}

TEST(Predictor, ParallelWorkersTakeTheReadyNodesAndTheTeeOverlapsTheWrites) {
  const Pipeline fanout{node("src", same, "in", "mid"), node("b1", same, "mid", "o1"),
                        node("b2", same, "mid", "o2"), node("b3", same, "mid", "o3"),
                        node("b4", same, "mid", "o4")};
  const bench::Predictor predictor(fanout, costs(fanout, 1));
  // src: 3 s; then two branches at a time, 3 s each (read mid, compute, write).
  EXPECT_DOUBLE_EQ(predictor.predict(model("parallel", 2), kOneSecond).seconds, 9);
  EXPECT_DOUBLE_EQ(predictor.predict(model("parallel", 4), kOneSecond).seconds, 6);
  // With the tee: src computes by 2 s, two branches by 3 s, two more by 4 s, written by 5 s.
  EXPECT_DOUBLE_EQ(predictor.predict(model("parallel+tee", 2), kOneSecond).seconds, 5);
  EXPECT_DOUBLE_EQ(predictor.predict(model("sequential"), kOneSecond).seconds, 3 + 4 * 3);
}

TEST(Predictor, AsyncLoadsAndSavesAtOnceAndBandwidthAddsTransferTime) {
  const Pipeline join{node("j", sum, {"x", "y"}, "z")};
  bench::BoundInputs inputs = costs(join, 0);
  EXPECT_DOUBLE_EQ(bench::Predictor(join, inputs).predict(model("sequential"), kOneSecond).seconds,
                   3);
  EXPECT_DOUBLE_EQ(bench::Predictor(join, inputs).predict(model("async"), kOneSecond).seconds, 2);
  inputs.bytes = {{"x", 2'000'000}, {"z", 1'000'000}};
  const bench::StorageTimes slow_link{.read_latency = 1, .write_latency = 1, .bandwidth = 1e6};
  // x: 1 + 2 s, y: 1 s, then z: 1 + 1 s.
  EXPECT_DOUBLE_EQ(bench::Predictor(join, inputs).predict(model("sequential"), slow_link).seconds,
                   6);
  EXPECT_DOUBLE_EQ(bench::Predictor(join, inputs).predict(model("async"), slow_link).seconds, 5);
}

TEST(Predictor, TheTeeReadsAFreeInputOnceForReadersRunningAtOnce) {
  const Pipeline two{node("p", same, "in", "a"), node("q", same, "in", "b")};
  const bench::Predictor predictor(two, costs(two, 0));
  const auto plain = predictor.predict(model("parallel", 2), kOneSecond);
  EXPECT_EQ(plain.reads, 2U);
  EXPECT_DOUBLE_EQ(plain.seconds, 2);
  const auto tee = predictor.predict(model("parallel+tee", 2), kOneSecond);
  EXPECT_EQ(tee.reads, 1U);
  EXPECT_DOUBLE_EQ(tee.seconds, 2);  // both wait for the one read, then write in the background
}

// Three values made first and read in reverse order (1_make_a, 2_make_b, 3_make_c, 4_use_c,
// 5_use_b, 6_use_a), 100 bytes each, with room for two: c's save waits for the writes of a and b
// (1 s each), then what `hold` says happens to them. Only a, b and c are persisted.
TEST(Predictor, TheTeesBudgetWaitsForWritesAndHoldDecidesWhatIsReadBack) {
  std::vector<Node> nodes;
  for (const char* name : {"a", "b", "c"}) {
    const int i = name[0] - 'a';
    nodes.push_back(node(std::to_string(i + 1) + "_make_" + name, same, "in", name));
    nodes.push_back(
        node(std::to_string(6 - i) + "_use_" + name, same, name, std::string(name) + "_used"));
  }
  const Pipeline pipeline(std::move(nodes));
  bench::BoundInputs inputs = costs(pipeline, 0);
  for (const char* name : {"a", "b", "c"}) {
    inputs.bytes[name] = 100;
  }
  inputs.persisted = [](const std::string& name) { return name.size() == 1 && name != "in"; };
  const bench::Predictor predictor(pipeline, inputs);
  const auto predict = [&](const std::string& hold) {
    bench::StrategyModel tee = model("tee:" + hold);
    tee.tee_budget = 200;
    return predictor.predict(tee, kOneSecond);
  };
  // auto: at 1 s a (read last) goes and 6_use_a reads it back (1-2 s), as c is written.
  const auto adaptive = predict("auto");
  EXPECT_DOUBLE_EQ(adaptive.seconds, 2);
  EXPECT_EQ(adaptive.spilled, 1U);
  EXPECT_EQ(adaptive.read_backs, 1U);
  EXPECT_EQ(adaptive.reads, 1U);
  EXPECT_EQ(adaptive.budget_waits, 1U);
  EXPECT_EQ(adaptive.peak_held_bytes, 200U);
  // always: nothing is read back; the kept values exceed the budget.
  const auto always = predict("always");
  EXPECT_DOUBLE_EQ(always.seconds, 2);
  EXPECT_EQ(always.spilled, 0U);
  EXPECT_EQ(always.budget_waits, 1U);
  EXPECT_EQ(always.peak_held_bytes, 300U);
  // never: a and b are read back one after the other; c was still being written when read.
  const auto never = predict("never");
  EXPECT_DOUBLE_EQ(never.seconds, 3);
  EXPECT_EQ(never.spilled, 2U);
  EXPECT_EQ(never.read_backs, 2U);
  EXPECT_EQ(never.peak_held_bytes, 200U);
  // The default budget (2 GiB) is never reached: c's save does not wait.
  EXPECT_DOUBLE_EQ(predictor.predict(model("tee"), kOneSecond).seconds, 1);
}

TEST(Predictor, TheTeesBudgetAndHoldComeFromItsOptions) {
  const bench::StrategyModel tee = bench::model_of(bench::make_strategy("tee:never", 1, 0, 4096));
  EXPECT_EQ(tee.tee_budget, 4096U);
  EXPECT_EQ(tee.tee_hold, bench::TeeHold::never);
  EXPECT_EQ(model("parallel+tee:always", 2).tee_hold, bench::TeeHold::always);
  EXPECT_EQ(model("tee").tee_hold, bench::TeeHold::adaptive);
  EXPECT_EQ(bench::make_strategy("tee:auto", 1, 0, 1024).command,
            "sluice run --hooks tee (hooks.yml: tee with options: {memory_budget: 1024, hold: "
            "auto})");
  EXPECT_THAT([] { bench::make_strategy("parallel:auto", 2); },
              ThrowsMessage<ConfigError>(
                  AllOf(HasSubstr("'parallel:auto'"), HasSubstr("tee, parallel+tee, mpi+tee"))));
  EXPECT_THAT([] { bench::make_strategy("tee:sometimes", 2); },
              ThrowsMessage<ConfigError>(HasSubstr("auto, always or never")));
}

TEST(Predictor, StrategiesItDoesNotSimulateAreNamed) {
  const bench::Strategy ray = bench::parse_strategy("ray", "runner: ray", 2);
  EXPECT_THAT([&] { bench::model_of(ray); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("cannot predict strategy 'ray'"),
                                               HasSubstr("runner 'ray'"),
                                               HasSubstr("(sequential, parallel, mpi)"))));
  const bench::Strategy custom =
      bench::parse_strategy("mine", "runner: sequential\nhooks: [{name: compress}]", 1);
  EXPECT_THAT(
      [&] { bench::model_of(custom); },
      ThrowsMessage<ConfigError>(AllOf(HasSubstr("strategy 'mine'"), HasSubstr("hook 'compress'"),
                                       HasSubstr("measure it with `sluice bench`"))));
  const bench::StrategyModel observed = bench::model_of(bench::parse_strategy(
      "seen", "runner: parallel\nrunner_options: {async_io: true}\nhooks: [{name: timeline}]", 3));
  EXPECT_TRUE(observed.parallel);
  EXPECT_TRUE(observed.async_io);
  EXPECT_EQ(observed.workers, 3U);
  EXPECT_FALSE(observed.tee);
}

TEST(Predictor, TheMpiRunnerFetchesValuesFromTheRankThatSavedThem) {
  // s reads `in` and saves `a`; b1 and b2 each read `a` and `in`.
  const Pipeline pipeline{node("s", same, "in", "a"), node("b1", sum, {"a", "in"}, "x"),
                          node("b2", sum, {"a", "in"}, "y")};
  const bench::Predictor predictor(pipeline, costs(pipeline, 0.5));
  const bench::StrategyModel mpi = model("mpi", 2);
  EXPECT_TRUE(mpi.mpi);
  EXPECT_EQ(mpi.workers, 2U);
  // Without hooks as the parallel runner: s ends at 2.5 s on rank 1; b1 goes to rank 2 (free
  // first) and fetches `a` from rank 1, which reads it from its storage (1 s); b1 and b2 each
  // read `in` (1 s), compute and write: 2.5 + 2 + 0.5 + 1 = 6 s.
  const auto plain = predictor.predict(mpi, kOneSecond);
  EXPECT_DOUBLE_EQ(plain.seconds, 6.0);
  EXPECT_EQ(plain.reads, 5U);
  EXPECT_EQ(plain.writes, 3U);
  EXPECT_DOUBLE_EQ(predictor.predict(model("parallel", 2), kOneSecond).seconds, 6.0);
  // With the tee every rank has its own: rank 1 reads `in` for s and keeps it for b2; rank 2
  // fetches `a` from rank 1's memory but reads `in` itself (1 s): b1 computes from 2.5 s and its
  // write ends at 4 s. In one process the tee reads `in` once, and the run takes 3 s.
  const auto tee = predictor.predict(model("mpi+tee", 2), kOneSecond);
  EXPECT_DOUBLE_EQ(tee.seconds, 4.0);
  EXPECT_EQ(tee.reads, 2U);
  const auto parallel_tee = predictor.predict(model("parallel+tee", 2), kOneSecond);
  EXPECT_DOUBLE_EQ(parallel_tee.seconds, 3.0);
  EXPECT_EQ(parallel_tee.reads, 1U);
  // With the cache, rank 1 serves `a` from memory, and each rank reads `in` once: b1 reads it
  // (2.5 -> 3.5 s), computes, writes through (5 s); b2 has both in memory (2.5 -> 4 s).
  const auto cache = predictor.predict(model("cache", 1), kOneSecond);
  EXPECT_DOUBLE_EQ(cache.seconds, 1 + 0.5 + 1 + 2 * (0.5 + 1));
  const auto ranks_cache = predictor.predict(
      bench::model_of(bench::parse_strategy("mpi+cache", "runner: mpi\nhooks: [{name: cache}]", 2)),
      kOneSecond);
  EXPECT_DOUBLE_EQ(ranks_cache.seconds, 5.0);
  EXPECT_EQ(ranks_cache.reads, 2U);
}

TEST(Predictor, TheMpiRunnerHandsNodesOutFirstComeFirstServed) {
  // After a source of 1 s, a1 and a2 (1 s each) and the chain b1 -> b2 -> b3 (1 s each).
  const Pipeline pipeline{node("src", same, "in", "s"), node("a1", same, "s", "x1"),
                          node("a2", same, "s", "x2"),  node("b1", same, "s", "y1"),
                          node("b2", same, "y1", "y2"), node("b3", same, "y2", "y3")};
  const bench::Predictor predictor(pipeline, costs(pipeline, 1.0));
  const bench::StorageTimes none{};
  // One rank: one node after another.
  EXPECT_DOUBLE_EQ(predictor.predict(model("mpi", 1), none).seconds, 6.0);
  // Two: rank 0 hands out the ready nodes in plan order, a1 and a2 first, so the chain starts
  // at 2 s and ends at 5 s. The parallel runner starts the longest path (b1) first: 4 s.
  EXPECT_DOUBLE_EQ(predictor.predict(model("mpi", 2), none).seconds, 5.0);
  EXPECT_DOUBLE_EQ(predictor.predict(model("parallel", 2), none).seconds, 4.0);
}

// Reads of 1..8 MB at 20 ms + bytes / 50 MB/s and writes of the same sizes at 30 ms, each off by
// up to 0.2 ms.
std::vector<bench::ObservedOperation> slow_link_operations() {
  std::vector<bench::ObservedOperation> operations;
  for (int i = 1; i <= 8; ++i) {
    const auto bytes = static_cast<std::uint64_t>(i) * 1'000'000;
    const double noise = ((i * 37) % 5 - 2) * 1e-4;
    operations.push_back({"r", false, 0.020 + static_cast<double>(bytes) / 50e6 + noise, bytes});
    operations.push_back({"w", true, 0.030 + static_cast<double>(bytes) / 50e6 - noise, bytes});
  }
  return operations;
}

TEST(ObservedStorage, LatenciesAndBandwidthAreFittedWhenSizesVary) {
  const bench::ObservedStorage seen = bench::observed_storage(slow_link_operations());
  EXPECT_NEAR(seen.read_latency, 0.020, 0.0005);
  EXPECT_NEAR(seen.write_latency, 0.030, 0.0005);
  EXPECT_NEAR(seen.bandwidth, 50e6, 0.02 * 50e6);
  EXPECT_EQ(seen.reads, 8U);
  EXPECT_EQ(seen.writes, 8U);
  EXPECT_THAT(seen.method, HasSubstr("least squares over 16 operations"));
}

TEST(ObservedStorage, SameSizesGiveTheMedianLatencyAndUnlimitedBandwidth) {
  // One slow outlier does not move the median; no transfer time can be told from latency.
  const std::vector<bench::ObservedOperation> operations = {
      {"a", false, 0.020, 100}, {"b", false, 0.021, 100}, {"c", false, 0.019, 100},
      {"d", false, 0.500, 100}, {"e", false, 0.020, 100}, {"a", true, 0.041, 100},
      {"b", true, 0.040, 100}};
  const bench::ObservedStorage seen = bench::observed_storage(operations);
  EXPECT_DOUBLE_EQ(seen.read_latency, 0.020);
  EXPECT_DOUBLE_EQ(seen.write_latency, 0.0405);
  EXPECT_EQ(seen.bandwidth, 0);
  EXPECT_THAT(seen.method, HasSubstr("median time per operation"));
  // Sizes that vary but whose transfer time is lost in the noise are no bandwidth either.
  std::vector<bench::ObservedOperation> noisy;
  for (int i = 0; i < 10; ++i) {
    noisy.push_back(
        {"x", false, 0.1 + (i % 2 == 0 ? 0.01 : -0.01), static_cast<std::uint64_t>(1000 + i)});
  }
  EXPECT_EQ(bench::observed_storage(noisy).bandwidth, 0);
}

TEST(ObservedStorage, AKindWithoutOperationsTakesTheOthersLatency) {
  const bench::ObservedStorage writes_only =
      bench::observed_storage({{"a", true, 0.05, 10}, {"b", true, 0.05, 10}});
  EXPECT_DOUBLE_EQ(writes_only.read_latency, 0.05);
  EXPECT_EQ(writes_only.reads, 0U);
  const bench::ObservedStorage none = bench::observed_storage({});
  EXPECT_EQ(none.read_latency, 0);
  EXPECT_THAT(none.method, HasSubstr("no operations on storage"));
}

}  // namespace
}  // namespace sluice
