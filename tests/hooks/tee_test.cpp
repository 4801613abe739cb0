#include <atomic>
#include <chrono>
#include <future>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/catalog_view.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/datasets/binary_dataset.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/core/trace.hpp>
#include <sluice/hooks/tee.hpp>
#include <sluice/runners/node_error.hpp>
#include <sluice/runners/parallel_runner.hpp>
#include <sluice/runners/sequential_runner.hpp>

#include "support/gate.hpp"
#include "support/random_dag.hpp"
#include "support/recording_hook.hpp"

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using testing::Gate;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::ThrowsMessage;

// Persisted storage in memory: writes can be made to wait for a gate, or to fail.
class Storage : public Dataset {
 public:
  explicit Storage(Gate* gate = nullptr, std::string failure = {})
      : gate_(gate), failure_(std::move(failure)) {}
  Value load() override {
    ++loads;
    std::lock_guard lock(mutex_);
    if (!value_) {
      throw std::runtime_error("nothing stored");
    }
    return value_;
  }
  void save(const Value& value) override {
    ++entered;
    if (gate_ != nullptr) {
      gate_->wait();
    }
    if (!failure_.empty()) {
      throw std::runtime_error(failure_);
    }
    std::lock_guard lock(mutex_);
    value_ = value;
    ++saves;
  }
  bool exists() const override {
    std::lock_guard lock(mutex_);
    return value_.has_value();
  }
  std::string dataset_type() const override { return "Storage"; }

  std::atomic<int> loads{0}, saves{0};
  std::atomic<int> entered{0};  // writes begun

 private:
  Gate* gate_;
  std::string failure_;
  mutable std::mutex mutex_;
  Value value_;
};

int plus_one(int x) {
  return x + 1;
}

// in -> a -> x -> b -> y -> c -> z, with x, y, z persisted.
struct Chain {
  explicit Chain(TeeOptions options = {}, std::shared_ptr<Storage> x_storage = nullptr,
                 std::shared_ptr<Storage> y_storage = nullptr,
                 std::shared_ptr<Storage> z_storage = nullptr)
      : tee(std::make_shared<TeeHook>(options)),
        x(x_storage ? x_storage : std::make_shared<Storage>()),
        y(y_storage ? y_storage : std::make_shared<Storage>()),
        z(z_storage ? z_storage : std::make_shared<Storage>()) {
    hooks->add("recorder", recorder);
    hooks->add("tee", tee);
    catalog.add("in", std::make_shared<MemoryDataset>(Value::of(1)));
    catalog.add("x", x);
    catalog.add("y", y);
    catalog.add("z", z);
    catalog.attach(hooks);
  }

  std::map<std::string, Value> run(Runner&& runner = SequentialRunner()) {
    return runner.run(pipeline, catalog);
  }
  bool saw(const std::string& event) const {
    const auto seen = recorder->seen();
    return std::find(seen.begin(), seen.end(), event) != seen.end();
  }

  Pipeline pipeline{node("a", plus_one, "in", "x"), node("b", plus_one, "x", "y"),
                    node("c", plus_one, "y", "z")};
  std::shared_ptr<testing::RecordingHook> recorder = std::make_shared<testing::RecordingHook>();
  std::shared_ptr<HookManager> hooks = std::make_shared<HookManager>();
  std::shared_ptr<TeeHook> tee;
  std::shared_ptr<Storage> x, y, z;
  Catalog catalog;
};

TEST(TeeOptions, ConfigErrorsNameTheOption) {
  auto parse = [](const std::string& yaml) {
    return TeeOptions::parse(parse_yaml(yaml, "conf/base/hooks.yml"), "tee");
  };
  EXPECT_EQ(parse("memory_budget: 2GiB").memory_budget, std::uint64_t{2} << 30);
  EXPECT_EQ(parse("writers: 3\non_write_error: at_end").on_write_error, OnWriteError::at_end);
  EXPECT_THAT([&] { parse("writer: 3"); }, ThrowsMessage<ConfigError>(HasSubstr(
                                               "unknown option 'writer' (did you mean "
                                               "'writers', 'adapt_writers' or 'max_writers'?)")));
  EXPECT_THAT([&] { parse("writers: 0"); },
              ThrowsMessage<ConfigError>(HasSubstr("option 'writers': must be at least 1")));
  EXPECT_THAT([&] { parse("writers: 1000000"); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("conf/base/hooks.yml:1:"),
                                               HasSubstr("must be at most 1024 (got 1000000)"))));
  EXPECT_THAT([&] { parse("memory_budget: -1"); },
              ThrowsMessage<ConfigError>(HasSubstr("must be 0 or more")));
  EXPECT_THAT([&] { parse("memory_budget: -2GiB"); },
              ThrowsMessage<ConfigError>(HasSubstr("must be 0 or more")));
  EXPECT_THAT([&] { parse("memory_budget: lots"); },
              ThrowsMessage<ConfigError>(HasSubstr("'lots' is not a size")));
  EXPECT_THAT([&] { parse("on_write_error: later"); },
              ThrowsMessage<ConfigError>(HasSubstr("not one of fail_fast, at_end")));
  EXPECT_EQ(parse("memory_budget: 1MiB").hold, Hold::adaptive);
  EXPECT_EQ(parse("hold: auto").hold, Hold::adaptive);
  EXPECT_EQ(parse("hold: always").hold, Hold::always);
  EXPECT_EQ(parse("hold: never").hold, Hold::never);
  EXPECT_THAT([&] { parse("hold: sometimes"); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("conf/base/hooks.yml:1:"),
                                               HasSubstr("not one of auto, always, never"))));
}

TEST(Tee, TooManyWritersIsACatchableErrorNamingTheOption) {
  // Built directly (an embedding program), not through hooks.yml: the pool refuses the size.
  EXPECT_THAT([] { TeeHook tee(TeeOptions{.max_writers = 1000000}); },
              ThrowsMessage<Error>(AllOf(HasSubstr("tee: cannot start 1000000 writer threads"),
                                         HasSubstr("lower 'max_writers'"))));
}

TEST(Tee, DownstreamNodesRunWhileWritesArePendingAndReadFromMemory) {
  Gate writes;
  Chain chain({}, std::make_shared<Storage>(&writes), std::make_shared<Storage>(&writes),
              std::make_shared<Storage>(&writes));
  auto run = std::async(std::launch::async, [&] { return chain.run(); });
  // Every node finishes while not one write has gone through.
  ASSERT_TRUE(testing::eventually([&] { return chain.saw("after_node_run:c"); }));
  EXPECT_EQ(chain.x->saves + chain.y->saves + chain.z->saves, 0);
  // The run is not over: it joins the writes before returning.
  EXPECT_EQ(run.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  writes.open();
  run.get();
  EXPECT_EQ(chain.x->saves + chain.y->saves + chain.z->saves, 3);
  EXPECT_EQ(chain.x->loads + chain.y->loads, 0);  // downstream never read slow storage
  EXPECT_EQ(chain.tee->stats().writes_completed, 3U);
}

TEST(Tee, AFailedWriteFailsTheRunAndResumesFromItsProducer) {
  for (auto policy : {OnWriteError::fail_fast, OnWriteError::at_end}) {
    Chain chain({.on_write_error = policy}, std::make_shared<Storage>(nullptr, "disk full"));
    try {
      chain.run();
      FAIL() << "expected the run to fail";
    } catch (const std::exception& error) {
      EXPECT_THAT(error.what(),
                  AllOf(HasSubstr("'x': disk full"), HasSubstr("--from-nodes \"a\"")));
    }
    if (policy == OnWriteError::at_end) {
      EXPECT_EQ(chain.y->saves + chain.z->saves, 2);  // the run went on
    }
  }
}

TEST(Tee, AtEndRunsEverythingAndListsEveryFailedWrite) {
  Chain chain({.on_write_error = OnWriteError::at_end},
              std::make_shared<Storage>(nullptr, "disk full"),
              std::make_shared<Storage>(nullptr, "quota exceeded"));
  EXPECT_THAT([&] { chain.run(); }, ThrowsMessage<Error>(AllOf(HasSubstr("'x': disk full"),
                                                               HasSubstr("'y': quota exceeded"),
                                                               HasSubstr("--from-nodes \"a\""))));
  EXPECT_TRUE(chain.saw("after_node_run:c"));
  EXPECT_EQ(chain.z->saves, 1);  // what succeeded is kept
}

TEST(Tee, AFailureAfterTheLastNodeFailsTheRunAtTheEnd) {
  // at_end: every other write completes, so the resume point is exactly the last node.
  Chain chain({.on_write_error = OnWriteError::at_end}, nullptr, nullptr,
              std::make_shared<Storage>(nullptr, "bucket gone"));
  EXPECT_THAT([&] { chain.run(); }, ThrowsMessage<Error>(AllOf(HasSubstr("'z': bucket gone"),
                                                               HasSubstr("--from-nodes \"c\""))));
  EXPECT_EQ(chain.x->saves + chain.y->saves, 2);
  // fail_fast: whether y's write had started when z's failed is a race; z is listed either way.
  Chain fast({}, nullptr, nullptr, std::make_shared<Storage>(nullptr, "bucket gone"));
  EXPECT_THAT([&] { fast.run(); }, ThrowsMessage<Error>(AllOf(HasSubstr("'z': bucket gone"),
                                                              HasSubstr("--from-nodes"))));
}

TEST(Tee, FailFastDropsTheWritesNotYetStartedAndListsThem) {
  Gate x_write;
  Chain chain({.max_writers = 1}, std::make_shared<Storage>(&x_write, "disk full"));
  auto run = std::async(std::launch::async, [&] { return chain.run(); });
  ASSERT_TRUE(testing::eventually([&] { return chain.saw("after_node_run:c"); }));
  x_write.open();  // x fails now; y and z wait behind it on the single writer
  EXPECT_THAT([&] { run.get(); }, ThrowsMessage<Error>(AllOf(HasSubstr("'x': disk full"),
                                                             HasSubstr("'y': never started"),
                                                             HasSubstr("'z': never started"))));
  EXPECT_EQ(chain.y->saves + chain.z->saves, 0);
}

TEST(Tee, FailFastStopsStartingNodes) {
  Gate x_write;
  Chain chain({}, std::make_shared<Storage>(&x_write, "disk full"));
  // b reads x, lets x's write fail and waits for it: b's own save, and c, must not start.
  chain.pipeline = Pipeline{node("a", plus_one, "in", "x"),
                            node(
                                "b",
                                [&](int v) {
                                  x_write.open();
                                  chain.tee->join();
                                  return v + 1;
                                },
                                "x", "y"),
                            node("c", plus_one, "y", "z")};
  try {
    chain.run();
    FAIL();
  } catch (const NodeError& error) {
    // b's save is refused, and y is listed among the datasets not persisted.
    EXPECT_EQ(error.node(), "b");
    EXPECT_EQ(error.phase(), NodePhase::save);
    EXPECT_THAT(error.what(), AllOf(HasSubstr("'x': disk full"), HasSubstr("'y': never started"),
                                    HasSubstr("--from-nodes \"a\"")));
  }
  EXPECT_FALSE(chain.saw("before_node_run:c"));
  EXPECT_EQ(chain.y->saves, 0);
}

// Before node b starts (and before the tee, by priority): once x2's write has begun, lets
// x1's write fail and waits until the tee has seen it. x2's write is still running.
class FailFirstWrite : public Hook {
 public:
  explicit FailFirstWrite(Gate& first) : first_(first) {}
  Events events() const override { return {Event::before_node_run}; }
  void before_node_run(const Node& node, const CatalogView&, std::vector<Value>&) override {
    if (node.name() == "b") {
      if (!testing::eventually([&] { return x2->entered == 1; })) {
        throw std::runtime_error("x2's write never began");
      }
      first_.open();
      if (!testing::eventually([&] { return tee->stats().writes_failed == 1; })) {
        throw std::runtime_error("x1's write never failed");
      }
    }
  }
  std::shared_ptr<TeeHook> tee;
  std::shared_ptr<Storage> x2;

 private:
  Gate& first_;
};

TEST(Tee, FailFastListsEveryWriteThatFailedAlsoThoseFailingAfterTheRefusal) {
  Gate first, second;
  auto tee = std::make_shared<TeeHook>(TeeOptions{.max_writers = 2});
  auto sequencer = std::make_shared<FailFirstWrite>(first);
  sequencer->tee = tee;
  sequencer->x2 = std::make_shared<Storage>(&second, "quota exceeded");
  auto recorder = std::make_shared<testing::RecordingHook>();
  auto hooks = std::make_shared<HookManager>();
  hooks->add("sequencer", sequencer, -1);
  hooks->add("tee", tee);
  hooks->add("recorder", recorder);
  Catalog catalog;
  catalog.add("in", std::make_shared<MemoryDataset>(Value::of(1)));
  catalog.add("x1", std::make_shared<Storage>(&first, "disk full"));
  catalog.add("x2", sequencer->x2);
  catalog.attach(hooks);
  const Pipeline pipeline{
      node("a", [](int v) { return std::make_tuple(v, v); }, "in", {"x1", "x2"}),
      node("b", plus_one, "x1", "y"), node("c", plus_one, "x2", "z")};
  auto run = std::async(std::launch::async, [&] { SequentialRunner().run(pipeline, catalog); });
  // x2's write fails only once b's refusal is out, or a while after: a refusal that does not
  // wait for the running writes has gone out by then without x2. (No timing is asserted: with
  // the writes joined first, b's refusal waits for x2 however long this takes.)
  const auto patience = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (std::chrono::steady_clock::now() < patience) {
    const auto seen = recorder->seen();
    if (std::find(seen.begin(), seen.end(), "on_node_error:b/running") != seen.end()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  second.open();
  EXPECT_THAT([&] { run.get(); }, ThrowsMessage<NodeError>(AllOf(HasSubstr("'x1': disk full"),
                                                                 HasSubstr("'x2': quota exceeded"),
                                                                 HasSubstr("--from-nodes \"a\""))));
}

// Chain's pipeline, with c throwing "bug".
Pipeline chain_whose_last_node_fails() {
  return Pipeline{node("a", plus_one, "in", "x"), node("b", plus_one, "x", "y"),
                  node(
                      "c", [](int) -> int { throw std::runtime_error("bug"); }, "y", "z")};
}

TEST(Tee, AWriteThatFailedBeforeANodeFailedIsInTheRunsErrorAtEnd) {
  // at_end: the run goes on after x's write failed, then c fails; the run's error is c's, and
  // lists x as not persisted (before, x was only in the log).
  Chain chain({.on_write_error = OnWriteError::at_end},
              std::make_shared<Storage>(nullptr, "disk full"));
  chain.pipeline = chain_whose_last_node_fails();
  try {
    chain.run();
    FAIL() << "expected the run to fail";
  } catch (const NodeError& error) {
    EXPECT_EQ(error.node(), "c");
    EXPECT_THAT(error.what(), AllOf(HasSubstr("bug"), HasSubstr("Also failed in this run"),
                                    HasSubstr("hook 'tee': background writes failed"),
                                    HasSubstr("'x': disk full")));
    EXPECT_THAT(error.resume_nodes(), ::testing::ElementsAre("a"));  // x is not persisted
  }
}

TEST(Tee, ANodeFailureStillJoinsPendingWrites) {
  Chain chain;
  chain.pipeline = chain_whose_last_node_fails();
  try {
    chain.run();
    FAIL();
  } catch (const NodeError& error) {
    EXPECT_THAT(error.resume_nodes(), ::testing::ElementsAre("c"));  // y was persisted
  }
  EXPECT_EQ(chain.x->saves + chain.y->saves, 2);
}

TEST(Tee, BackPressureKeepsPendingBytesWithinTheBudget) {
  constexpr std::size_t kWidth = 24;
  const std::uint64_t value_bytes = Value::of(std::vector<double>(1000)).byte_size();
  auto tee =
      std::make_shared<TeeHook>(TeeOptions{.max_writers = 2, .memory_budget = 3 * value_bytes});
  auto hooks = std::make_shared<HookManager>();
  hooks->add("tee", tee);
  Catalog catalog;
  catalog.add("in", std::make_shared<MemoryDataset>(Value::of(1)));
  std::vector<Node> nodes;
  for (std::size_t i = 0; i < kWidth; ++i) {
    const std::string out = "out" + std::to_string(i);
    catalog.add(out, std::make_shared<Storage>());
    nodes.push_back(node(
        "make" + std::to_string(i), [](int) { return std::vector<double>(1000, 1.0); }, "in", out));
  }
  catalog.attach(hooks);
  ParallelRunner(4).run(Pipeline(std::move(nodes)), catalog);
  const auto stats = tee->stats();
  EXPECT_EQ(stats.writes_completed, kWidth);
  EXPECT_LE(stats.peak_pending_bytes, 3 * value_bytes);
  EXPECT_EQ(stats.pending_bytes, 0U);
}

// Three values made first and read in reverse order: 1_make_a, 2_make_b, 3_make_c, 4_use_c,
// 5_use_b, 6_use_a (the plan's order: among ready nodes the smallest name first), with a, b, c
// persisted and a budget of two values. Each node first waits for the writes so far (so that
// what is kept when is certain), unless b's writes wait for a gate.
struct ReverseReads {
  explicit ReverseReads(Hold hold, Gate* b_writes = nullptr)
      : tee(std::make_shared<TeeHook>(TeeOptions{.memory_budget = 2 * kValueBytes, .hold = hold})) {
    hooks->add("tee", tee);
    hooks->trace()->add(spans);
    catalog.add("in", std::make_shared<MemoryDataset>(Value::of(1)));
    std::vector<Node> nodes;
    const std::vector<std::string> names = {"a", "b", "c"};
    for (std::size_t i = 0; i < names.size(); ++i) {
      const std::string& name = names[i];
      catalog.add(name,
                  storage[name] = std::make_shared<Storage>(name == "b" ? b_writes : nullptr));
      const bool join = b_writes == nullptr;
      nodes.push_back(node(
          fmt::format("{}_make_{}", i + 1, name),
          [this, i, join](int) {
            if (join) {
              tee->join();
            }
            return std::vector<double>(kDoubles, static_cast<double>(i));
          },
          "in", name));
      nodes.push_back(node(
          fmt::format("{}_use_{}", 6 - i, name),
          [this, join](const std::vector<double>& value) {
            if (join) {
              tee->join();
            }
            return value.front();
          },
          name, name + "_used"));
    }
    pipeline = Pipeline(std::move(nodes));
    catalog.attach(hooks);
  }

  // The tee spans recorded, as "name dataset next_reader reason".
  class Spans : public TraceSink {
   public:
    void record(std::string_view category, std::string_view name,
                std::chrono::steady_clock::time_point, std::chrono::steady_clock::time_point,
                const Args& args) override {
      if (category != "tee" || name.starts_with("write")) {
        return;
      }
      std::string line(name);
      for (const auto& [key, value] : args) {
        if (key == "next_reader" || key == "reason") {
          line += " " + value;
        }
      }
      std::lock_guard lock(mutex_);
      lines_.push_back(line);
    }
    std::vector<std::string> lines() const {
      std::lock_guard lock(mutex_);
      return lines_;
    }

   private:
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
  };

  std::map<std::string, Value> run() { return SequentialRunner().run(pipeline, catalog); }

  static constexpr std::size_t kDoubles = 1000;
  static inline const std::uint64_t kValueBytes =
      Value::of(std::vector<double>(kDoubles)).byte_size();
  std::shared_ptr<TeeHook> tee;
  std::shared_ptr<HookManager> hooks = std::make_shared<HookManager>();
  std::shared_ptr<Spans> spans = std::make_shared<Spans>();
  std::map<std::string, std::shared_ptr<Storage>> storage;
  Pipeline pipeline;
  Catalog catalog;
};

TEST(Tee, HoldAutoSpillsTheValueReadLastAndReadsItBack) {
  ReverseReads run(Hold::adaptive);
  const auto outputs = run.run();
  // c's save found a and b kept: a is read last (6_use_a after 5_use_b), so a goes.
  EXPECT_EQ(outputs.at("a_used").get<double>(), 0.0);
  EXPECT_EQ(outputs.at("b_used").get<double>(), 1.0);
  EXPECT_EQ(outputs.at("c_used").get<double>(), 2.0);
  EXPECT_EQ(run.storage["a"]->loads, 1);
  EXPECT_EQ(run.storage["b"]->loads, 0);
  EXPECT_EQ(run.storage["c"]->loads, 0);
  const auto stats = run.tee->stats();
  EXPECT_EQ(stats.spilled, 1U);
  EXPECT_EQ(stats.read_back, 1U);
  EXPECT_LE(stats.peak_held_bytes, 2 * ReverseReads::kValueBytes);
  EXPECT_EQ(stats.kept_bytes, 0U);
  EXPECT_THAT(run.spans->lines(), Contains("spill a 6_use_a memory budget"));
  EXPECT_THAT(run.spans->lines(), Contains("read back a"));
  EXPECT_THAT(run.spans->lines(), Not(Contains(HasSubstr("spill b"))));
}

TEST(Tee, HoldAlwaysKeepsEveryValueAndWaitsForWritesInstead) {
  Gate writes;
  ReverseReads run(Hold::always, &writes);
  auto running = std::async(std::launch::async, [&] { return run.run(); });
  // c's save waits for b's write (a's finished): the budget is full and nothing may go.
  ASSERT_TRUE(testing::eventually([&] { return run.tee->stats().back_pressure_waits == 1; }));
  EXPECT_FALSE(run.tee->holds("c"));
  writes.open();
  const auto outputs = running.get();
  EXPECT_EQ(outputs.at("a_used").get<double>(), 0.0);
  for (const char* name : {"a", "b", "c"}) {
    EXPECT_EQ(run.storage[name]->loads, 0) << name;
  }
  const auto stats = run.tee->stats();
  EXPECT_EQ(stats.spilled, 0U);
  EXPECT_EQ(stats.read_back, 0U);
  EXPECT_EQ(stats.peak_held_bytes, 3 * ReverseReads::kValueBytes);  // kept ones over the budget
}

TEST(Tee, HoldNeverDropsEveryValueOnceWritten) {
  ReverseReads run(Hold::never);
  const auto outputs = run.run();
  EXPECT_EQ(outputs.at("a_used").get<double>(), 0.0);
  EXPECT_EQ(outputs.at("c_used").get<double>(), 2.0);
  // a and b are read back; c is loaded by 4_use_c right after its save, from memory if its
  // write is still running.
  const int c_loads = run.storage["c"]->loads;
  EXPECT_LE(c_loads, 1);
  EXPECT_EQ(run.tee->stats().spilled, 3U);
  EXPECT_EQ(run.tee->stats().read_back, 2U + static_cast<unsigned>(c_loads));
  EXPECT_EQ(run.storage["a"]->loads, 1);
  EXPECT_EQ(run.storage["b"]->loads, 1);
  EXPECT_THAT(run.spans->lines(), Contains("spill a 6_use_a hold: never"));
}

TEST(Tee, HoldAutoKeepsEveryPeakWithinTheBudgetUnderTheParallelRunner) {
  // fanout:16 in small: one value read by 16 branches whose outputs a join reads, on 4
  // workers, with room for 4 values.
  constexpr std::size_t kWidth = 16;
  const std::uint64_t value_bytes = Value::of(std::vector<double>(1000)).byte_size();
  auto tee = std::make_shared<TeeHook>(TeeOptions{.memory_budget = 4 * value_bytes});
  auto hooks = std::make_shared<HookManager>();
  hooks->add("tee", tee);
  Catalog catalog;
  catalog.add("in", std::make_shared<MemoryDataset>(Value::of(1)));
  catalog.add("shared", std::make_shared<Storage>());
  std::vector<Node> nodes;
  nodes.push_back(node(
      "source", [](int) { return std::vector<double>(1000, 1.0); }, "in", "shared"));
  std::vector<std::string> branches;
  for (std::size_t i = 0; i < kWidth; ++i) {
    branches.push_back(fmt::format("branch_{}_out", i));
    catalog.add(branches.back(), std::make_shared<Storage>());
    nodes.push_back(node(
        fmt::format("branch_{}", i),
        [i](const std::vector<double>& shared) {
          return std::vector<double>(1000, shared.front() + static_cast<double>(i));
        },
        "shared", branches.back()));
  }
  nodes.emplace_back("join", branches, std::vector<std::string>{"sum"},
                     [](const std::vector<Value>& inputs, const std::vector<std::string>&) {
                       double sum = 0;
                       for (const Value& input : inputs) {
                         sum += input.get<std::vector<double>>().front();
                       }
                       return std::vector<Value>{Value::of(sum)};
                     });
  catalog.attach(hooks);
  const auto outputs = ParallelRunner(4).run(Pipeline(std::move(nodes)), catalog);
  EXPECT_EQ(outputs.at("sum").get<double>(), 16.0 + 15.0 * 16.0 / 2.0);
  const auto stats = tee->stats();
  EXPECT_LE(stats.peak_held_bytes, 4 * value_bytes);
  // The join reads 16 values, at most 4 of them from memory.
  EXPECT_GE(stats.spilled, 12U);
  EXPECT_GE(stats.read_back, 12U);
  EXPECT_EQ(stats.kept_bytes, 0U);
}

TEST(Tee, AValueLargerThanTheBudgetStillGoesThroughAlone) {
  Chain chain({.memory_budget = 1});
  EXPECT_NO_THROW(chain.run());
  EXPECT_EQ(chain.tee->stats().writes_completed, 3U);
}

TEST(Tee, MemoryIsDroppedOnlyOnceTheWriteFinishedAndTheLastConsumerRan) {
  // Write pending, consumers done: still held.
  Gate writes;
  Chain slow({}, std::make_shared<Storage>(&writes));
  auto run = std::async(std::launch::async, [&] { return slow.run(); });
  ASSERT_TRUE(testing::eventually([&] { return slow.saw("on_dataset_released:x"); }));
  EXPECT_TRUE(slow.tee->holds("x"));
  writes.open();
  run.get();
  EXPECT_FALSE(slow.tee->holds("x"));

  // Write finished, consumer not yet run: still held; after it ran: dropped.
  Chain fast;
  bool held_while_b_waits = false;
  fast.pipeline = Pipeline{node("a", plus_one, "in", "x"),
                           node(
                               "b",
                               [&](int v) {
                                 fast.tee->join();  // x is written by now
                                 held_while_b_waits = fast.tee->holds("x");
                                 return v + 1;
                               },
                               "x", "y"),
                           node("c", plus_one, "y", "z")};
  fast.run();
  EXPECT_TRUE(held_while_b_waits);
  EXPECT_FALSE(fast.tee->holds("x"));
  EXPECT_FALSE(fast.tee->holds("z"));  // a free output: dropped once written
}

TEST(Tee, ACatalogViewSeesTheWritePendingAndWaitsForIt) {
  Gate writes;
  Chain chain({}, std::make_shared<Storage>(&writes));
  auto run = std::async(std::launch::async, [&] { return chain.run(); });
  ASSERT_TRUE(testing::eventually([&] { return chain.saw("after_node_run:c"); }));
  const CatalogView view(chain.catalog);
  EXPECT_TRUE(view.write_pending("x"));
  std::atomic<bool> waiting = false;
  auto waiter = std::async(std::launch::async, [&] {
    waiting = true;
    view.wait_for_writes("x");
    return chain.x->saves.load();  // what the storage holds once the wait is over
  });
  ASSERT_TRUE(testing::eventually([&] { return waiting.load(); }));
  writes.open();
  EXPECT_EQ(waiter.get(), 1);
  EXPECT_FALSE(view.write_pending("x"));
  run.get();
}

TEST(Tee, HeldBytesCountWhatTheTeeKeepsInMemory) {
  Chain chain;
  std::uint64_t held_during_b = 0;
  chain.pipeline = Pipeline{node("a", plus_one, "in", "x"),
                            node(
                                "b",
                                [&](int v) {
                                  held_during_b = held_bytes(chain.catalog);
                                  return v + 1;
                                },
                                "x", "y"),
                            node("c", plus_one, "y", "z")};
  chain.run();
  EXPECT_EQ(held_during_b, sizeof(int));  // x, kept for b ("in" was released after a)
  EXPECT_EQ(held_bytes(chain.catalog), 0U);
}

TEST(Tee, FreeInputsAreLoadedNormally) {
  Chain chain;
  auto source = std::make_shared<Storage>();
  source->save(Value::of(41));
  chain.catalog.add("in", source, true);
  chain.catalog.attach(chain.hooks);  // again: wraps the new persisted input too
  chain.run();
  EXPECT_EQ(source->loads, 1);
  EXPECT_EQ(source->saves, 1);  // only the test's own save
}

TEST(Tee, AFreeInputIsReadOncePerRunForAllItsReaders) {
  // in -> a, b, c (each reads `in`) -> sum: `in` is read from storage once per run, also when
  // the three readers run at once, and its value is not held once the run is over.
  for (const std::size_t workers : {1U, 3U}) {
    auto tee = std::make_shared<TeeHook>(TeeOptions{});
    auto hooks = std::make_shared<HookManager>();
    hooks->add("tee", tee);
    Catalog catalog;
    auto source = std::make_shared<Storage>();
    source->save(Value::of(41));
    catalog.add("in", source);
    catalog.attach(hooks);
    const Pipeline pipeline{
        node("a", plus_one, "in", "a_out"), node("b", plus_one, "in", "b_out"),
        node("c", plus_one, "in", "c_out"),
        Node("sum", {"a_out", "b_out", "c_out"}, {"total"},
             [](const std::vector<Value>& values, const std::vector<std::string>&) {
               int total = 0;
               for (const Value& value : values) {
                 total += value.get<int>();
               }
               return std::vector<Value>{Value::of(total)};
             })};
    for (int run = 1; run <= 2; ++run) {
      const auto outputs = ParallelRunner(workers).run(pipeline, catalog);
      EXPECT_EQ(outputs.at("total").get<int>(), 3 * 42) << workers << " workers";
      EXPECT_EQ(source->loads, run) << workers << " workers, run " << run;
      EXPECT_FALSE(tee->holds("in")) << workers << " workers, run " << run;
    }
    // The runner keeps its inputs (never releases them): still not held after the run.
    ParallelRunner kept(workers);
    kept.set_keep_inputs(true);
    kept.run(pipeline, catalog);
    EXPECT_EQ(source->loads, 3) << workers << " workers";
    EXPECT_FALSE(tee->holds("in")) << workers << " workers";
  }
}

// in -> a -> x0..x{width-1}: one node saving `width` persisted datasets, one after the other.
Pipeline one_node_saving(std::size_t width) {
  std::vector<std::string> outputs;
  for (std::size_t i = 0; i < width; ++i) {
    outputs.push_back("x" + std::to_string(i));
  }
  return Pipeline{Node("a", {"in"}, outputs,
                       [width](const std::vector<Value>& inputs, const std::vector<std::string>&) {
                         return std::vector<Value>(width, inputs.front());
                       })};
}

struct Fan {
  Fan(TeeOptions options, std::size_t width, Gate* gate)
      : tee(std::make_shared<TeeHook>(options)), pipeline(one_node_saving(width)) {
    hooks->add("tee", tee);
    catalog.add("in", std::make_shared<MemoryDataset>(Value::of(1)));
    for (std::size_t i = 0; i < width; ++i) {
      storages.push_back(std::make_shared<Storage>(gate));
      catalog.add("x" + std::to_string(i), storages.back());
    }
    catalog.attach(hooks);
  }
  int entered() const {
    int sum = 0;
    for (const auto& storage : storages) {
      sum += storage->entered;
    }
    return sum;
  }
  int saves() const {
    int sum = 0;
    for (const auto& storage : storages) {
      sum += storage->saves;
    }
    return sum;
  }

  std::shared_ptr<HookManager> hooks = std::make_shared<HookManager>();
  std::shared_ptr<TeeHook> tee;
  std::vector<std::shared_ptr<Storage>> storages;
  Pipeline pipeline;
  Catalog catalog;
};

TEST(Tee, EveryWriteInFlightGetsAWriterOfItsOwn) {
  // Twelve writes waiting on storage at once: a fixed pool of 8 would leave 4 queued.
  Gate storage;
  Fan fan({}, 12, &storage);
  auto run =
      std::async(std::launch::async, [&] { SequentialRunner().run(fan.pipeline, fan.catalog); });
  EXPECT_TRUE(testing::eventually([&] { return fan.entered() == 12; }));
  EXPECT_EQ(fan.tee->stats().writers, 12U);
  storage.open();
  run.get();
  EXPECT_EQ(fan.saves(), 12);
  EXPECT_EQ(fan.tee->stats().writes_completed, 12U);
}

TEST(Tee, TheWriterPoolNeverGrowsBeyondMaxWriters) {
  Gate storage;
  Fan fan({.max_writers = 5}, 12, &storage);
  auto run =
      std::async(std::launch::async, [&] { SequentialRunner().run(fan.pipeline, fan.catalog); });
  EXPECT_TRUE(testing::eventually([&] { return fan.entered() == 5; }));
  EXPECT_EQ(fan.tee->stats().writers, 5U);
  EXPECT_EQ(fan.entered(), 5);  // the other seven wait for a writer
  storage.open();
  run.get();
  EXPECT_EQ(fan.saves(), 12);  // queued, not lost
  EXPECT_EQ(fan.tee->stats().writers, 5U);
}

TEST(TeeOptions, WritersIsTheOlderNameOfMaxWriters) {
  auto parse = [](const std::string& yaml) {
    return TeeOptions::parse(parse_yaml(yaml, "conf/base/hooks.yml"), "tee");
  };
  EXPECT_EQ(TeeOptions{}.max_writers, 256U);
  EXPECT_EQ(parse("max_writers: 32").max_writers, 32U);
  EXPECT_EQ(parse("writers: 3").max_writers, 3U);
  EXPECT_THAT(
      [&] { parse("max_writers: 0"); },
      ThrowsMessage<ConfigError>(AllOf(HasSubstr("conf/base/hooks.yml:1:"),
                                       HasSubstr("option 'max_writers': must be at least 1"))));
  EXPECT_THAT([&] { parse("max_writers: 2000"); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("conf/base/hooks.yml:1:"),
                                               HasSubstr("must be at most 1024 (got 2000)"))));
  EXPECT_THAT([&] { parse("writers: 4\nmax_writers: 8"); },
              ThrowsMessage<ConfigError>(
                  AllOf(HasSubstr("conf/base/hooks.yml:1:"), HasSubstr("keep only max_writers"))));
  EXPECT_THAT([&] { parse("max_writer: 3"); },
              ThrowsMessage<ConfigError>(HasSubstr("did you mean 'max_writers'?")));
}

TEST(Tee, ManyConcurrentSavesAllCompleteAndEveryFailureNamesItsDataset) {
  // 40 nodes on 8 workers, each saving its own dataset; every fifth write fails.
  constexpr std::size_t kNodes = 40;
  auto tee = std::make_shared<TeeHook>(TeeOptions{.on_write_error = OnWriteError::at_end});
  auto hooks = std::make_shared<HookManager>();
  hooks->add("tee", tee);
  Catalog catalog;
  catalog.add("in", std::make_shared<MemoryDataset>(Value::of(1)));
  std::vector<Node> nodes;
  std::vector<std::shared_ptr<Storage>> storages;
  for (std::size_t i = 0; i < kNodes; ++i) {
    const std::string output = "x" + std::to_string(i);
    storages.push_back(std::make_shared<Storage>(
        nullptr, i % 5 == 0 ? "disk full at " + std::to_string(i) : std::string()));
    catalog.add(output, storages.back());
    nodes.push_back(node("n" + std::to_string(i), plus_one, "in", output));
  }
  catalog.attach(hooks);
  try {
    ParallelRunner(8).run(Pipeline(std::move(nodes)), catalog);
    FAIL() << "expected the run to fail";
  } catch (const std::exception& error) {
    for (std::size_t i = 0; i < kNodes; i += 5) {
      EXPECT_THAT(error.what(), HasSubstr(fmt::format("'x{}': disk full at {}", i, i)));
    }
  }
  for (std::size_t i = 0; i < kNodes; ++i) {
    EXPECT_EQ(storages[i]->saves, i % 5 == 0 ? 0 : 1) << "x" << i;
  }
  const auto stats = tee->stats();
  EXPECT_EQ(stats.writes_completed, kNodes - kNodes / 5);
  EXPECT_EQ(stats.writes_failed, kNodes / 5);
  EXPECT_LE(stats.writers, kNodes);
}

// Many random DAGs through the parallel runner with the tee, every intermediate persisted and a
// small writer pool that must grow, and now and then a write that fails: the stored values are
// those of a plain sequential run, and a failure names its dataset. (A stress test for TSan.)
TEST(Tee, AThousandRandomDagsThroughTheParallelRunnerPersistWhatASequentialRunDoes) {
  for (std::uint64_t seed = 0; seed < 1000; ++seed) {
    const testing::RandomDag dag = testing::random_dag(seed, 16);
    const auto persisted = dag.pipeline.all_outputs();
    const std::string failing =
        seed % 7 == 3
            ? *std::next(persisted.begin(), static_cast<std::ptrdiff_t>(seed % persisted.size()))
            : std::string();
    std::map<std::string, std::int64_t> expected;
    {
      Catalog catalog = dag.catalog();
      std::map<std::string, std::shared_ptr<Storage>> stored;
      for (const auto& name : persisted) {
        catalog.add(name, stored[name] = std::make_shared<Storage>());
      }
      SequentialRunner().run(dag.pipeline, catalog);
      for (const auto& [name, storage] : stored) {
        const Value value = storage->load();
        expected[name] = value.get<std::int64_t>();
      }
    }
    Catalog catalog = dag.catalog();
    std::map<std::string, std::shared_ptr<Storage>> stored;
    for (const auto& name : persisted) {
      catalog.add(name, stored[name] = std::make_shared<Storage>(
                            nullptr, name == failing ? "disk full" : std::string()));
    }
    // Every hold, and a budget of three values for a third of the seeds.
    const std::uint64_t budget =
        seed % 3 == 1 ? 3 * Value::of(std::int64_t{0}).byte_size() : TeeOptions{}.memory_budget;
    auto tee = std::make_shared<TeeHook>(TeeOptions{
        .max_writers = 1 + seed % 4, .memory_budget = budget, .hold = static_cast<Hold>(seed % 3)});
    auto hooks = std::make_shared<HookManager>();
    hooks->add("tee", tee);
    catalog.attach(hooks);
    if (failing.empty()) {
      ParallelRunner(4, /*async_io=*/seed % 2 == 0).run(dag.pipeline, catalog);
      for (const auto& [name, storage] : stored) {
        ASSERT_EQ(storage->saves, 1) << "seed " << seed << ", " << name;
        const Value value = storage->load();
        ASSERT_EQ(value.get<std::int64_t>(), expected[name]) << "seed " << seed << ", " << name;
      }
    } else {
      EXPECT_THAT([&] { ParallelRunner(4).run(dag.pipeline, catalog); },
                  ThrowsMessage<std::exception>(HasSubstr("'" + failing + "': disk full")))
          << "seed " << seed;
    }
    ASSERT_LE(tee->stats().writers, 1 + seed % 4) << "seed " << seed;
  }
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

TEST(WriteConcurrency, WritesThatDoNotSlowEachOtherDownEachGetAWriter) {
  WriteConcurrency concurrency(256);
  for (std::size_t i = 0; i < 64; ++i) {
    const std::uint64_t bytes = 100'000 * (1 + i % 5);
    // A latency and a transfer of its own: no term grows with the writes in flight.
    concurrency.record(bytes, 0.010 + static_cast<double>(bytes) / 50e6, 1 + i % 8);
  }
  EXPECT_EQ(concurrency.limit(), 256U);
  EXPECT_EQ(concurrency.link_bandwidth(), 0.0);
}

TEST(WriteConcurrency, ASharedLinkLimitsTheWritesToTwiceItsBandwidthDelayProduct) {
  WriteConcurrency concurrency(256);
  // 100 kB writes, 10 ms off the link, 20 MB/s shared by the k in flight: the link is kept
  // busy by 20e6 x 0.010 / 1e5 = 2 writes, so at most 2 x 2 + 1 = 5.
  for (std::size_t i = 0; i < 15; ++i) {
    const std::size_t k = 1 + i % 6;
    EXPECT_EQ(concurrency.record(100'000, 0.010 + 100'000.0 * static_cast<double>(k) / 20e6, k),
              256U)
        << "before 16 writes";
  }
  EXPECT_EQ(concurrency.record(100'000, 0.010 + 100'000.0 * 3 / 20e6, 3), 5U);
  EXPECT_NEAR(concurrency.link_bandwidth(), 20e6, 1e3);
  EXPECT_NEAR(concurrency.off_link_seconds(), 0.010, 1e-6);
  concurrency.reset();
  EXPECT_EQ(concurrency.limit(), 256U);
}

TEST(WriteConcurrency, ATransferOfItsOwnIsToldApartFromTheSharedLink) {
  WriteConcurrency concurrency(256);
  for (std::size_t i = 0; i < 40; ++i) {
    const double bytes = 50'000.0 * static_cast<double>(1 + i % 7);
    const std::size_t k = 1 + (i * 3) % 5;
    concurrency.record(static_cast<std::uint64_t>(bytes),
                       0.005 + bytes / 100e6 + bytes * static_cast<double>(k) / 40e6, k);
  }
  EXPECT_NEAR(concurrency.link_bandwidth(), 40e6, 1e3);
  const double mean_bytes = 50'000.0 * 4;  // 1..7 x 50 kB, evenly
  EXPECT_NEAR(concurrency.off_link_seconds(), 0.005 + mean_bytes / 100e6, 2e-4);
  // 40e6 x 0.007 / 2e5 = 1.4 writes keep it busy: ceil(2.8) + 1.
  EXPECT_EQ(concurrency.limit(), 4U);
}

TEST(WriteConcurrency, NoiseAloneNeverLimitsTheWriters) {
  WriteConcurrency concurrency(64);
  std::mt19937 random(7);
  std::uniform_real_distribution<double> jitter(0, 0.01);
  for (std::size_t i = 0; i < 500; ++i) {
    concurrency.record(100'000, 0.020 + jitter(random), 1 + i % 16);
  }
  EXPECT_EQ(concurrency.limit(), 64U);
}

// Persisted storage on a link that the writes in flight share: a write takes 5 ms plus its
// bytes over 40 MB/s divided by the writes running when it began.
class SharedLink : public Dataset {
 public:
  explicit SharedLink(std::atomic<int>& running, bool shared)
      : running_(running), shared_(shared) {}
  Value load() override { return value_; }
  void save(const Value& value) override {
    const int k = ++running_;
    const double link = shared_ ? static_cast<double>(value.byte_size()) * k / 40e6 : 0.0;
    std::this_thread::sleep_for(std::chrono::duration<double>(0.005 + link));
    --running_;
    std::lock_guard lock(mutex_);
    value_ = value;
  }
  bool exists() const override { return true; }
  std::string dataset_type() const override { return "SharedLink"; }

 private:
  std::atomic<int>& running_;
  const bool shared_;
  std::mutex mutex_;
  Value value_;
};

// A wide stage of 48 saves of 80 kB, through the tee, on storage whose link is shared or not;
// returns the tee's stats.
TeeHook::Stats wide_stage_on(bool shared) {
  std::atomic<int> running{0};
  auto tee = std::make_shared<TeeHook>(TeeOptions{});
  auto hooks = std::make_shared<HookManager>();
  hooks->add("tee", tee);
  Catalog catalog;
  catalog.add("in", std::make_shared<MemoryDataset>(Value::of(1)));
  std::vector<Node> nodes;
  for (int i = 0; i < 48; ++i) {
    const std::string out = fmt::format("out{:02}", i);
    catalog.add(out, std::make_shared<SharedLink>(running, shared));
    nodes.push_back(node(
        "make" + out,
        [](int) {
          std::this_thread::sleep_for(std::chrono::milliseconds(1));
          return std::vector<double>(10'000, 1.0);
        },
        "in", out));
  }
  catalog.attach(hooks);
  SequentialRunner().run(Pipeline(std::move(nodes)), catalog);
  return tee->stats();
}

TEST(Tee, AWideStageOnASharedLinkIsLimitedToWhatKeepsTheLinkBusy) {
  // 80 kB over 40 MB/s is 2 ms a write alone, 5 ms off the link: 2.5 writes keep it busy,
  // so about 6 in flight (sleeps overshoot: the fit sees a little more off the link).
  const auto shared = wide_stage_on(true);
  EXPECT_EQ(shared.writes_completed, 48U);
  EXPECT_GE(shared.writer_limit, 3U);
  EXPECT_LE(shared.writer_limit, 12U);
  const auto apart = wide_stage_on(false);
  EXPECT_EQ(apart.writes_completed, 48U);
  EXPECT_EQ(apart.writer_limit, TeeOptions{}.max_writers);
}

}  // namespace
}  // namespace sluice
