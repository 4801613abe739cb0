#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/datasets/cached_dataset.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/runners/node_error.hpp>
#include <sluice/runners/sequential_runner.hpp>

#include "support/recording_dataset.hpp"
#include "support/recording_hook.hpp"

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RecordingDataset;
using testing::RecordingHook;
using ::testing::ThrowsMessage;

int plus_one(int x) {
  return x + 1;
}

struct HookedRun {
  HookedRun() {
    hooks->add("recorder", recorder);
    catalog.add("raw", std::make_shared<RecordingDataset>(Value::of(1)));
    catalog.attach(hooks);
  }
  std::shared_ptr<RecordingHook> recorder = std::make_shared<RecordingHook>();
  std::shared_ptr<HookManager> hooks = std::make_shared<HookManager>();
  Catalog catalog;
};

// Adds a hook to its manager in before_pipeline_run: during the run, which refuses it.
class LatecomerHook : public Hook {
 public:
  explicit LatecomerHook(HookManager& hooks) : hooks_(hooks) {}
  Events events() const override { return {Event::before_pipeline_run}; }
  void before_pipeline_run(const RunInfo&, const Pipeline&, const CatalogView&) override {
    hooks_.add("latecomer", std::make_shared<RecordingHook>());
  }

 private:
  HookManager& hooks_;
};

TEST(HookEvents, AddingAHookDuringARunFailsTheRunNamingBothHooksAndItJoinsOnlyAfter) {
  auto hooks = std::make_shared<HookManager>();
  hooks->add("inviter", std::make_shared<LatecomerHook>(*hooks));
  Catalog catalog;
  catalog.add("raw", std::make_shared<MemoryDataset>(Value::of(1)));
  catalog.attach(hooks);
  const Pipeline pipeline{node("first", plus_one, "raw", "a")};
  EXPECT_THAT([&] { SequentialRunner().run(pipeline, catalog); },
              ThrowsMessage<HookError>(AllOf(
                  HasSubstr("hook 'inviter' failed in before_pipeline_run"),
                  HasSubstr("cannot add hook 'latecomer' while a pipeline run is in progress"))));
  EXPECT_THAT(hooks->names(), ElementsAre("inviter"));
  // The failed run ended: hooks may be added again.
  auto recorder = std::make_shared<RecordingHook>();
  EXPECT_NO_THROW(hooks->add("recorder", recorder));
  catalog.release("raw");
  EXPECT_THAT(recorder->seen(), ElementsAre("on_dataset_released:raw"));
}

TEST(HookEvents, ExactOrderForAThreeNodePipeline) {
  HookedRun run;
  const Pipeline pipeline{
      node("first", plus_one, "raw", "a"),
      node("second", plus_one, "a", "b"),
      node("third", plus_one, "b", "c"),
  };
  SequentialRunner().run(pipeline, run.catalog);
  EXPECT_THAT(run.recorder->seen(),
              ElementsAreArray({
                  "after_catalog_created",
                  "before_pipeline_run:sequential",
                  "before_rank_run:0/1",  // the run's one process
                  "before_dataset_loaded:raw@first",
                  "after_dataset_loaded:raw@first",
                  "before_node_run:first",
                  "after_node_run:first",
                  "before_dataset_saved:a@first",
                  "after_dataset_saved:a@first",
                  "on_dataset_released:raw",
                  "before_dataset_loaded:a@second",
                  "after_dataset_loaded:a@second",
                  "before_node_run:second",
                  "after_node_run:second",
                  "before_dataset_saved:b@second",
                  "after_dataset_saved:b@second",
                  "on_dataset_released:a",
                  "before_dataset_loaded:b@third",
                  "after_dataset_loaded:b@third",
                  "before_node_run:third",
                  "after_node_run:third",
                  "before_dataset_saved:c@third",
                  "after_dataset_saved:c@third",
                  "on_dataset_released:b",
                  "after_rank_run",
                  "before_dataset_loaded:c@-",  // the free output, returned by run()
                  "after_dataset_loaded:c@-",
                  "after_pipeline_run",
              }));
}

// Replaces the first input with its own value, plus what the earlier hooks left there.
class AddingHook : public Hook {
 public:
  explicit AddingHook(int add) : add_(add) {}
  Events events() const override { return {Event::before_node_run}; }
  void before_node_run(const Node&, const CatalogView&, std::vector<Value>& inputs) override {
    inputs[0] = Value::of(inputs[0].get<int>() + add_);
  }

 private:
  int add_;
};

TEST(HookEvents, BeforeNodeRunReplacesInputsAndLaterHooksSeeTheReplacement) {
  auto hooks = std::make_shared<HookManager>();
  hooks->add("times", std::make_shared<AddingHook>(10), 1);
  hooks->add("plus", std::make_shared<AddingHook>(100), 0);
  Catalog catalog;
  catalog.attach(hooks);
  catalog.add("x", std::make_shared<MemoryDataset>(Value::of(1)));
  const auto outputs = SequentialRunner().run(Pipeline{node("id", plus_one, "x", "y")}, catalog);
  EXPECT_EQ(outputs.at("y").get<int>(), 1 + 100 + 10 + 1);
}

class ThrowingHook : public Hook {
 public:
  Events events() const override { return {Event::after_node_run}; }
  void after_node_run(const Node& node, const CatalogView&, const std::vector<Value>&,
                      const std::vector<Value>&) override {
    if (node.name() == "second") {
      throw std::runtime_error("quota exceeded");
    }
  }
};

TEST(HookEvents, AHookExceptionFailsTheRunNamingHookAndEvent) {
  HookedRun run;
  run.hooks->add("quota", std::make_shared<ThrowingHook>());
  const Pipeline pipeline{node("first", plus_one, "raw", "a"), node("second", plus_one, "a", "b")};
  EXPECT_THAT([&] { SequentialRunner().run(pipeline, run.catalog); },
              ThrowsMessage<NodeError>(
                  AllOf(HasSubstr("node 'second'"),
                        HasSubstr("hook 'quota' failed in after_node_run: quota exceeded"))));
  const auto seen = run.recorder->seen();
  EXPECT_THAT(seen, Contains("on_node_error:second/running"));
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "on_pipeline_error"), 1);
  EXPECT_THAT(seen, Not(Contains("after_pipeline_run")));
}

TEST(HookEvents, NodeErrorFiresForLoadRunAndSaveWithThePhase) {
  for (auto phase : {NodePhase::load, NodePhase::run, NodePhase::save}) {
    HookedRun run;
    auto source = std::static_pointer_cast<RecordingDataset>(run.catalog.get("raw"));
    auto sink = std::make_shared<RecordingDataset>();
    run.catalog.add("out", sink);
    source->fail_load = phase == NodePhase::load;
    sink->fail_save = phase == NodePhase::save;
    const Pipeline pipeline{node(
        "work",
        [phase](int x) {
          if (phase == NodePhase::run) {
            throw std::runtime_error("bug");
          }
          return x;
        },
        "raw", "out")};
    EXPECT_THROW(SequentialRunner().run(pipeline, run.catalog), NodeError);
    const auto seen = run.recorder->seen();
    EXPECT_THAT(seen, Contains("on_node_error:work/" + std::string(phase_name(phase))));
    EXPECT_EQ(std::count(seen.begin(), seen.end(), "on_pipeline_error"), 1);
    EXPECT_EQ(seen.back(), "on_pipeline_error");
  }
}

TEST(HookEvents, MissingInputsStillEndWithOnPipelineError) {
  HookedRun run;
  EXPECT_THROW(SequentialRunner().run(Pipeline{node("n", plus_one, "nowhere", "y")}, run.catalog),
               RunError);
  EXPECT_THAT(
      run.recorder->seen(),
      ElementsAre("after_catalog_created", "before_pipeline_run:sequential", "on_pipeline_error"));
}

// Wraps every dataset in a CachedDataset, as the cache hook will.
class WrappingHook : public Hook {
 public:
  Events events() const override { return {Event::after_catalog_created}; }
  void after_catalog_created(Catalog& catalog) override {
    for (const auto& name : catalog.list()) {
      catalog.add(name, std::make_shared<CachedDataset>(catalog.get(name)), true);
    }
  }
};

TEST(HookEvents, AfterCatalogCreatedMayWrapDatasets) {
  HookManager hooks;
  hooks.add("wrap", std::make_shared<WrappingHook>());
  Catalog catalog;
  catalog.add("a", std::make_shared<RecordingDataset>());
  hooks.after_catalog_created(catalog);
  EXPECT_EQ(catalog.get("a")->dataset_type(), "RecordingDataset (cached)");
}

// A failing node: on_rank_error, then on_pipeline_error, and no after_* event.
TEST(HookEvents, AFailedRunEndsWithOnRankErrorThenOnPipelineError) {
  HookedRun run;
  const Pipeline pipeline{node(
      "boom", [](int) -> int { throw Error("no"); }, "raw", "a")};
  EXPECT_THROW(SequentialRunner().run(pipeline, run.catalog), NodeError);
  const auto seen = run.recorder->seen();
  ASSERT_GE(seen.size(), 2U);
  EXPECT_THAT(std::vector<std::string>(seen.end() - 2, seen.end()),
              ElementsAre("on_rank_error", "on_pipeline_error"));
  EXPECT_THAT(seen, Not(Contains("after_rank_run")));
  EXPECT_THAT(seen, Not(Contains("after_pipeline_run")));
}

// Posts in after_rank_run, throws NotPersistedError there when told to, and keeps what
// after_pipeline_run or on_pipeline_error received.
class MailHook : public Hook {
 public:
  explicit MailHook(bool fail) : fail_(fail) {}
  Events events() const override {
    return {Event::after_rank_run, Event::after_pipeline_run, Event::on_pipeline_error};
  }
  void after_rank_run(const RunInfo& run, const Pipeline&, const CatalogView&) override {
    run.mail->post("mail", "from rank " + std::to_string(run.rank));
    run.mail->post("other", "not read");
    if (fail_) {
      throw NotPersistedError("write of 'a' failed", {"a"});
    }
  }
  void after_pipeline_run(const RunInfo& run, const Pipeline&, const CatalogView&) override {
    received = run.mail->received("mail");
  }
  void on_pipeline_error(const RunInfo& run, const Pipeline&, const CatalogView&,
                         const std::exception&) override {
    received = run.mail->received("mail");
  }
  std::vector<std::pair<int, std::string>> received;

 private:
  bool fail_;
};

// In a run of one process, what a hook posts at the end of the rank's share is what it reads
// back at the end of the pipeline, as rank 0's; each run's mail is its own.
TEST(HookEvents, WhatAfterRankRunPostsAfterPipelineRunReceives) {
  HookedRun run;
  auto mail = std::make_shared<MailHook>(false);
  run.hooks->add("mail", mail);
  const Pipeline pipeline{node("first", plus_one, "raw", "a")};
  SequentialRunner().run(pipeline, run.catalog);
  EXPECT_THAT(mail->received, ElementsAre(std::pair<int, std::string>{0, "from rank 0"}));
  run.catalog.add("raw", std::make_shared<RecordingDataset>(Value::of(1)), true);
  SequentialRunner().run(pipeline, run.catalog);
  EXPECT_EQ(mail->received.size(), 1U);
}

// after_rank_run failing (a tee whose background write failed): on_rank_error follows it, then
// on_pipeline_error; the run's error names the dataset and suggests where to resume.
TEST(HookEvents, AFailedAfterRankRunIsFollowedByOnRankErrorAndOnPipelineError) {
  HookedRun run;
  auto mail = std::make_shared<MailHook>(true);
  run.hooks->add("mail", mail);
  const Pipeline pipeline{node("first", plus_one, "raw", "a"), node("second", plus_one, "a", "b")};
  try {
    SequentialRunner().run(pipeline, run.catalog);
    FAIL() << "the run succeeded";
  } catch (const NotPersistedError& error) {
    EXPECT_THAT(error.what(), HasSubstr("hook 'mail' failed in after_rank_run"));
    EXPECT_THAT(error.datasets(), ElementsAre("a"));
    EXPECT_FALSE(error.resume_nodes().empty());
  }
  const auto seen = run.recorder->seen();
  ASSERT_GE(seen.size(), 3U);
  EXPECT_THAT(std::vector<std::string>(seen.end() - 3, seen.end()),
              ElementsAre("after_rank_run", "on_rank_error", "on_pipeline_error"));
  EXPECT_THAT(mail->received, ElementsAre(std::pair<int, std::string>{0, "from rank 0"}));
}

}  // namespace
}  // namespace sluice
