#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/node.hpp>
#include <sluice/core/pipeline.hpp>

namespace sluice {
namespace {

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
  void on_node_error(const Node&, const std::exception&, NodePhase) override {
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
  EXPECT_NO_THROW(hooks.on_node_error(node, std::runtime_error("original"), NodePhase::run));
}

// Fails in on_pipeline_error, with a loss to report or with a bug of its own.
class FailingOnPipelineError : public Hook {
 public:
  explicit FailingOnPipelineError(bool lost) : lost_(lost) {}
  Events events() const override { return {Event::on_pipeline_error}; }
  void on_pipeline_error(const RunInfo&, const Pipeline&, const Catalog&,
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
  EXPECT_THAT(hooks.on_pipeline_error(RunInfo{}, pipeline, catalog, std::runtime_error("node")),
              ElementsAre("hook 'tee': 'x' is not persisted: disk full"));
}

TEST(HookManager, CatalogEmitsDatasetEventsWithoutANodeOutsideARun) {
  std::vector<std::string> log;
  auto hooks = std::make_shared<HookManager>();
  hooks->add("tagger", std::make_shared<TaggingHook>(log, "released"));
  Catalog catalog;
  catalog.set_hooks(hooks);
  catalog.add("x", std::make_shared<MemoryDataset>(Value::of(1)));
  catalog.release("x");
  EXPECT_THAT(log, ElementsAre("released"));
}

}  // namespace
}  // namespace sluice
