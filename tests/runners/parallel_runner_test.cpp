#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/runners/node_error.hpp>
#include <sluice/runners/parallel_runner.hpp>
#include <sluice/runners/sequential_runner.hpp>

#include "support/balance_hook.hpp"
#include "support/gate.hpp"
#include "support/random_dag.hpp"
#include "support/recording_dataset.hpp"
#include "support/recording_hook.hpp"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using testing::BalanceHook;
using ::testing::HasSubstr;
using testing::RandomDag;

using Outputs = std::map<std::string, std::int64_t>;

Outputs run_dag(const RandomDag& dag, Runner& runner, std::shared_ptr<BalanceHook> balance) {
  Catalog catalog = dag.catalog();
  auto hooks = std::make_shared<HookManager>();
  hooks->add("balance", balance);
  catalog.attach(hooks);
  Outputs outputs;
  for (const auto& [name, value] : runner.run(dag.pipeline, catalog)) {
    outputs[name] = value.get<std::int64_t>();
  }
  return outputs;
}

// A runner with async_io: the parallel one (2 workers) or the sequential one.
std::unique_ptr<Runner> async_runner(bool parallel) {
  if (parallel) {
    return std::make_unique<ParallelRunner>(2, true);
  }
  return std::make_unique<SequentialRunner>(true);
}

TEST(ParallelRunner, FiveHundredRandomDagsMatchTheSequentialRunnerWithBalancedEvents) {
  std::vector<std::unique_ptr<Runner>> runners;
  runners.push_back(std::make_unique<SequentialRunner>(true));
  for (std::size_t workers : {1, 2, 8}) {
    for (bool async_io : {false, true}) {
      runners.push_back(std::make_unique<ParallelRunner>(workers, async_io));
    }
  }
  for (std::uint64_t seed = 0; seed < 500; ++seed) {
    const RandomDag dag = testing::random_dag(seed);
    SequentialRunner sequential;
    const Outputs expected = run_dag(dag, sequential, std::make_shared<BalanceHook>());
    ASSERT_FALSE(expected.empty());
    for (const auto& runner : runners) {
      auto balance = std::make_shared<BalanceHook>();
      ASSERT_EQ(run_dag(dag, *runner, balance), expected) << "seed " << seed;
      ASSERT_EQ(balance->problems(), "") << "seed " << seed;
    }
  }
}

// What a run saved (by dataset) and released, from any thread.
class SavesAndReleases : public Hook {
 public:
  Events events() const override {
    return Events{Event::after_dataset_saved, Event::on_dataset_released};
  }
  void after_dataset_saved(std::string_view dataset, const Node*, const Value& value) override {
    const std::lock_guard lock(mutex_);
    saved[std::string(dataset)] = value.get<std::int64_t>();
  }
  void on_dataset_released(std::string_view dataset) override {
    const std::lock_guard lock(mutex_);
    released.insert(std::string(dataset));
  }
  Outputs saved;
  std::set<std::string> released;

 private:
  std::mutex mutex_;
};

// One run of `dag` with a BalanceHook and a SavesAndReleases; the NodeError's node ("" when the
// run succeeds).
std::string run_recorded(const RandomDag& dag, Runner& runner, BalanceHook& balance,
                         SavesAndReleases& record) {
  Catalog catalog = dag.catalog();
  auto hooks = std::make_shared<HookManager>();
  hooks->add("balance", std::shared_ptr<BalanceHook>(&balance, [](BalanceHook*) {}));
  hooks->add("record", std::shared_ptr<SavesAndReleases>(&record, [](SavesAndReleases*) {}));
  catalog.attach(hooks);
  try {
    runner.run(dag.pipeline, catalog);
  } catch (const NodeError& error) {
    // Resuming from the suggestion re-runs the failed node.
    EXPECT_NE(dag.pipeline.from_nodes(error.resume_nodes()).find_node(error.node()), nullptr)
        << error.what();
    return error.node();
  }
  return "";
}

// The scheduler under stress (run it under the tsan preset): 1,000 random DAGs with 1-4 workers,
// async I/O on and off, a third of them with failing nodes. A run without failures saves and
// releases exactly what the sequential runner does; a failing one fails once, on an injected
// failure, saving only the sequential run's values; the events balance either way.
TEST(ParallelRunner, AThousandRandomDagsWithFailuresScheduleLikeTheSequentialRunner) {
  for (std::uint64_t seed = 0; seed < 1000; ++seed) {
    const RandomDag shape = testing::random_dag(seed, 16);
    std::mt19937_64 random(seed);
    std::set<std::string> failing;
    if (seed % 3 == 0) {
      for (int i = 0; i < 1 + static_cast<int>(random() % 2); ++i) {
        failing.insert(shape.pipeline.nodes()[random() % shape.pipeline.size()].name());
      }
    }
    const RandomDag dag = testing::random_dag(seed, 16, failing);
    BalanceHook expected_balance;
    SavesAndReleases expected;
    SequentialRunner sequential;
    ASSERT_EQ(run_recorded(shape, sequential, expected_balance, expected), "") << "seed " << seed;
    const std::size_t workers = 1 + seed % 4;
    for (bool async_io : {false, true}) {
      ParallelRunner runner(workers, async_io);
      BalanceHook balance;
      SavesAndReleases record;
      const std::string failed = run_recorded(dag, runner, balance, record);
      const std::string context =
          fmt::format("seed {}, {} workers, async {}", seed, workers, async_io);
      ASSERT_EQ(balance.problems(), "") << context;
      if (failing.empty()) {
        ASSERT_EQ(failed, "") << context;
        ASSERT_EQ(record.saved, expected.saved) << context;
        ASSERT_EQ(record.released, expected.released) << context;
        ASSERT_EQ(balance.pipeline_errors(), 0) << context;
      } else {
        ASSERT_TRUE(failing.contains(failed)) << context << ": " << failed;
        ASSERT_EQ(balance.pipeline_errors(), 1) << context;
        for (const auto& [name, value] : record.saved) {
          ASSERT_EQ(value, expected.saved.at(name)) << context << ", " << name;
        }
      }
    }
  }
}

// Counts node events from any thread; on every before_node_run tries to add a hook to the
// manager, which a run refuses.
class CountingLatecomerHook : public Hook {
 public:
  explicit CountingLatecomerHook(HookManager& hooks) : hooks_(hooks) {}
  Events events() const override { return {Event::before_node_run, Event::after_node_run}; }
  void before_node_run(const Node&, const CatalogView&, std::vector<Value>&) override {
    before.fetch_add(1);
    try {
      hooks_.add("latecomer", std::make_shared<BalanceHook>());
    } catch (const ConfigError& error) {
      if (std::string_view(error.what())
              .find("cannot add hook 'latecomer' while a pipeline run "
                    "is in progress") != std::string_view::npos) {
        refused.fetch_add(1);
      }
    }
  }
  void after_node_run(const Node&, const CatalogView&, const std::vector<Value>&,
                      const std::vector<Value>&) override {
    after.fetch_add(1);
  }
  std::atomic<int> before{0}, after{0}, refused{0};

 private:
  HookManager& hooks_;
};

// Workers emit every event to the same 5 hooks at once (run under the tsan preset): each hook
// hears every event of every node, and no hook gets connected while the run is on.
TEST(ParallelRunner, ManyWorkersEmitToTheSameHooksAtOnceAndNoHookJoinsMidRun) {
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    const RandomDag dag = testing::random_dag(seed);
    Catalog catalog = dag.catalog();
    auto hooks = std::make_shared<HookManager>();
    std::vector<std::shared_ptr<BalanceHook>> balances;
    for (int i = 0; i < 4; ++i) {
      balances.push_back(std::make_shared<BalanceHook>());
      hooks->add(fmt::format("balance{}", i), balances.back());
    }
    auto counter = std::make_shared<CountingLatecomerHook>(*hooks);
    hooks->add("counter", counter);
    catalog.attach(hooks);
    ParallelRunner runner(8, seed % 2 == 0);
    runner.run(dag.pipeline, catalog);
    const int nodes = static_cast<int>(dag.pipeline.size());
    ASSERT_EQ(counter->before.load(), nodes) << "seed " << seed;
    ASSERT_EQ(counter->after.load(), nodes) << "seed " << seed;
    ASSERT_EQ(counter->refused.load(), nodes) << "seed " << seed;
    for (const auto& balance : balances) {
      ASSERT_EQ(balance->problems(), "") << "seed " << seed;
    }
    ASSERT_EQ(hooks->names().size(), 5U) << "seed " << seed;
  }
}

TEST(ParallelRunner, InjectedFailuresFailTheRunOnceWithBalancedEventsAndAResumePoint) {
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    const RandomDag shape = testing::random_dag(seed);
    std::mt19937_64 random(seed);
    std::set<std::string> failing;
    for (int i = 0; i < 1 + static_cast<int>(random() % 3); ++i) {
      failing.insert(shape.pipeline.nodes()[random() % shape.pipeline.size()].name());
    }
    const RandomDag dag = testing::random_dag(seed, 24, failing);
    for (std::size_t workers : {2, 8}) {
      ParallelRunner runner(workers, seed % 2 == 0);
      auto balance = std::make_shared<BalanceHook>();
      try {
        run_dag(dag, runner, balance);
        FAIL() << "seed " << seed << ": expected a failure";
      } catch (const NodeError& error) {
        EXPECT_TRUE(failing.contains(error.node())) << error.what();
        EXPECT_FALSE(error.resume_nodes().empty());
        // Resuming from the suggestion re-runs the failed node.
        EXPECT_NE(dag.pipeline.from_nodes(error.resume_nodes()).find_node(error.node()), nullptr);
      }
      EXPECT_EQ(balance->problems(), "") << "seed " << seed;
      EXPECT_EQ(balance->pipeline_errors(), 1);
    }
  }
}

TEST(ParallelRunner, ManyNodesFailingAtOnceGiveOneErrorAndNoHang) {
  std::vector<Node> nodes;
  for (int i = 0; i < 32; ++i) {
    nodes.push_back(node(
        "fail" + std::to_string(i),
        [](std::int64_t) -> std::int64_t { throw std::runtime_error("all at once"); }, "in",
        "out" + std::to_string(i)));
  }
  Catalog catalog;
  catalog.add("in", std::make_shared<MemoryDataset>(Value::of(std::int64_t{1})));
  auto balance = std::make_shared<BalanceHook>();
  auto hooks = std::make_shared<HookManager>();
  hooks->add("balance", balance);
  catalog.attach(hooks);
  ParallelRunner runner(8);
  EXPECT_THROW(runner.run(Pipeline(std::move(nodes)), catalog), NodeError);
  EXPECT_EQ(balance->pipeline_errors(), 1);
  EXPECT_EQ(balance->problems(), "");
}

// `in` (1), and persisted datasets whose saves fail ("disk full").
Catalog failing_saves(const std::vector<std::string>& names) {
  Catalog catalog;
  catalog.add("in", std::make_shared<MemoryDataset>(Value::of(std::int64_t{1})));
  for (const auto& name : names) {
    auto failing = std::make_shared<testing::RecordingDataset>();
    failing->fail_save = true;
    catalog.add(name, failing);
  }
  return catalog;
}

TEST(ParallelRunner, TheErrorListsEveryNodeThatFailedNotOnlyTheFirst) {
  // Both roots are submitted before either runs, so both run and both saves fail.
  Catalog catalog = failing_saves({"x", "y"});
  const Pipeline pipeline{node(
                              "a", [](std::int64_t v) { return v; }, "in", "x"),
                          node(
                              "b", [](std::int64_t v) { return v; }, "in", "y")};
  for (std::size_t workers : {1, 2}) {
    try {
      ParallelRunner(workers).run(pipeline, catalog);
      FAIL() << "expected the run to fail";
    } catch (const NodeError& error) {
      EXPECT_EQ(error.other_failures().size(), 1U);
      EXPECT_THAT(
          error.what(),
          AllOf(HasSubstr("failed to save dataset 'x'"), HasSubstr("failed to save dataset 'y'"),
                HasSubstr("Also failed in this run:"), HasSubstr("--from-nodes \"a,b\"")));
    }
  }
}

TEST(AsyncIo, EverySaveThatFailedIsNamedNotOnlyTheFirst) {
  Catalog catalog = failing_saves({"left", "right"});
  const Pipeline pipeline{
      node("split", [](std::int64_t x) { return std::make_tuple(x, x); }, "in", {"left", "right"})};
  for (bool parallel : {false, true}) {
    const std::unique_ptr<Runner> runner = async_runner(parallel);
    try {
      runner->run(pipeline, catalog);
      FAIL() << "expected the run to fail";
    } catch (const NodeError& error) {
      EXPECT_EQ(error.phase(), NodePhase::save);
      EXPECT_THAT(error.what(), AllOf(HasSubstr("2 of its 2 saves failed"),
                                      HasSubstr("failed to save dataset 'left'"),
                                      HasSubstr("failed to save dataset 'right'")));
    }
  }
}

TEST(ParallelRunner, ANodeStartsAsSoonAsItsInputsExistNotLayerByLayer) {
  // slow and quick start together; then after_quick (layer 2) must run while slow (layer 1)
  // is still running: slow waits for it. Layer by layer, the gate would never open and slow's
  // wait would time out.
  testing::Gate after_quick_ran;
  std::atomic<bool> slow_saw_it{false};
  const Pipeline pipeline{
      node(
          "slow",
          [&](std::int64_t x) {
            after_quick_ran.wait();
            slow_saw_it = true;
            return x;
          },
          "a", "slow_out"),
      node(
          "quick", [](std::int64_t x) { return x; }, "b", "quick_out"),
      node(
          "after_quick",
          [&](std::int64_t x) {
            after_quick_ran.open();
            return x;
          },
          "quick_out", "done"),
  };
  Catalog catalog;
  catalog.add("a", std::make_shared<MemoryDataset>(Value::of(std::int64_t{1})));
  catalog.add("b", std::make_shared<MemoryDataset>(Value::of(std::int64_t{2})));
  ParallelRunner(2).run(pipeline, catalog);
  EXPECT_TRUE(slow_saw_it);
}

TEST(ParallelRunner, TheReadyNodeWithTheLongestPathToASinkStartsFirst) {
  // source makes a, b and c ready (in that order); c heads the chain c -> c2 -> c3, and a waits
  // until c has started. On 2 workers c and a start first, so b starts only after c did. First
  // come first served, a and b would take both workers and c would start only after b: the
  // run a node longer.
  std::mutex mutex;
  std::vector<std::string> started;
  std::unique_ptr<testing::Gate> c_started;
  auto record = [&](const std::string& name) {
    const std::lock_guard lock(mutex);
    started.push_back(name);
  };
  auto step = [&](const std::string& name) {
    return [&, name](std::int64_t x) {
      record(name);
      return x;
    };
  };
  const Pipeline pipeline{node("source", step("source"), "raw", "s"),
                          node(
                              "a",
                              [&](std::int64_t x) {
                                record("a");
                                c_started->wait();
                                return x;
                              },
                              "s", "a_out"),
                          node("b", step("b"), "s", "b_out"),
                          node(
                              "c",
                              [&](std::int64_t x) {
                                record("c");
                                c_started->open();
                                return x;
                              },
                              "s", "c_out"),
                          node("c2", step("c2"), "c_out", "c2_out"),
                          node("c3", step("c3"), "c2_out", "c3_out")};
  for (int trial = 0; trial < 50; ++trial) {
    Catalog catalog;
    catalog.add("raw", std::make_shared<MemoryDataset>(Value::of(std::int64_t{1})));
    started.clear();
    c_started = std::make_unique<testing::Gate>();
    ParallelRunner(2).run(pipeline, catalog);
    ASSERT_EQ(started.size(), 6U);
    const auto at = [&](const std::string& name) {
      return std::find(started.begin(), started.end(), name) - started.begin();
    };
    EXPECT_LT(at("c"), at("b")) << fmt::format("{}", fmt::join(started, ", "));
  }
}

// Arrives, then waits until `expected` callers are in at once (10 s deadlock guard).
void rendezvous(std::atomic<int>& arrived, int expected, const char* what) {
  ++arrived;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (arrived < expected) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error(what);
    }
    std::this_thread::yield();
  }
}

// A dataset whose load waits until `expected` loads are in progress at once.
class RendezvousDataset : public Dataset {
 public:
  RendezvousDataset(std::shared_ptr<std::atomic<int>> arrived, int expected, bool fail = false)
      : arrived_(std::move(arrived)), expected_(expected), fail_(fail) {}
  Value load() override {
    rendezvous(*arrived_, expected_, "loads did not overlap");
    if (fail_) {
      throw std::runtime_error("storage unavailable");
    }
    return Value::of(std::int64_t{1});
  }
  void save(const Value&) override {}
  bool exists() const override { return true; }
  std::string dataset_type() const override { return "RendezvousDataset"; }

 private:
  std::shared_ptr<std::atomic<int>> arrived_;
  int expected_;
  bool fail_;
};

Pipeline three_input_node() {
  return Pipeline{node(
      "join", [](std::int64_t a, std::int64_t b, std::int64_t c) { return a + b + c; },
      {"x", "y", "z"}, "sum")};
}

TEST(AsyncIo, ANodesInputsAreLoadedConcurrently) {
  for (bool parallel : {false, true}) {
    auto arrived = std::make_shared<std::atomic<int>>(0);
    Catalog catalog;
    for (const char* name : {"x", "y", "z"}) {
      catalog.add(name, std::make_shared<RendezvousDataset>(arrived, 3));
    }
    const std::unique_ptr<Runner> runner = async_runner(parallel);
    EXPECT_EQ(runner->run(three_input_node(), catalog).at("sum").get<std::int64_t>(), 3);
  }
}

TEST(AsyncIo, EveryLoadErrorIsNamed) {
  auto arrived = std::make_shared<std::atomic<int>>(0);
  Catalog catalog;
  catalog.add("x", std::make_shared<RendezvousDataset>(arrived, 3));
  catalog.add("y", std::make_shared<RendezvousDataset>(arrived, 3, true));
  catalog.add("z", std::make_shared<RendezvousDataset>(arrived, 3, true));
  try {
    SequentialRunner(true).run(three_input_node(), catalog);
    FAIL();
  } catch (const NodeError& error) {
    EXPECT_EQ(error.phase(), NodePhase::load);
    EXPECT_THAT(error.what(), AllOf(HasSubstr("2 of its 3 loads failed"), HasSubstr("dataset 'y'"),
                                    HasSubstr("dataset 'z'"), HasSubstr("storage unavailable")));
    EXPECT_THAT(error.unreadable_inputs(), ::testing::UnorderedElementsAre("y", "z"));
  }
}

TEST(AsyncIo, OutputsAreSavedConcurrently) {
  auto arrived = std::make_shared<std::atomic<int>>(0);
  // Saving waits for the other save, so a one-at-a-time save would time out.
  class RendezvousSink : public Dataset {
   public:
    explicit RendezvousSink(std::shared_ptr<std::atomic<int>> arrived)
        : arrived_(std::move(arrived)) {}
    Value load() override { return value_; }
    void save(const Value& value) override {
      rendezvous(*arrived_, 2, "saves did not overlap");
      value_ = value;
    }
    bool exists() const override { return true; }
    std::string dataset_type() const override { return "RendezvousSink"; }

   private:
    std::shared_ptr<std::atomic<int>> arrived_;
    Value value_;
  };
  Catalog catalog;
  catalog.add("in", std::make_shared<MemoryDataset>(Value::of(std::int64_t{4})));
  catalog.add("left", std::make_shared<RendezvousSink>(arrived));
  catalog.add("right", std::make_shared<RendezvousSink>(arrived));
  const Pipeline pipeline{
      node("split", [](std::int64_t x) { return std::make_tuple(x, x); }, "in", {"left", "right"})};
  EXPECT_NO_THROW(ParallelRunner(1, true).run(pipeline, catalog));
}

TEST(ParallelRunner, ReleasesAfterTheLastConsumerAcrossThreads) {
  auto recorder = std::make_shared<testing::RecordingHook>();
  auto hooks = std::make_shared<HookManager>();
  hooks->add("recorder", recorder);
  Catalog catalog;
  catalog.attach(hooks);
  catalog.add("x", std::make_shared<MemoryDataset>(Value::of(std::int64_t{1})));
  const Pipeline pipeline{
      node(
          "make", [](std::int64_t x) { return x; }, "x", "mid"),
      node(
          "use1", [](std::int64_t x) { return x; }, "mid", "u1"),
      node(
          "use2", [](std::int64_t x) { return x; }, "mid", "u2"),
  };
  ParallelRunner(4).run(pipeline, catalog);
  const auto seen = recorder->seen();
  auto position = [&seen](const std::string& entry) {
    return std::find(seen.begin(), seen.end(), entry) - seen.begin();
  };
  const auto released = position("on_dataset_released:mid");
  ASSERT_LT(released, static_cast<long>(seen.size()));
  EXPECT_GT(released, position("after_node_run:use1"));
  EXPECT_GT(released, position("after_node_run:use2"));
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "on_dataset_released:mid"), 1);
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

// Runs on one catalog from several threads at once (run it under the tsan preset): each thread
// runs its own chain (its own dataset names) many times, and reruns share the plan and the
// catalog's binding of the pipeline, while another thread keeps replacing a dataset no run
// reads (each replacement makes the next runs refresh their binding). Every run computes its
// chain's value.
TEST(ParallelRunner, ConcurrentRunsOnOneCatalogShareItsBindings) {
  constexpr int kThreads = 4;
  constexpr int kRuns = 150;
  Catalog catalog;
  std::vector<Pipeline> pipelines;
  for (int t = 0; t < kThreads; ++t) {
    std::vector<Node> nodes;
    for (int i = 0; i < 8; ++i) {
      nodes.push_back(node(
          fmt::format("t{}_n{}", t, i), [](int x) { return x + 1; }, fmt::format("t{}_d{}", t, i),
          fmt::format("t{}_d{}", t, i + 1)));
    }
    pipelines.emplace_back(std::move(nodes));
    catalog.add(fmt::format("t{}_d0", t), std::make_shared<MemoryDataset>());
  }
  std::atomic<bool> stop{false};
  std::thread replacer([&] {
    while (!stop.load()) {
      catalog.add("unrelated", std::make_shared<MemoryDataset>(Value::of(0)), true);
      std::this_thread::yield();
    }
  });
  std::vector<std::thread> threads;
  std::atomic<int> correct{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::unique_ptr<Runner> runner;
      if (t % 2 == 0) {
        runner = std::make_unique<SequentialRunner>();
      } else {
        runner = std::make_unique<ParallelRunner>(2, /*async_io=*/t == 3);
      }
      for (int run = 0; run < kRuns; ++run) {
        catalog.save(fmt::format("t{}_d0", t), Value::of(run));
        const auto outputs = runner->run(pipelines[t], catalog);
        if (outputs.at(fmt::format("t{}_d8", t)).get<int>() == run + 8) {
          correct.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  stop.store(true);
  replacer.join();
  EXPECT_EQ(correct.load(), kThreads * kRuns);
}

}  // namespace
}  // namespace sluice
