#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>
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

// A random DAG of `count` nodes given in shuffled order, with names sharing long prefixes
// ("stage.long_prefix_<i>") and some nodes reading a dataset twice or a free input.
std::vector<Node> random_dag(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<Node> nodes;
  for (std::size_t i = 0; i < count; ++i) {
    std::vector<std::string> inputs;
    const std::size_t reads = 1 + random() % 3;
    for (std::size_t k = 0; k < reads; ++k) {
      inputs.push_back(i == 0 || random() % 5 == 0 ? fmt::format("free{}", random() % 7)
                                                   : fmt::format("data{}", random() % i));
    }
    std::vector<std::string> outputs{fmt::format("data{}", i)};
    if (random() % 4 == 0) {
      outputs.push_back(fmt::format("extra{}", i));
    }
    nodes.push_back(pass(fmt::format("stage.long_prefix_{}", (i * 7919) % count), inputs, outputs,
                         {fmt::format("t{}", i % 3)}));
  }
  std::shuffle(nodes.begin(), nodes.end(), random);
  return nodes;
}

// What construction computes, the slow way: Kahn's algorithm over names with a sorted ready set.
TEST(Pipeline, IndexesEveryNodeAndDatasetOfALargeRandomPipeline) {
  const std::vector<Node> given = random_dag(3000, 14);
  const Pipeline p(given);

  std::map<std::string, std::string> producer;  // dataset -> node
  for (const auto& node : given) {
    for (const auto& output : node.outputs()) {
      producer[output] = node.name();
    }
  }
  std::map<std::string, std::size_t> waiting;
  std::map<std::string, std::vector<std::string>> successors;
  std::map<std::string, const Node*> by_name;
  for (const auto& node : given) {
    by_name[node.name()] = &node;
    waiting[node.name()] = 0;
    for (const auto& input : node.inputs()) {
      if (producer.contains(input)) {
        ++waiting[node.name()];
        successors[producer[input]].push_back(node.name());
      }
    }
  }
  std::set<std::string> ready;
  for (const auto& [name, count] : waiting) {
    if (count == 0) {
      ready.insert(name);
    }
  }
  std::vector<std::string> expected_order;
  while (!ready.empty()) {
    const std::string next = *ready.begin();
    ready.erase(ready.begin());
    expected_order.push_back(next);
    for (const auto& successor : successors[next]) {
      if (--waiting[successor] == 0) {
        ready.insert(successor);
      }
    }
  }
  ASSERT_EQ(p.node_names(), expected_order);

  // Datasets are numbered by first appearance in nodes(), inputs before outputs.
  std::vector<std::string> first_seen;
  std::set<std::string> consumed, produced;
  std::map<std::string, std::vector<std::size_t>> consumers;
  for (std::size_t i = 0; i < p.size(); ++i) {
    const Node& node = p.nodes()[i];
    EXPECT_EQ(p.find_node(node.name()), &node);
    EXPECT_EQ(p.index_of(node.name()), i);
    for (const auto& input : node.inputs()) {
      if (std::find(first_seen.begin(), first_seen.end(), input) == first_seen.end()) {
        first_seen.push_back(input);
      }
      consumed.insert(input);
      if (consumers[input].empty() || consumers[input].back() != i) {
        consumers[input].push_back(i);
      }
    }
    for (const auto& output : node.outputs()) {
      if (std::find(first_seen.begin(), first_seen.end(), output) == first_seen.end()) {
        first_seen.push_back(output);
      }
      produced.insert(output);
    }
  }
  ASSERT_EQ(p.dataset_count(), first_seen.size());
  for (std::size_t id = 0; id < first_seen.size(); ++id) {
    const std::string& name = first_seen[id];
    EXPECT_EQ(p.dataset_name(static_cast<Pipeline::DatasetId>(id)), name);
    EXPECT_EQ(p.dataset_id(name), id);
    const auto consumers_of = p.consumers_of(name);
    EXPECT_EQ(std::vector<std::size_t>(consumers_of.begin(), consumers_of.end()), consumers[name]);
    if (producer.contains(name)) {
      EXPECT_EQ(p.nodes()[*p.producer_of(name)].name(), producer[name]);
    } else {
      EXPECT_FALSE(p.producer_of(name).has_value());
    }
  }
  std::set<std::string> inputs, outputs, datasets(consumed);
  datasets.insert(produced.begin(), produced.end());
  std::set_difference(consumed.begin(), consumed.end(), produced.begin(), produced.end(),
                      std::inserter(inputs, inputs.end()));
  std::set_difference(produced.begin(), produced.end(), consumed.begin(), consumed.end(),
                      std::inserter(outputs, outputs.end()));
  EXPECT_EQ(p.inputs(), inputs);
  EXPECT_EQ(p.outputs(), outputs);
  EXPECT_EQ(p.all_inputs(), consumed);
  EXPECT_EQ(p.all_outputs(), produced);
  EXPECT_EQ(p.datasets(), datasets);
  EXPECT_EQ(p.tags(), (std::set<std::string>{"t0", "t1", "t2"}));
  EXPECT_EQ(p.find_node("stage.long_prefix_x"), nullptr);
  EXPECT_FALSE(p.dataset_id("data").has_value());
  EXPECT_TRUE(p.consumers_of("nowhere").empty());
}

// The name sets are built on first use; threads sharing one pipeline may ask at once.
TEST(Pipeline, NameSetsCanBeReadFromManyThreadsAtOnce) {
  const Pipeline p(random_dag(500, 7));
  const Pipeline reference(random_dag(500, 7));
  std::vector<std::thread> threads;
  std::vector<int> same(8, 0);
  for (std::size_t t = 0; t < same.size(); ++t) {
    threads.emplace_back([&p, &same, t] {
      // Different threads start from different sets, so the first uses overlap.
      const std::set<std::string>* sets[] = {&p.inputs(),     &p.outputs(),     &p.datasets(),
                                             &p.all_inputs(), &p.all_outputs(), &p.tags()};
      same[t] = sets[t % 6]->empty() ? 0 : 1;
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_THAT(same, ::testing::Each(1));
  EXPECT_EQ(p.inputs(), reference.inputs());
  EXPECT_EQ(p.datasets(), reference.datasets());
  EXPECT_EQ(p.tags(), reference.tags());
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

struct Derived {
  int value;
};

TEST(Pipeline, DerivedDataIsMadeOncePerDefinitionAndSharedByCopies) {
  const Pipeline pipeline{testing::pass("a", "x", "y"), testing::pass("b", "y", "z")};
  int made = 0;
  auto make = [&] {
    ++made;
    return std::make_shared<const Derived>(Derived{41 + made});
  };
  const auto first = pipeline.derived<Derived>(make);
  const Pipeline copy = pipeline;  // NOLINT(performance-unnecessary-copy-initialization)
  const auto again = copy.derived<Derived>(make);
  EXPECT_EQ(made, 1);
  EXPECT_EQ(first.get(), again.get());
  EXPECT_EQ(again->value, 42);
  // Another definition (a filtered pipeline) derives its own.
  const auto other = pipeline.only_nodes({"a"}).derived<Derived>(make);
  EXPECT_EQ(made, 2);
  EXPECT_NE(other.get(), first.get());
  // Identity: shared by copies, different for another definition.
  EXPECT_FALSE(pipeline.identity().owner_before(copy.identity()) ||
               copy.identity().owner_before(pipeline.identity()));
  const Pipeline filtered = pipeline.only_nodes({"a"});
  EXPECT_TRUE(pipeline.identity().owner_before(filtered.identity()) ||
              filtered.identity().owner_before(pipeline.identity()));
}

}  // namespace
}  // namespace sluice
