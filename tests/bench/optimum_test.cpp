#include <cmath>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sluice/bench/lower_bound.hpp>
#include <sluice/bench/scenarios.hpp>

#include "support/pass_node.hpp"

// The lower bound against the model's optimum, found by exhaustive search. No timing: both are
// computed from the model, not measured.

namespace sluice {
namespace {

using testing::pass;

constexpr double kSlack = 1e-9;

// A random DAG of `count` nodes: each reads 1 to 3 of the free inputs (in_0, in_1) and earlier
// outputs and writes one or two datasets; costs, latencies, what is persisted and the workers are
// random, some costs zero.
struct RandomCase {
  Pipeline pipeline;
  bench::BoundInputs inputs;
  std::string description;
};

RandomCase random_case(std::uint64_t seed, std::size_t count) {
  std::mt19937_64 random(seed);
  auto uniform = [&](double low, double high) {
    return std::uniform_real_distribution<double>(low, high)(random);
  };
  std::vector<std::string> available = {"in_0", "in_1"};
  std::vector<Node> nodes;
  RandomCase result;
  auto persisted = std::make_shared<std::set<std::string>>();
  for (const auto& input : available) {
    if (random() % 4 != 0) {
      persisted->insert(input);
    }
  }
  for (std::size_t i = 0; i < count; ++i) {
    std::set<std::string> reads;
    const std::size_t read_count = 1 + random() % 3;
    for (std::size_t r = 0; r < read_count; ++r) {
      reads.insert(available[random() % available.size()]);
    }
    std::vector<std::string> outputs;
    for (std::size_t o = 0; o < 1 + random() % 2; ++o) {
      outputs.push_back(fmt::format("n{}_out{}", i, o));
      if (random() % 3 != 0) {
        persisted->insert(outputs.back());
      }
    }
    const std::string name = fmt::format("n{}", i);
    nodes.push_back(pass(name, std::vector<std::string>(reads.begin(), reads.end()), outputs));
    available.insert(available.end(), outputs.begin(), outputs.end());
    result.inputs.compute[name] = random() % 5 == 0 ? 0.0 : uniform(0.1, 3);
  }
  result.pipeline = Pipeline(std::move(nodes));
  result.inputs.read_latency = random() % 4 == 0 ? 0.0 : uniform(0, 2);
  result.inputs.write_latency = random() % 4 == 0 ? 0.0 : uniform(0, 2);
  result.inputs.workers = 1 + random() % 4;
  if (random() % 3 == 0) {
    result.inputs.bandwidth = 100;
    for (const auto& dataset : available) {
      result.inputs.bytes[dataset] = random() % 200;
    }
  }
  result.inputs.persisted = [persisted](const std::string& dataset) {
    return persisted->contains(dataset);
  };
  result.description =
      fmt::format("seed {}, {} nodes, {} workers", seed, count, result.inputs.workers);
  return result;
}

TEST(Optimum, TheBranchAndBoundFindsWhatTryingEveryScheduleFinds) {
  // Every order and every worker for every node (all semi-active schedules, nothing pruned)
  // against the pruned search over list schedules.
  for (std::uint64_t seed = 1; seed <= 150; ++seed) {
    const RandomCase c = random_case(seed, 1 + seed % 6);
    const auto every =
        bench::optimum(c.pipeline, c.inputs, {.max_states = 100'000'000, .every_assignment = true});
    const auto pruned = bench::optimum(c.pipeline, c.inputs);
    ASSERT_TRUE(every.has_value()) << c.description;
    ASSERT_TRUE(pruned.has_value()) << c.description;
    EXPECT_NEAR(*pruned, *every, kSlack) << c.description;
  }
}

// 1,500 random DAGs of 1 to 8 nodes, each with its exhaustive optimum.
template <class Check>
void for_each_small_dag(Check check) {
  for (std::uint64_t seed = 1; seed <= 1500; ++seed) {
    const RandomCase c = random_case(seed, 1 + seed % 8);
    const auto best = bench::optimum(c.pipeline, c.inputs, {.max_states = 50'000'000});
    ASSERT_TRUE(best.has_value()) << c.description;
    check(c, *best);
  }
}

TEST(LowerBound, NeverExceedsTheOptimumOnRandomSmallDags) {
  int equal = 0;
  int cases = 0;
  for_each_small_dag([&](const RandomCase& c, double optimum) {
    const std::optional<double> best = optimum;
    const double bound = bench::lower_bound(c.pipeline, c.inputs);
    EXPECT_LE(bound, *best + kSlack) << c.description;
    ++cases;
    equal += std::abs(bound - *best) <= kSlack ? 1 : 0;
  });
  // Not a promise, a check that the cases are not all trivial: some bounds fall short.
  EXPECT_LT(equal, cases);
}

bench::BoundInputs uniform(const Pipeline& pipeline, double compute, double r, double w,
                           std::size_t workers, bool persist_intermediates = true) {
  bench::BoundInputs inputs;
  for (const auto& node : pipeline.nodes()) {
    inputs.compute[node.name()] = compute;
  }
  inputs.read_latency = r;
  inputs.write_latency = w;
  inputs.workers = workers;
  inputs.persisted = [persist_intermediates](const std::string& dataset) {
    return persist_intermediates || dataset == "raw";
  };
  return inputs;
}

TEST(LowerBound, FanoutOfEightOnOneWorkerIsTheFirstReadTheWorkAndTheLastWrite) {
  const ManualClock clock;
  const auto fanout = bench::make_scenario("fanout:8", {}, clock);
  // Everything persisted (the tee): read raw 0.2, ten nodes of 0.1 one after the other, then
  // the last write 0.2. max(critical path, sum c / P) said 1.0.
  const auto tee = uniform(fanout.pipeline, 0.1, 0.2, 0.2, 1);
  EXPECT_NEAR(bench::lower_bound(fanout.pipeline, tee), 1.4, kSlack);
  EXPECT_NEAR(*bench::optimum(fanout.pipeline, tee), 1.4, kSlack);
  // `memory` reads raw and writes nothing: 0.2 + 1.0.
  const auto memory = uniform(fanout.pipeline, 0.1, 0.2, 0.2, 1, false);
  EXPECT_NEAR(bench::lower_bound(fanout.pipeline, memory), 1.2, kSlack);
  EXPECT_NEAR(*bench::optimum(fanout.pipeline, memory), 1.2, kSlack);
  // Eight workers: the critical path, read + source + branch + join + write.
  const auto wide = uniform(fanout.pipeline, 0.1, 0.2, 0.2, 8);
  EXPECT_NEAR(bench::lower_bound(fanout.pipeline, wide), 0.7, kSlack);
  EXPECT_NEAR(*bench::optimum(fanout.pipeline, wide), 0.7, kSlack);
}

TEST(LowerBound, BranchesThatDoNotDivideAmongTheWorkersTakeWholeRounds) {
  // fanout:3 on 2 workers: the branches take two rounds, 0.2 (the set term with the pigeonhole),
  // where the critical path says 0.7 and sum c / P 0.25.
  const ManualClock clock;
  const auto fanout = bench::make_scenario("fanout:3", {}, clock);
  const auto inputs = uniform(fanout.pipeline, 0.1, 0.2, 0.2, 2);
  EXPECT_NEAR(bench::lower_bound(fanout.pipeline, inputs), 0.8, kSlack);
  EXPECT_NEAR(*bench::optimum(fanout.pipeline, inputs), 0.8, kSlack);
}

// 300 chains, fan-outs and diamonds, with random workers, latencies, persistence and costs.
struct ShapeCase {
  Pipeline pipeline;
  bench::BoundInputs inputs;
  std::string description;
};

std::vector<ShapeCase> shape_cases(std::uint64_t seed) {
  std::mt19937_64 random(seed);
  auto uniform_in = [&](double low, double high) {
    return std::uniform_real_distribution<double>(low, high)(random);
  };
  const ManualClock clock;
  std::vector<ShapeCase> cases;
  for (int trial = 0; trial < 300; ++trial) {
    const std::size_t workers = 1 + random() % 4;
    const double r = uniform_in(0, 1);
    const double w = uniform_in(0, 1);
    const bool persist = random() % 4 != 0;
    const std::string shape = trial % 3 == 0   ? fmt::format("chain:{}", 1 + random() % 8)
                              : trial % 3 == 1 ? fmt::format("fanout:{}", 1 + random() % 6)
                                               : std::string("diamond");
    const auto scenario = bench::make_scenario(shape, {}, clock);
    auto inputs = uniform(scenario.pipeline, uniform_in(0.1, 2), r, w, workers, persist);
    // Chains and diamonds take any costs (a diamond's two sides on one worker or two); a fan-out
    // any source and join, with branches alike (unequal ones on several workers are a
    // partition problem, which no simple bound solves).
    for (auto& [node, compute] : inputs.compute) {
      if (!shape.starts_with("fanout") || node == "source" || node == "join") {
        compute = uniform_in(0, 2);
      }
    }
    cases.push_back(
        {scenario.pipeline, std::move(inputs),
         fmt::format("{} on {} workers, r {} w {} persist {}", shape, workers, r, w, persist)});
  }
  return cases;
}

TEST(LowerBound, EqualsTheOptimumOnChainsFanoutsAndDiamonds) {
  for (const ShapeCase& c : shape_cases(14)) {
    const auto best = bench::optimum(c.pipeline, c.inputs);
    ASSERT_TRUE(best.has_value()) << c.description;
    EXPECT_NEAR(bench::lower_bound(c.pipeline, c.inputs), *best, kSlack) << c.description;
  }
}

constexpr bench::SchedulePriority kPriorities[] = {
    bench::SchedulePriority::runner_fifo, bench::SchedulePriority::longest_path,
    bench::SchedulePriority::longest_node_path, bench::SchedulePriority::plan_order};

TEST(SimulatedSchedule, NeverBeatsTheOptimumOnRandomSmallDags) {
  // Every simulated schedule is feasible: none is shorter than the exhaustive optimum, and the
  // best of them brackets the optimum with the bound.
  int equal = 0;
  int cases = 0;
  for_each_small_dag([&](const RandomCase& c, double optimum) {
    const std::optional<double> best = optimum;
    for (const auto priority : kPriorities) {
      const auto schedule = bench::simulate(c.pipeline, c.inputs, priority);
      EXPECT_GE(schedule.seconds, *best - kSlack) << c.description << ", " << schedule.rule;
    }
    const auto schedule = bench::best_schedule(c.pipeline, c.inputs);
    EXPECT_GE(schedule.seconds, *best - kSlack) << c.description << ", " << schedule.rule;
    EXPECT_LE(bench::lower_bound(c.pipeline, c.inputs), schedule.seconds + kSlack) << c.description;
    ++cases;
    equal += std::abs(schedule.seconds - *best) <= kSlack ? 1 : 0;
  });
  // Not a promise: most small cases are scheduled optimally, but the simulation is a heuristic.
  EXPECT_GT(equal, cases / 2);
}

TEST(SimulatedSchedule, EqualsTheOptimumOnChainsFanoutsAndDiamonds) {
  for (const ShapeCase& c : shape_cases(15)) {
    const auto best = bench::optimum(c.pipeline, c.inputs);
    ASSERT_TRUE(best.has_value()) << c.description;
    EXPECT_NEAR(bench::best_schedule(c.pipeline, c.inputs).seconds, *best, kSlack) << c.description;
    // These shapes leave no choice that matters: the runner's own order is optimal too.
    EXPECT_NEAR(bench::simulate(c.pipeline, c.inputs, bench::SchedulePriority::runner_fifo).seconds,
                *best, kSlack)
        << c.description;
  }
}

TEST(SimulatedSchedule, TheRunnersOrderCanLoseToTheLongestPathFirst) {
  // `source` makes a, b and c ready, in index order; c heads the chain c, c2, c3. The runner's
  // worker runs a itself and queues b, then c: on 2 workers c starts only after a and b.
  std::vector<Node> nodes = {pass("source", {"raw"}, {"s"}),    pass("a", {"s"}, {"a_out"}),
                             pass("b", {"s"}, {"b_out"}),       pass("c", {"s"}, {"c_out"}),
                             pass("c2", {"c_out"}, {"c2_out"}), pass("c3", {"c2_out"}, {"c3_out"})};
  const Pipeline pipeline(std::move(nodes));
  const auto inputs = uniform(pipeline, 1, 0, 0, 2, false);
  const auto fifo = bench::simulate(pipeline, inputs, bench::SchedulePriority::runner_fifo);
  const auto longest = bench::simulate(pipeline, inputs, bench::SchedulePriority::longest_path);
  // FIFO: source; a (by source's worker) and b; c; then c2, c3: 1 + 1 + 1 + 2 = 5.
  // Longest path: source; c and a; c2 and b; c3: 4, the critical path.
  EXPECT_NEAR(fifo.seconds, 5, kSlack);
  EXPECT_NEAR(longest.seconds, 4, kSlack);
  EXPECT_NEAR(*bench::optimum(pipeline, inputs), 4, kSlack);
  EXPECT_NEAR(bench::best_schedule(pipeline, inputs).seconds, 4, kSlack);
  EXPECT_EQ(bench::best_schedule(Pipeline{}, inputs).seconds, 0.0);
}

TEST(SimulatedSchedule, OnRandom200TheLongestPathFirstReachesTheBoundWhereTheRunnersOrderDoesNot) {
  // The bench's random:200 (0.1 s per node, 0.2 s reads and writes): with the longest path to a
  // sink first the run takes its lower bound, so that is its optimum; the order of ParallelRunner
  // before it had priorities (first come first served) did not.
  const ManualClock clock;
  const auto random_dag = bench::make_scenario("random:200", {}, clock);
  for (const std::size_t workers : {1U, 8U}) {
    const auto inputs = uniform(random_dag.pipeline, 0.1, 0.2, 0.2, workers);
    const double bound = bench::lower_bound(random_dag.pipeline, inputs);
    const auto longest =
        bench::simulate(random_dag.pipeline, inputs, bench::SchedulePriority::longest_node_path);
    EXPECT_NEAR(longest.seconds, bound, kSlack) << workers << " workers";
    EXPECT_NEAR(bench::best_schedule(random_dag.pipeline, inputs).seconds, bound, kSlack);
  }
  // 0.2 + 28 nodes of 0.1 on the longest path + 0.2; first come first served loses a node's time.
  const auto inputs = uniform(random_dag.pipeline, 0.1, 0.2, 0.2, 8);
  EXPECT_NEAR(bench::lower_bound(random_dag.pipeline, inputs), 3.2, kSlack);
  EXPECT_NEAR(
      bench::simulate(random_dag.pipeline, inputs, bench::SchedulePriority::runner_fifo).seconds,
      3.3, kSlack);
}

TEST(Optimum, ASearchTooLargeForItsBudgetHasNoAnswer) {
  const ManualClock clock;
  const auto random_dag = bench::make_scenario("random:8:3", {}, clock);
  auto inputs = uniform(random_dag.pipeline, 1, 1, 1, 2);
  EXPECT_FALSE(bench::optimum(random_dag.pipeline, inputs, {.max_states = 3}).has_value());
  EXPECT_TRUE(bench::optimum(random_dag.pipeline, inputs).has_value());
  EXPECT_EQ(bench::optimum(Pipeline{}, inputs), 0.0);
}

}  // namespace
}  // namespace sluice
