#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/pipeline.hpp>

#include "support/pass_node.hpp"

namespace sluice {
namespace {

using testing::pass;

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// raw -> clean -> features -> model ; features -> report
Pipeline sample() {
  return Pipeline{
      pass("train", {"features", "params:alpha"}, "model", {"ml"}),
      pass("clean", "raw", "cleaned"),
      pass("featurize", "cleaned", "features", {"ml"}),
      pass("report", {"features", "model"}, "report_md"),
  };
}

TEST(Pipeline, TopologicalOrderIsDeterministic) {
  EXPECT_THAT(sample().node_names(), ElementsAre("clean", "featurize", "train", "report"));
  const Pipeline reversed{pass("b", {}, "y"), pass("a", {}, "x")};
  EXPECT_THAT(reversed.node_names(), ElementsAre("a", "b"));
}

TEST(Pipeline, DatasetSets) {
  const Pipeline p = sample();
  EXPECT_THAT(p.inputs(), ElementsAre("params:alpha", "raw"));
  EXPECT_THAT(p.outputs(), ElementsAre("report_md"));
  EXPECT_THAT(p.all_outputs(), ElementsAre("cleaned", "features", "model", "report_md"));
  EXPECT_EQ(p.datasets().size(), 6U);
  EXPECT_EQ(p.consumers_of("features").size(), 2U);
  EXPECT_EQ(p.nodes()[*p.producer_of("model")].name(), "train");
  EXPECT_FALSE(p.producer_of("raw").has_value());
}

TEST(Pipeline, DuplicateNodeNamesAreRejected) {
  EXPECT_THAT(
      [] {
        Pipeline({pass("a", {}, "x"), pass("a", {}, "y")});
      },
      ThrowsMessage<PipelineError>(HasSubstr("two nodes are named 'a'")));
}

TEST(Pipeline, DuplicateOutputsNameBothProducers) {
  EXPECT_THAT(
      [] {
        Pipeline({pass("a", {}, "x"), pass("b", {}, "x")});
      },
      ThrowsMessage<PipelineError>(
          HasSubstr("dataset 'x' is an output of both node 'a' and node 'b'")));
}

TEST(Pipeline, CycleMessageShowsTheCycle) {
  EXPECT_THAT(
      [] {
        Pipeline({pass("start", {}, "s"), pass("a", {"s", "z"}, "x"), pass("b", "x", "y"),
                  pass("c", "y", "z")});
      },
      ThrowsMessage<PipelineError>(HasSubstr("cycle: a -> [x] -> b -> [y] -> c -> [z] -> a")));
}

TEST(Pipeline, Filters) {
  const Pipeline p = sample();
  EXPECT_THAT(p.only_nodes({"train", "clean"}).node_names(), ElementsAre("clean", "train"));
  EXPECT_THAT(p.from_nodes("featurize").node_names(), ElementsAre("featurize", "train", "report"));
  EXPECT_THAT(p.to_nodes("train").node_names(), ElementsAre("clean", "featurize", "train"));
  EXPECT_THAT(p.from_inputs("model").node_names(), ElementsAre("report"));
  EXPECT_THAT(p.from_inputs("raw").size(), 4U);
  EXPECT_THAT(p.to_outputs("cleaned").node_names(), ElementsAre("clean"));
  EXPECT_THAT(p.only_nodes_with_tags("ml").node_names(), ElementsAre("featurize", "train"));
  // A filtered pipeline has its own free inputs.
  EXPECT_THAT(p.from_nodes("train").inputs(), ElementsAre("features", "params:alpha"));
}

TEST(Pipeline, UnknownNamesInFiltersListCloseMatches) {
  const Pipeline p = sample();
  EXPECT_THAT(
      [&] { p.only_nodes("trian"); },
      ThrowsMessage<PipelineError>(HasSubstr("no node named 'trian' (did you mean 'train'?)")));
  EXPECT_THAT(
      [&] {
        p.from_nodes({"clean", "feturize"});
      },
      ThrowsMessage<PipelineError>(HasSubstr("'feturize' (did you mean 'featurize'?)")));
  EXPECT_THAT([&] { p.to_outputs("modle"); },
              ThrowsMessage<PipelineError>(HasSubstr("'modle' (did you mean 'model'?)")));
  EXPECT_THAT([&] { p.from_inputs("nothing"); },
              ThrowsMessage<PipelineError>(HasSubstr("no dataset named 'nothing'")));
  EXPECT_THAT([&] { p.only_nodes_with_tags("ml2"); },
              ThrowsMessage<PipelineError>(HasSubstr("tags in use: ml")));
}

TEST(Pipeline, FromInputsAndToOutputsAcceptAnyDatasetOfThePipeline) {
  const Pipeline p = sample();
  // As in Kedro: a free output starts nothing downstream, a free input needs no producer.
  EXPECT_TRUE(p.from_inputs("report_md").empty());
  EXPECT_TRUE(p.to_outputs("raw").empty());
  EXPECT_THAT(p.from_inputs({"report_md", "model"}).node_names(), ElementsAre("report"));
  EXPECT_THAT(p.to_outputs({"raw", "cleaned"}).node_names(), ElementsAre("clean"));
}

TEST(Pipeline, SomeUnknownTagsAreAWarningNotAnError) {
  const Pipeline p = sample();
  EXPECT_THAT(p.only_nodes_with_tags({"ml", "nosuch"}).node_names(),
              ElementsAre("featurize", "train"));
  EXPECT_THROW(p.only_nodes_with_tags({"nosuch", "other"}), PipelineError);
}

// Kedro's own example for Pipeline.filter.
Pipeline kedro_example() {
  return Pipeline{pass("node1", "A", "B"), pass("node2", "B", "C"), pass("node3", "C", "D")};
}

TEST(Pipeline, FilterIntersectsConditionsAppliedToTheWholePipeline) {
  EXPECT_THAT(
      kedro_example().filter({.nodes = {"node1", "node3"}, .from_inputs = {"A"}}).node_names(),
      ElementsAre("node1", "node3"));
  const Pipeline p = sample();
  // Chained, to_nodes would look for 'report' among the ml nodes only.
  EXPECT_THAT(p.filter({.tags = {"ml"}, .to_nodes = {"report"}}).node_names(),
              ElementsAre("featurize", "train"));
  EXPECT_THAT(p.filter({.from_nodes = {"featurize"}, .to_outputs = {"model"}}).node_names(),
              ElementsAre("featurize", "train"));
  EXPECT_EQ(p.filter({}).node_names(), p.node_names());
}

TEST(Pipeline, FilterReportsUnknownNamesOfEveryCondition) {
  const Pipeline p = sample();
  EXPECT_THAT([&] { p.filter({.tags = {"ml"}, .to_nodes = {"reprot"}}); },
              ThrowsMessage<PipelineError>(HasSubstr("'reprot' (did you mean 'report'?)")));
  EXPECT_THAT([&] { p.filter({.from_inputs = {"featurs"}}); },
              ThrowsMessage<PipelineError>(HasSubstr("'featurs' (did you mean 'features'?)")));
}

TEST(Pipeline, AnEmptyIntersectionSaysWhatEachFilterSelected) {
  const Pipeline p = sample();
  EXPECT_THAT(
      [&] {
        p.filter({.tags = {"ml"}, .nodes = {"clean", "report"}});
      },
      ThrowsMessage<PipelineError>(AllOf(HasSubstr("tags [ml] selects featurize, train"),
                                         HasSubstr("nodes [clean, report] selects clean, report"),
                                         HasSubstr("every filter selects it"))));
  EXPECT_THAT([&] { p.filter({.from_inputs = {"report_md"}}); },
              ThrowsMessage<PipelineError>(HasSubstr("from_inputs [report_md] selects no node")));
}

TEST(Pipeline, UnionAndDifference) {
  const Pipeline p = sample();
  const Pipeline left = p.only_nodes({"clean", "featurize"});
  const Pipeline right = p.only_nodes({"featurize", "train", "report"});
  EXPECT_EQ((left + right).node_names(), p.node_names());
  EXPECT_THAT((p - left).node_names(), ElementsAre("train", "report"));
  EXPECT_THROW(left + Pipeline{pass("clean", "other", "cleaned")}, PipelineError);
}

}  // namespace
}  // namespace sluice
