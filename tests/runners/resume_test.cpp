#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/runners/node_error.hpp>
#include <sluice/runners/parallel_runner.hpp>
#include <sluice/runners/resume.hpp>
#include <sluice/runners/sequential_runner.hpp>

#include "support/pass_node.hpp"
#include "support/recording_dataset.hpp"

namespace sluice {
namespace {

using testing::pass;

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::RecordingDataset;
using ::testing::ThrowsMessage;

// a -> m1 (memory) -> b -> p1 (persisted) -> c -> m2 (memory) -> d
//                      \-> m3 (memory) -----------------------/
class Resume : public ::testing::Test {
 protected:
  Resume() {
    catalog.add("p1", p1);
    catalog.add("m1", std::make_shared<MemoryDataset>());
  }
  Pipeline pipeline{pass("a", "params:x", "m1"), pass("b", "m1", {"p1", "m3"}),
                    pass("c", "p1", "m2"), pass("d", {"m2", "m3"}, "out")};
  std::shared_ptr<RecordingDataset> p1 = std::make_shared<RecordingDataset>();
  Catalog catalog;
};

TEST_F(Resume, WalksBackThroughMemoryDatasetsToPersistedOnes) {
  p1->save(Value::of(1));
  // c and d did not finish; d needs m3 (memory) from b, which needs m1 (memory) from a.
  EXPECT_THAT(find_resume_nodes(pipeline, catalog, {true, true, false, false}), ElementsAre("a"));
}

TEST_F(Resume, PersistedInputsThatExistAreResumePoints) {
  p1->save(Value::of(1));
  const Pipeline no_m3{pass("a", "params:x", "m1"), pass("b", "m1", "p1"), pass("c", "p1", "m2"),
                       pass("d", "m2", "out")};
  EXPECT_THAT(find_resume_nodes(no_m3, catalog, {true, true, false, false}), ElementsAre("c"));
}

TEST_F(Resume, PersistedDatasetsThatWereNeverWrittenAreNot) {
  const Pipeline no_m3{pass("a", "params:x", "m1"), pass("b", "m1", "p1"), pass("c", "p1", "m2"),
                       pass("d", "m2", "out")};
  EXPECT_THAT(find_resume_nodes(no_m3, catalog, {true, true, false, false}), ElementsAre("a"));
}

TEST_F(Resume, OnlyMissingOutputsRunsWhatIsMissingAndWhatItNeedsFromMemory) {
  // p1 missing: b runs, and a, whose m1 (memory) b reads; c and d have memory outputs nobody
  // running reads, and `out` is not in the catalog (memory): they are skipped.
  EXPECT_THAT(with_missing_outputs(pipeline, catalog).node_names(), ElementsAre("a", "b"));
  p1->save(Value::of(1));
  EXPECT_TRUE(with_missing_outputs(pipeline, catalog).empty());
  // A node without outputs always runs, and so does the chain feeding it from memory, up to
  // the persisted p1 that exists.
  const Pipeline report = pipeline + Pipeline{pass("report", "m2", {})};
  EXPECT_THAT(with_missing_outputs(report, catalog).node_names(), ElementsAre("c", "report"));
}

TEST_F(Resume, AStartDownstreamOfAnotherIsLeftOut) {
  // b did not persist p1 (it never exists) and d did not finish either: resuming from a
  // re-runs d anyway, so d is not suggested beside it.
  const Pipeline chain{pass("a", "params:x", "m1"), pass("b", "m1", "p1"), pass("c", "p1", "p2"),
                       pass("d", "p2", "out")};
  catalog.add("p2", std::make_shared<RecordingDataset>(Value::of(1)));
  EXPECT_THAT(find_resume_nodes(chain, catalog, {true, false, true, false}), ElementsAre("a"));
}

TEST_F(Resume, AnUnreadableDatasetIsNoResumePointEvenIfItExists) {
  p1->save(Value::of(1));
  const Pipeline no_m3{pass("a", "params:x", "m1"), pass("b", "m1", "p1"), pass("c", "p1", "m2"),
                       pass("d", "m2", "out")};
  EXPECT_THAT(find_resume_nodes(no_m3, catalog, {true, true, false, false}, {"p1"}),
              ElementsAre("a"));
}

// raw (persisted, exists) -> split -> train_set (persisted) -> train -> model
struct CorruptInput {
  CorruptInput() {
    catalog.add("raw", std::make_shared<RecordingDataset>(Value::of(1)));
    catalog.add("train_set", train_set);
  }
  Pipeline pipeline{pass("split", "raw", "train_set"), pass("train", "train_set", "model")};
  std::shared_ptr<RecordingDataset> train_set = std::make_shared<RecordingDataset>();
  Catalog catalog;
};

TEST(ResumeAfterALoadFailure, StartsAtTheProducerOfTheDatasetThatFailedToLoad) {
  for (bool parallel : {false, true}) {
    CorruptInput run;
    run.train_set->fail_load = true;  // written by split, unreadable: a corrupt file
    std::unique_ptr<Runner> runner;
    if (parallel) {
      runner = std::make_unique<ParallelRunner>(2, true);
    } else {
      runner = std::make_unique<SequentialRunner>();
    }
    try {
      runner->run(run.pipeline, run.catalog);
      FAIL() << "expected the load to fail";
    } catch (const NodeError& error) {
      EXPECT_EQ(error.node(), "train");
      EXPECT_EQ(error.phase(), NodePhase::load);
      EXPECT_THAT(error.unreadable_inputs(), ElementsAre("train_set"));
      EXPECT_THAT(error.resume_nodes(), ElementsAre("split"));
      EXPECT_THAT(error.what(), ::testing::HasSubstr("--from-nodes \"split\""));
    }
  }
}

// Reports at the end of the run that a dataset was not persisted (as the tee does when a
// background write failed), and records the resume nodes of the error observers are given.
class LosesAtTheEnd : public Hook {
 public:
  explicit LosesAtTheEnd(std::string dataset) : dataset_(std::move(dataset)) {}
  Events events() const override { return {Event::after_pipeline_run, Event::on_pipeline_error}; }
  void after_pipeline_run(const RunInfo&, const Pipeline&, const CatalogView&) override {
    throw NotPersistedError("'" + dataset_ + "': disk full", {dataset_});
  }
  void on_pipeline_error(const RunInfo&, const Pipeline&, const CatalogView&,
                         const std::exception& error) override {
    const auto* resumable = dynamic_cast<const ResumableError*>(&error);
    observed = resumable != nullptr ? resumable->resume_nodes() : std::vector<std::string>{"-"};
  }
  std::vector<std::string> observed;

 private:
  std::string dataset_;
};

TEST_F(Resume, ADatasetNotPersistedAtTheEndGetsTheRunnersSuggestionForObserversAndCaller) {
  // p1 exists (it was saved), but its write is reported lost: b counts as not run, and m1 is in
  // memory only, so the resume starts at a.
  auto hook = std::make_shared<LosesAtTheEnd>("p1");
  auto hooks = std::make_shared<HookManager>();
  hooks->add("loses", hook);
  catalog.attach(hooks);
  catalog.add("params:x", std::make_shared<ParameterDataset>(Value::of(1)));
  EXPECT_THAT([&] { SequentialRunner().run(pipeline, catalog); },
              ThrowsMessage<NotPersistedError>(
                  AllOf(HasSubstr("'p1': disk full"), HasSubstr("--from-nodes \"a\""))));
  EXPECT_THAT(hook->observed, ElementsAre("a"));
}

TEST(ResumeAfterALoadFailure, GoesBackIntoThePipelineTheRunWasFilteredFrom) {
  // `--from-nodes train` with a corrupt train_set from an earlier run: split is not in the
  // run's pipeline, but the resume must start there.
  CorruptInput run;
  run.train_set->save(Value::of(2));
  run.train_set->fail_load = true;
  SequentialRunner runner;
  runner.set_source_pipeline(run.pipeline);
  try {
    runner.run(run.pipeline.from_nodes({"train"}), run.catalog);
    FAIL() << "expected the load to fail";
  } catch (const NodeError& error) {
    EXPECT_THAT(error.resume_nodes(), ElementsAre("split"));
  }
  // Without the source pipeline, the run's own pipeline is all the search has.
  SequentialRunner alone;
  try {
    alone.run(run.pipeline.from_nodes({"train"}), run.catalog);
    FAIL() << "expected the load to fail";
  } catch (const NodeError& error) {
    EXPECT_THAT(error.resume_nodes(), ElementsAre("train"));
  }
}

}  // namespace
}  // namespace sluice
