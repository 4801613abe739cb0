#include <atomic>
#include <thread>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/node.hpp>
#include <sluice/core/pipeline.hpp>

#include "support/balance_hook.hpp"
#include "support/expect_events.hpp"
#include "support/recording_hook.hpp"

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// Appends its tag to a shared list on on_dataset_released; throws if told to.
class TaggingHook : public Hook {
 public:
  TaggingHook(std::vector<std::string>& log, std::string tag, bool fail = false)
      : log_(log), tag_(std::move(tag)), fail_(fail) {}
  Events events() const override { return {Event::on_dataset_released, Event::on_node_error}; }
  void on_dataset_released(std::string_view) override {
    log_.push_back(tag_);
    if (fail_) {
      throw std::runtime_error("boom");
    }
  }
  void on_node_error(const Node&, const CatalogView&, const std::exception&, NodePhase) override {
    throw std::runtime_error("error handler broke");
  }

 private:
  std::vector<std::string>& log_;
  std::string tag_;
  bool fail_;
};

TEST(HookManager, RunsHooksInAscendingPriorityThenInAddOrder) {
  std::vector<std::string> log;
  HookManager hooks;
  hooks.add("late", std::make_shared<TaggingHook>(log, "late"), 10);
  hooks.add("first", std::make_shared<TaggingHook>(log, "first"), -5);
  hooks.add("tie_a", std::make_shared<TaggingHook>(log, "tie_a"), 0);
  hooks.add("tie_b", std::make_shared<TaggingHook>(log, "tie_b"), 0);
  hooks.on_dataset_released("x");
  EXPECT_THAT(log, ElementsAre("first", "tie_a", "tie_b", "late"));
}

TEST(HookManager, AddingAHookDuringARunIsAConfigErrorNamingItAndConnectsNothing) {
  std::vector<std::string> log;
  HookManager hooks;
  hooks.add("early", std::make_shared<TaggingHook>(log, "early"));
  {
    const HookManager::RunScope run(&hooks);
    EXPECT_THAT([&] { hooks.add("late", std::make_shared<TaggingHook>(log, "late")); },
                ThrowsMessage<ConfigError>(
                    AllOf(HasSubstr("cannot add hook 'late' while a pipeline run is in progress"),
                          HasSubstr("add it before the run starts"))));
    hooks.on_dataset_released("x");
    EXPECT_THAT(log, ElementsAre("early"));
    EXPECT_THAT(hooks.names(), ElementsAre("early"));
  }
  // Between runs it connects, and hears the next event.
  hooks.add("late", std::make_shared<TaggingHook>(log, "late"));
  hooks.on_dataset_released("x");
  EXPECT_THAT(log, ElementsAre("early", "early", "late"));
}

TEST(HookManager, RunScopesNestAndANullManagerIsANoOp) {
  std::vector<std::string> log;
  HookManager hooks;
  {
    const HookManager::RunScope outer(&hooks);
    {
      const HookManager::RunScope inner(&hooks);
      const HookManager::RunScope none(nullptr);
    }
    EXPECT_THROW(hooks.add("late", std::make_shared<TaggingHook>(log, "late")), ConfigError);
  }
  EXPECT_NO_THROW(hooks.add("late", std::make_shared<TaggingHook>(log, "late")));
}

// Adds a TaggingHook to its manager from inside the event, the first time it hears it.
class AddingHook : public Hook {
 public:
  AddingHook(HookManager& hooks, std::vector<std::string>& log) : hooks_(hooks), log_(log) {}
  Events events() const override { return {Event::on_dataset_released}; }
  void on_dataset_released(std::string_view) override {
    log_.push_back("adder");
    if (!added_) {
      added_ = true;
      for (int i = 0; i < 64; ++i) {  // enough to move any list the emission is reading
        hooks_.add(fmt::format("added{}", i), std::make_shared<TaggingHook>(log_, "added"), -1);
      }
    }
  }

 private:
  HookManager& hooks_;
  std::vector<std::string>& log_;
  bool added_ = false;
};

TEST(HookManager, AHookAddedFromInsideAnEventOutsideARunHearsTheNextEventNotThisOne) {
  std::vector<std::string> log;
  HookManager hooks;
  hooks.add("adder", std::make_shared<AddingHook>(hooks, log));
  hooks.add("after", std::make_shared<TaggingHook>(log, "after"));
  hooks.on_dataset_released("x");
  EXPECT_THAT(log, ElementsAre("adder", "after"));
  log.clear();
  hooks.on_dataset_released("x");
  ASSERT_EQ(log.size(), 66U);
  EXPECT_EQ(log.front(), "added");  // priority -1 runs first
  EXPECT_EQ(log[64], "adder");
  EXPECT_EQ(log[65], "after");
}

TEST(HookManager, AddsBetweenRunsKeepOnlyTheCurrentSnapshot) {
  std::vector<std::string> log;
  HookManager hooks;
  EXPECT_EQ(hooks.snapshots_kept(), 1U);
  for (int run = 0; run < 50; ++run) {
    hooks.add(fmt::format("tag{}", run), std::make_shared<TaggingHook>(log, "tag"));
    const HookManager::RunScope scope(&hooks);
    hooks.on_dataset_released("x");
  }
  EXPECT_EQ(hooks.snapshots_kept(), 1U);  // not one per add
  EXPECT_EQ(log.size(), 50U * 51U / 2U);
}

// Adds one TaggingHook from inside the event, once, and records how many snapshots the manager
// holds right after the add, while the emission is still reading the old one.
class AddOnceHook : public Hook {
 public:
  AddOnceHook(HookManager& hooks, std::vector<std::string>& log) : hooks_(hooks), log_(log) {}
  Events events() const override { return {Event::on_dataset_released}; }
  void on_dataset_released(std::string_view) override {
    log_.push_back("adder");
    if (kept_during_ == 0) {
      hooks_.add("added", std::make_shared<TaggingHook>(log_, "added"), -1);
      kept_during_ = hooks_.snapshots_kept();
    }
  }
  std::size_t kept_during_ = 0;

 private:
  HookManager& hooks_;
  std::vector<std::string>& log_;
};

TEST(HookManager, ASnapshotReplacedDuringAnEmissionIsFreedByTheNextAddOutsideOne) {
  std::vector<std::string> log;
  HookManager hooks;
  const auto adder = std::make_shared<AddOnceHook>(hooks, log);
  hooks.add("adder", adder);
  hooks.add("after", std::make_shared<TaggingHook>(log, "after"));
  hooks.on_dataset_released("x");
  EXPECT_EQ(adder->kept_during_, 2U);  // the emission still reads the old one
  EXPECT_THAT(log, ElementsAre("adder", "after"));
  log.clear();
  hooks.on_dataset_released("x");
  EXPECT_THAT(log, ElementsAre("added", "adder", "after"));
  EXPECT_EQ(hooks.snapshots_kept(), 2U);  // kept: no add outside an emission since
  hooks.add("later", std::make_shared<TaggingHook>(log, "later"));
  EXPECT_EQ(hooks.snapshots_kept(), 1U);
  log.clear();
  hooks.on_dataset_released("x");
  EXPECT_THAT(log, ElementsAre("added", "adder", "after", "later"));
}

// Counts on_dataset_released and before_dataset_loaded from any thread.
class AtomicCountingHook : public Hook {
 public:
  Events events() const override {
    return {Event::on_dataset_released, Event::before_dataset_loaded};
  }
  void on_dataset_released(std::string_view) override { released.fetch_add(1); }
  void before_dataset_loaded(std::string_view, const Node*) override { loaded.fetch_add(1); }
  std::atomic<int> released{0}, loaded{0};
};

// Run under the tsan preset: emission reads the connections with no lock.
TEST(HookManager, ManyThreadsEmitToTheSameHooksAtOnce) {
  HookManager hooks;
  std::vector<std::shared_ptr<AtomicCountingHook>> counters;
  for (int i = 0; i < 4; ++i) {
    counters.push_back(std::make_shared<AtomicCountingHook>());
    hooks.add(fmt::format("counter{}", i), counters.back(), i % 2);
  }
  constexpr int kThreads = 8;
  constexpr int kEmits = 5'000;
  {
    const HookManager::RunScope run(&hooks);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kEmits; ++i) {
          hooks.on_dataset_released("x");
          hooks.before_dataset_loaded("y", nullptr);
        }
      });
    }
    for (auto& thread : threads) {
      thread.join();
    }
  }
  for (const auto& counter : counters) {
    EXPECT_EQ(counter->released.load(), kThreads * kEmits);
    EXPECT_EQ(counter->loaded.load(), kThreads * kEmits);
  }
}

// Run under the tsan preset: rounds of adds (some from inside an emission) between runs whose
// threads emit with no lock; the replaced snapshots are freed between rounds.
TEST(HookManager, StressAddsBetweenRunsOfManyEmittingThreads) {
  HookManager hooks;
  std::vector<std::string> log;
  std::vector<std::shared_ptr<AtomicCountingHook>> counters;
  constexpr int kRounds = 20;
  constexpr int kThreads = 4;
  constexpr int kEmits = 500;
  for (int round = 0; round < kRounds; ++round) {
    counters.push_back(std::make_shared<AtomicCountingHook>());
    hooks.add(fmt::format("counter{}", round), counters.back(), round % 3);
    const auto adder = std::make_shared<AddOnceHook>(hooks, log);
    hooks.add(fmt::format("adder{}", round), adder);
    ASSERT_EQ(hooks.snapshots_kept(), 1U);  // the last round's are freed by these adds
    hooks.on_dataset_released("outside");   // adds from inside the emission
    ASSERT_EQ(hooks.snapshots_kept(), 2U);
    const HookManager::RunScope run(&hooks);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kEmits; ++i) {
          hooks.before_dataset_loaded("y", nullptr);
        }
      });
    }
    for (auto& thread : threads) {
      thread.join();
    }
  }
  for (int round = 0; round < kRounds; ++round) {
    EXPECT_EQ(counters[round]->loaded.load(), (kRounds - round) * kThreads * kEmits) << round;
  }
  hooks.add("last", std::make_shared<AtomicCountingHook>());
  EXPECT_EQ(hooks.snapshots_kept(), 1U);
}

TEST(HookManager, OnlyListedEventsAreConnected) {
  std::vector<std::string> log;
  HookManager hooks;
  EXPECT_FALSE(hooks.listens(Event::on_dataset_released));
  hooks.add("tagger", std::make_shared<TaggingHook>(log, "t"));
  EXPECT_TRUE(hooks.listens(Event::on_dataset_released));
  EXPECT_FALSE(hooks.listens(Event::before_node_run));
}

TEST(HookManager, AHookExceptionNamesTheHookAndTheEvent) {
  std::vector<std::string> log;
  HookManager hooks;
  hooks.add("fragile", std::make_shared<TaggingHook>(log, "f", true));
  hooks.add("after", std::make_shared<TaggingHook>(log, "a"));
  EXPECT_THAT(
      [&] { hooks.on_dataset_released("x"); },
      ThrowsMessage<HookError>(HasSubstr("hook 'fragile' failed in on_dataset_released: boom")));
  EXPECT_THAT(log, ElementsAre("f"));  // the failure stops the event
}

TEST(HookManager, FailuresInErrorEventsAreLoggedNotThrown) {
  std::vector<std::string> log;
  HookManager hooks;
  hooks.add("broken", std::make_shared<TaggingHook>(log, "b"));
  const Node node("n", {}, {"out"}, [](const std::vector<Value>&, const std::vector<std::string>&) {
    return std::vector<Value>{};
  });
  const Catalog catalog;
  EXPECT_NO_THROW(hooks.on_node_error(node, CatalogView(catalog), std::runtime_error("original"),
                                      NodePhase::run));
}

// Fails in on_pipeline_error, with a loss to report or with a bug of its own.
class FailingOnPipelineError : public Hook {
 public:
  explicit FailingOnPipelineError(bool lost) : lost_(lost) {}
  Events events() const override { return {Event::on_pipeline_error}; }
  void on_pipeline_error(const RunInfo&, const Pipeline&, const CatalogView&,
                         const std::exception&) override {
    if (lost_) {
      throw NotPersistedError("'x' is not persisted: disk full");
    }
    throw std::runtime_error("a bug in the hook");
  }

 private:
  bool lost_;
};

TEST(HookManager, WhatHooksReportNotPersistedIsReturnedForTheRunsErrorOtherFailuresAreLogged) {
  HookManager hooks;
  hooks.add("bug", std::make_shared<FailingOnPipelineError>(false));
  hooks.add("tee", std::make_shared<FailingOnPipelineError>(true));
  const Catalog catalog;
  const Pipeline pipeline;
  EXPECT_THAT(hooks.on_pipeline_error(RunInfo{}, pipeline, CatalogView(catalog),
                                      std::runtime_error("node")),
              ElementsAre("hook 'tee': 'x' is not persisted: disk full"));
}

TEST(HookManager, CatalogEmitsDatasetEventsWithoutANodeOutsideARun) {
  std::vector<std::string> log;
  auto hooks = std::make_shared<HookManager>();
  hooks->add("tagger", std::make_shared<TaggingHook>(log, "released"));
  Catalog catalog;
  catalog.attach(hooks);
  catalog.add("x", std::make_shared<MemoryDataset>(Value::of(1)));
  catalog.release("x");
  EXPECT_THAT(log, ElementsAre("released"));
}

TEST(HookManager, EveryEventReachesAHookListeningToAll) {
  auto recorder = std::make_shared<testing::RecordingHook>();
  HookManager hooks;
  hooks.add("recorder", recorder);
  Catalog catalog;
  const Pipeline pipeline;
  RunInfo run;
  run.runner = "seq";
  const Node node("n", {}, {"out"}, [](const std::vector<Value>&, const std::vector<std::string>&) {
    return std::vector<Value>{};
  });
  std::vector<Value> values;
  const Value value = Value::of(1);
  const CatalogView view(catalog);
  hooks.after_catalog_created(catalog);
  hooks.before_pipeline_run(run, pipeline, view);
  hooks.after_pipeline_run(run, pipeline, view);
  EXPECT_THAT(hooks.on_pipeline_error(run, pipeline, view, std::runtime_error("e")),
              ::testing::IsEmpty());
  hooks.before_node_run(node, view, values);
  hooks.after_node_run(node, view, values, values);
  hooks.on_node_error(node, view, std::runtime_error("e"), NodePhase::save);
  hooks.before_dataset_loaded("a", &node);
  hooks.after_dataset_loaded("a", &node, value);
  hooks.before_dataset_saved("b", nullptr, value);
  hooks.after_dataset_saved("b", nullptr, value);
  hooks.on_dataset_released("c");
  EXPECT_THAT(recorder->seen(),
              ElementsAre("after_catalog_created", "before_pipeline_run:seq", "after_pipeline_run",
                          "on_pipeline_error", "before_node_run:n", "after_node_run:n",
                          "on_node_error:n/saving its outputs", "before_dataset_loaded:a@n",
                          "after_dataset_loaded:a@n", "before_dataset_saved:b@-",
                          "after_dataset_saved:b@-", "on_dataset_released:c"));
}

TEST(HookEvents, EveryEventHasItsOwnNameInTheOrderOfTheList) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < kEventCount; ++i) {
    names.emplace_back(event_name(static_cast<Event>(i)));
  }
  EXPECT_THAT(names,
              ElementsAre("after_catalog_created", "before_pipeline_run", "after_pipeline_run",
                          "on_pipeline_error", "before_rank_run", "after_rank_run", "on_rank_error",
                          "before_node_run", "after_node_run", "on_node_error",
                          "before_dataset_loaded", "after_dataset_loaded", "before_dataset_saved",
                          "after_dataset_saved", "on_dataset_released"));
  EXPECT_EQ(Events::all().without(Events{}), Events::all());
  EXPECT_TRUE(Events::all().without(Events::all()).empty());
}

// Overrides after_node_run and on_node_error but lists only before_node_run: a mistake.
class ForgetfulHook : public Hook {
 public:
  Events events() const override { return {Event::before_node_run}; }
  void before_node_run(const Node&, const CatalogView&, std::vector<Value>&) override {}
  void after_node_run(const Node&, const CatalogView&, const std::vector<Value>&,
                      const std::vector<Value>&) override {}
  void on_node_error(const Node&, const CatalogView&, const std::exception&, NodePhase) override {}
};

// Overrides through an intermediate class; lists everything.
class DerivedHook : public ForgetfulHook {
 public:
  Events events() const override {
    return {Event::before_node_run, Event::after_node_run, Event::on_node_error,
            Event::on_dataset_released};
  }
  void on_dataset_released(std::string_view) override {}
};

TEST(HookEvents, OverriddenEventsAreFoundAtCompileTime) {
  static_assert(overridden_events<ForgetfulHook>() ==
                Events{Event::before_node_run, Event::after_node_run, Event::on_node_error});
  static_assert(overridden_events<DerivedHook>() ==
                Events{Event::before_node_run, Event::after_node_run, Event::on_node_error,
                       Event::on_dataset_released});
  static_assert(overridden_events<testing::RecordingHook>() == Events::all());
  EXPECT_TRUE(overridden_events<FailingOnPipelineError>() == Events{Event::on_pipeline_error});
}

TEST(HookEvents, AHookWhoseEventsOmitAnOverriddenEventIsCaught) {
  EXPECT_EQ(unlisted_overrides(ForgetfulHook()),
            "hook sluice::(anonymous namespace)::ForgetfulHook overrides after_node_run, "
            "on_node_error but its events() does not list them: the hook manager connects only "
            "the events a hook lists, so those overrides are never called. Add them to what "
            "events() returns.");
  EXPECT_NONFATAL_FAILURE(testing::expect_events_match_overrides(ForgetfulHook()),
                          "overrides after_node_run, on_node_error");
  EXPECT_EQ(unlisted_overrides(DerivedHook()), "");
}

TEST(HookEvents, TheTestHooksListEveryEventTheyOverride) {
  std::vector<std::string> log;
  testing::expect_events_match_overrides(TaggingHook(log, "t"));
  testing::expect_events_match_overrides(FailingOnPipelineError(true));
  testing::expect_events_match_overrides(testing::RecordingHook());
  testing::expect_events_match_overrides(testing::BalanceHook());
  HookManager hooks;
  testing::expect_events_match_overrides(AddingHook(hooks, log));
  testing::expect_events_match_overrides(AtomicCountingHook());
}

}  // namespace
}  // namespace sluice
