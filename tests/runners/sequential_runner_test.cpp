#include <chrono>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/datasets/cached_dataset.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/runners/node_error.hpp>
#include <sluice/runners/sequential_runner.hpp>

#include "support/recording_dataset.hpp"

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::RecordingDataset;
using ::testing::ThrowsMessage;

int twice(int x) {
  return 2 * x;
}

TEST(SequentialRunner, RunsInOrderAndReturnsFreeOutputsHeldInMemory) {
  Catalog catalog;
  catalog.add("x", std::make_shared<MemoryDataset>(Value::of(3)));
  auto persisted = std::make_shared<RecordingDataset>();
  catalog.add("persisted_out", persisted);
  const Pipeline pipeline{
      node("double", twice, "x", "y"),
      node("quadruple", twice, "y", "z"),
      node("also", twice, "y", "persisted_out"),
  };
  const auto outputs = SequentialRunner().run(pipeline, catalog);
  ASSERT_EQ(outputs.size(), 1U);
  EXPECT_EQ(outputs.at("z").get<int>(), 12);
  EXPECT_EQ(persisted->saves, 1);
  EXPECT_EQ(persisted->releases, 0);  // free outputs are kept
}

TEST(SequentialRunner, PreparesEverySaveOfTheRunAtItsStartBesideTheFirstNode) {
  // The first node waits (a while at most) for the last node's output to be prepared: it is,
  // while the first node runs, not just before its save.
  auto input = std::make_shared<RecordingDataset>(Value::of(1));
  auto middle = std::make_shared<RecordingDataset>();
  auto last = std::make_shared<RecordingDataset>();
  Catalog catalog;
  catalog.add("x", input);
  catalog.add("middle", middle);
  catalog.add("last", last);
  bool prepared_while_first_ran = false;
  auto first = [&](int x) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (last->prepares.load() == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    prepared_while_first_ran = last->prepares.load() == 1;
    return x;
  };
  const Pipeline chain{
      node("first", first, "x", "middle"),
      node("memory", twice, "middle", "in_memory"),
      node("last", twice, "in_memory", "last"),
  };
  SequentialRunner().run(chain, catalog);
  EXPECT_TRUE(prepared_while_first_ran);
  EXPECT_EQ(middle->prepares.load(), 1);
  EXPECT_EQ(last->prepares.load(), 1);
  EXPECT_EQ(input->prepares.load(), 0) << "the run saves no free input";
  EXPECT_EQ(last->saves.load(), 1);
}

TEST(SequentialRunner, CachedFreeInputIsReleasedRightAfterItsOnlyConsumer) {
  // Kedro keeps free pipeline inputs for the whole run; sluice releases them after their last
  // consumer, so a large cached input does not pin memory while the rest of the chain runs.
  auto source = std::make_shared<RecordingDataset>(Value::of(std::vector<int>(1000, 1)));
  auto cached = std::make_shared<CachedDataset>(source);
  Catalog catalog;
  catalog.add("big_input", cached);
  std::vector<bool> cached_while_running;
  auto observe = [&](int x) {
    cached_while_running.push_back(cached->is_cached());
    return x;
  };
  const Pipeline chain{
      node(
          "first", [](const std::vector<int>& v) { return static_cast<int>(v.size()); },
          "big_input", "a"),
      node("second", observe, "a", "b"),
      node("third", observe, "b", "c"),
  };
  SequentialRunner().run(chain, catalog);
  EXPECT_THAT(cached_while_running, ElementsAre(false, false));
  EXPECT_EQ(source->loads, 1);
  EXPECT_EQ(source->releases, 1);

  // keep_inputs (Kedro's behaviour, for comparison): held for the whole run.
  cached_while_running.clear();
  SequentialRunner keeping;
  keeping.set_keep_inputs(true);
  keeping.run(chain, catalog);
  EXPECT_THAT(cached_while_running, ElementsAre(true, true));
  EXPECT_EQ(source->releases, 1);  // not again
  EXPECT_TRUE(cached->is_cached());
}

TEST(SequentialRunner, IntermediatesAreReleasedAfterTheirLastConsumer) {
  Catalog catalog;
  catalog.add("x", std::make_shared<MemoryDataset>(Value::of(1)));
  auto mid = std::make_shared<MemoryDataset>();
  catalog.add("mid", mid);
  std::vector<bool> mid_alive;
  auto observe = [&](int x) {
    mid_alive.push_back(mid->exists());
    return x;
  };
  const Pipeline pipeline{
      node("make", twice, "x", "mid"),
      node("use1", observe, "mid", "u1"),
      node("use2", observe, "mid", "u2"),
      node("z_after", observe, "u1", "u3"),
  };
  SequentialRunner().run(pipeline, catalog);
  // mid lives through both consumers, then goes before "z_after" runs.
  EXPECT_THAT(mid_alive, ElementsAre(true, true, false));
  EXPECT_FALSE(catalog.get("x")->exists());  // a free input, released too
}

TEST(SequentialRunner, MissingFreeInputsFailBeforeAnythingRuns) {
  Catalog catalog;
  bool ran = false;
  const Pipeline pipeline{
      node(
          "a",
          [&](int x) {
            ran = true;
            return x;
          },
          "rw_data", "y"),
  };
  EXPECT_THAT([&] { SequentialRunner().run(pipeline, catalog); },
              ThrowsMessage<RunError>(AllOf(HasSubstr("'rw_data' (read by node 'a')"),
                                            HasSubstr("not in the catalog"))));
  EXPECT_FALSE(ran);
}

class NodeFailures : public ::testing::Test {
 protected:
  // load -> clean (persisted) -> features (memory) -> train -> report
  NodeFailures() {
    catalog.add("raw", std::make_shared<RecordingDataset>(Value::of(1)));
    catalog.add("cleaned", cleaned);
    catalog.add_parameters(Param(Param::Map{{"rate", 2}}));
  }

  Pipeline pipeline(bool fail_train) {
    return Pipeline{
        node("clean", twice, "raw", "cleaned"),
        node("featurize", twice, "cleaned", "features"),
        node(
            "train",
            [fail_train](int features, int rate) {
              if (fail_train) {
                throw std::invalid_argument("learning rate too high");
              }
              return features * rate;
            },
            {"features", "params:rate"}, "model"),
        node("report", twice, "model", "summary"),
    };
  }

  Catalog catalog;
  std::shared_ptr<RecordingDataset> cleaned = std::make_shared<RecordingDataset>();
};

TEST_F(NodeFailures, ErrorNamesTheNodeAndCauseAndSuggestsTheNearestPersistedResumePoint) {
  try {
    SequentialRunner().run(pipeline(true), catalog);
    FAIL() << "expected NodeError";
  } catch (const NodeError& error) {
    EXPECT_EQ(error.node(), "train");
    EXPECT_EQ(error.phase(), NodePhase::run);
    // "features" is in memory and gone; "cleaned" is persisted, so resume from featurize.
    EXPECT_THAT(error.resume_nodes(), ElementsAre("featurize"));
    EXPECT_THAT(error.what(), AllOf(HasSubstr("node 'train' failed while running"),
                                    HasSubstr("learning rate too high"),
                                    HasSubstr("--from-nodes \"featurize\"")));
    EXPECT_THROW(std::rethrow_exception(error.cause()), std::invalid_argument);
  }
}

TEST_F(NodeFailures, LoadAndSaveFailuresReportTheirPhase) {
  cleaned->fail_save = true;
  try {
    SequentialRunner().run(pipeline(false), catalog);
    FAIL();
  } catch (const NodeError& error) {
    EXPECT_EQ(error.node(), "clean");
    EXPECT_EQ(error.phase(), NodePhase::save);
    EXPECT_THAT(error.what(), AllOf(HasSubstr("saving its outputs"), HasSubstr("disk full")));
    EXPECT_THAT(error.resume_nodes(), ElementsAre("clean"));
  }
  cleaned->fail_save = false;
  auto raw = std::dynamic_pointer_cast<RecordingDataset>(catalog.get("raw"));
  raw->fail_load = true;
  try {
    SequentialRunner().run(pipeline(false), catalog);
    FAIL();
  } catch (const NodeError& error) {
    EXPECT_EQ(error.phase(), NodePhase::load);
    EXPECT_THAT(error.what(), AllOf(HasSubstr("loading its inputs"), HasSubstr("'raw'")));
  }
}

TEST(SequentialRunner, TypeMismatchBetweenNodeAndDatasetNamesBoth) {
  Catalog catalog;
  catalog.add("text", std::make_shared<MemoryDataset>(Value::of(std::string("abc"))));
  const Pipeline pipeline{node("count", twice, "text", "n")};
  EXPECT_THAT([&] { SequentialRunner().run(pipeline, catalog); },
              ThrowsMessage<NodeError>(AllOf(HasSubstr("node 'count'"),
                                             HasSubstr("dataset 'text' holds std::string but int "
                                                       "was expected"))));
}

TEST(SequentialRunner, NonStandardExceptionsAreStillReported) {
  Catalog catalog;
  const Pipeline pipeline{node(
      "odd", []() -> int { throw 42; }, {}, "x")};
  EXPECT_THAT([&] { SequentialRunner().run(pipeline, catalog); },
              ThrowsMessage<NodeError>(HasSubstr("not a std::exception")));
}

TEST(SequentialRunner, RunsNestedThreeDeepEachWithItsOwnBuffers) {
  // Two levels of nested runs on one thread: the thread's buffers are lent to the outermost
  // node, and each nested node gets vectors of its own, made only then.
  const Pipeline inner{node("inner_double", twice, "a", "b")};
  const Pipeline middle{node(
      "middle",
      [&inner](int p, int q) {
        Catalog nested;
        nested.add("a", std::make_shared<MemoryDataset>(Value::of(p)));
        return std::make_tuple(SequentialRunner().run(inner, nested).at("b").get<int>() + q, q);
      },
      Names{"p", "q"}, Names{"r", "s"})};
  const Pipeline outer{node(
      "outer",
      [&middle](int x, int y, int w) {
        Catalog nested;
        nested.add("p", std::make_shared<MemoryDataset>(Value::of(x)));
        nested.add("q", std::make_shared<MemoryDataset>(Value::of(y)));
        auto results = SequentialRunner().run(middle, nested);
        return std::make_tuple(results.at("r").get<int>() + w, results.at("s").get<int>());
      },
      Names{"x", "y", "w"}, Names{"z", "y2"})};
  Catalog catalog;
  catalog.add("x", std::make_shared<MemoryDataset>(Value::of(4)));
  catalog.add("y", std::make_shared<MemoryDataset>(Value::of(100)));
  catalog.add("w", std::make_shared<MemoryDataset>(Value::of(1000)));
  for (int round = 0; round < 3; ++round) {  // the thread's buffers are handed back each time
    catalog.add("x", std::make_shared<MemoryDataset>(Value::of(4 + round)), true);
    catalog.add("y", std::make_shared<MemoryDataset>(Value::of(100)), true);
    catalog.add("w", std::make_shared<MemoryDataset>(Value::of(1000)), true);
    const auto outputs = SequentialRunner().run(outer, catalog);
    EXPECT_EQ(outputs.at("z").get<int>(), 2 * (4 + round) + 100 + 1000);
    EXPECT_EQ(outputs.at("y2").get<int>(), 100);
  }
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

TEST(SequentialRunner, ARunAgainSeesDatasetsReplacedSinceTheLastRun) {
  Catalog catalog;
  catalog.add("x", std::make_shared<MemoryDataset>(Value::of(3)));
  const Pipeline pipeline{node("double", twice, "x", "y")};
  SequentialRunner runner;
  EXPECT_EQ(runner.run(pipeline, catalog).at("y").get<int>(), 6);
  // x was released after its consumer; a new dataset under the same name is the one read.
  catalog.add("x", std::make_shared<MemoryDataset>(Value::of(5)), true);
  EXPECT_EQ(runner.run(pipeline, catalog).at("y").get<int>(), 10);
  // A persisted output registered after the first run is where the next run saves.
  auto persisted = std::make_shared<RecordingDataset>();
  catalog.add("y", persisted, true);
  catalog.save("x", Value::of(7));
  EXPECT_TRUE(runner.run(pipeline, catalog).empty());
  const Value saved = persisted->load();
  EXPECT_EQ(saved.get<int>(), 14);
}

TEST(SequentialRunner, ANodeMayRunAPipelineItself) {
  // The inner run borrows the thread's node buffers while the outer node holds them: each
  // must see its own inputs and outputs.
  const Pipeline inner{node("inner_double", twice, "a", "b")};
  const Pipeline outer{node(
      "outer",
      [&inner](int x, int y) {
        Catalog nested;
        nested.add("a", std::make_shared<MemoryDataset>(Value::of(x)));
        const int doubled = SequentialRunner().run(inner, nested).at("b").get<int>();
        return doubled + y;
      },
      Names{"x", "y"}, "z")};
  Catalog catalog;
  catalog.add("x", std::make_shared<MemoryDataset>(Value::of(4)));
  catalog.add("y", std::make_shared<MemoryDataset>(Value::of(100)));
  EXPECT_EQ(SequentialRunner().run(outer, catalog).at("z").get<int>(), 108);
}

}  // namespace
}  // namespace sluice
