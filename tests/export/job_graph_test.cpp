// The job graph of `sluice export`: one job per node or per chain, dependencies from the
// pipeline, the datasets that cross jobs and the refusal of memory-only ones.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/error.hpp>
#include <sluice/tools/job_graph.hpp>

#include "support/random_dag.hpp"

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Node pass(const std::string& name, std::vector<std::string> inputs,
          std::vector<std::string> outputs) {
  return Node(name, std::move(inputs), std::move(outputs),
              [](const std::vector<Value>&, const std::vector<std::string>&) {
                return std::vector<Value>{};
              });
}

// Stands for a dataset on storage (a file, S3, Redis): not ephemeral.
class PersistedDataset : public MemoryDataset {
 public:
  bool is_ephemeral() const override { return false; }
};

// a -> b, then b fans out to c and d, which e joins; f reads e.
Pipeline diamond_with_tail() {
  return Pipeline({pass("a", {"raw"}, {"x"}), pass("b", {"x"}, {"y"}), pass("c", {"y"}, {"z"}),
                   pass("d", {"y"}, {"w"}), pass("e", {"z", "w"}, {"out"}),
                   pass("f", {"out"}, {"final"})});
}

TEST(JobGraph, OneJobPerNodeWithDependenciesFromTheDatasets) {
  const JobGraph graph = make_job_graph(diamond_with_tail(), JobGrouping::nodes);
  ASSERT_EQ(graph.jobs.size(), 6U);
  const auto job = [&](const std::string& node) { return graph.jobs[graph.job_of(node)]; };
  EXPECT_THAT(job("a").depends_on, ElementsAre());
  EXPECT_THAT(job("b").depends_on, ElementsAre(graph.job_of("a")));
  EXPECT_THAT(job("e").depends_on, ElementsAre(graph.job_of("c"), graph.job_of("d")));
  EXPECT_EQ(job("e").name, "e");
  EXPECT_EQ(graph.levels(), 5U);  // a, b, c|d, e, f
  std::vector<std::string> crossing;
  for (const CrossingDataset& entry : graph.crossing) {
    crossing.push_back(entry.dataset);
  }
  EXPECT_THAT(crossing, ElementsAre("out", "w", "x", "y", "z"));  // not raw: no producer
  const auto y = graph.crossing[3];
  EXPECT_EQ(y.producer, "b");
  EXPECT_THAT(y.consumers, ElementsAre("c", "d"));
}

TEST(JobGraph, ChainsJoinANodeToItsOnlyUpstreamWhenItIsThatNodesOnlyDownstream) {
  const JobGraph graph = make_job_graph(diamond_with_tail(), JobGrouping::chains);
  // a-b is a chain; b fans out, so c and d start jobs; e reads two jobs; e-f is a chain.
  ASSERT_EQ(graph.jobs.size(), 4U);
  EXPECT_THAT(graph.jobs[graph.job_of("a")].nodes, ElementsAre("a", "b"));
  EXPECT_EQ(graph.jobs[graph.job_of("a")].name, "a..b");
  EXPECT_THAT(graph.jobs[graph.job_of("e")].nodes, ElementsAre("e", "f"));
  EXPECT_EQ(graph.job_of("b"), graph.job_of("a"));
  EXPECT_THAT(graph.jobs[graph.job_of("e")].depends_on,
              ElementsAre(graph.job_of("c"), graph.job_of("d")));
  std::vector<std::string> crossing;
  for (const CrossingDataset& entry : graph.crossing) {
    crossing.push_back(entry.dataset);
  }
  EXPECT_THAT(crossing, ElementsAre("w", "y", "z"));  // x and out stay inside their chain
  EXPECT_EQ(graph.levels(), 3U);
}

TEST(JobGraph, EveryJobDependsOnlyOnEarlierJobsThatProduceItsInputsOnRandomDags) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    const Pipeline pipeline = testing::random_dag(seed).pipeline;
    for (const JobGrouping grouping : {JobGrouping::nodes, JobGrouping::chains}) {
      const JobGraph graph = make_job_graph(pipeline, grouping);
      std::size_t nodes = 0;
      for (std::size_t job = 0; job < graph.jobs.size(); ++job) {
        nodes += graph.jobs[job].nodes.size();
        for (const std::size_t upstream : graph.jobs[job].depends_on) {
          EXPECT_LT(upstream, job) << "seed " << seed;
        }
        for (const std::string& name : graph.jobs[job].nodes) {
          for (const std::string& input : pipeline.find_node(name)->inputs()) {
            const auto producer = pipeline.producer_of(input);
            if (!producer) {
              continue;
            }
            const std::size_t from = graph.job_of(pipeline.nodes()[*producer].name());
            if (from != job) {
              EXPECT_THAT(graph.jobs[job].depends_on, ::testing::Contains(from))
                  << "seed " << seed << " node " << name;
            }
          }
        }
      }
      EXPECT_EQ(nodes, pipeline.size()) << "seed " << seed;
      if (grouping == JobGrouping::nodes) {
        EXPECT_EQ(graph.jobs.size(), pipeline.size());
      }
    }
  }
}

TEST(JobGraph, OnlyMemoryOnlyCrossingsAreRefusedAndTheErrorListsThem) {
  const JobGraph graph = make_job_graph(diamond_with_tail(), JobGrouping::nodes);
  Catalog catalog;
  catalog.add("x", std::make_shared<MemoryDataset>());
  catalog.add("y", std::make_shared<PersistedDataset>());
  catalog.add("z", std::make_shared<PersistedDataset>());
  catalog.add("w", std::make_shared<PersistedDataset>());
  const auto refused = memory_only_crossings(graph, catalog);  // x (memory), out (undefined)
  ASSERT_EQ(refused.size(), 2U);
  EXPECT_EQ(refused[0].dataset, "out");
  EXPECT_EQ(refused[1].dataset, "x");
  EXPECT_THAT(memory_only_error(refused),
              AllOf(HasSubstr("2 datasets cross jobs but are kept in memory only"),
                    HasSubstr("'out' (written by node 'e', read by 'f')"),
                    HasSubstr("'x' (written by node 'a', read by 'b')"),
                    HasSubstr("--intermediates URL"), HasSubstr("--group chains")));
}

TEST(JobGraph, TheOverlayPutsCrossingDatasetsOnTheSharedStore) {
  const std::vector<CrossingDataset> datasets = {{"x", "a", {"b"}}};
  EXPECT_THAT(intermediates_overlay(datasets, "/shared/run/"),
              AllOf(HasSubstr("\"x\":\n  type: BinaryDataset\n  filepath: \"/shared/run/x.bin\"")));
  EXPECT_THAT(intermediates_overlay(datasets, "s3://bucket/runs"),
              HasSubstr("filepath: \"s3://bucket/runs/x.bin\""));
  EXPECT_THAT(intermediates_overlay(datasets, "redis://10.0.0.1:6379/2"),
              AllOf(HasSubstr("type: RedisDataset"), HasSubstr("url: \"redis://10.0.0.1:6379/2\""),
                    HasSubstr("key: \"sluice:x\"")));
  EXPECT_THAT(intermediates_overlay(datasets, "redis://10.0.0.1:6379/2/iris"),
              AllOf(HasSubstr("url: \"redis://10.0.0.1:6379/2\""), HasSubstr("key: \"iris:x\"")));
  try {
    intermediates_overlay(datasets, "shared/run");
    FAIL() << "a relative folder was accepted";
  } catch (const ConfigError& error) {
    EXPECT_THAT(error.what(),
                AllOf(HasSubstr("--intermediates 'shared/run'"), HasSubstr("absolute folder")));
  }
}

}  // namespace
}  // namespace sluice
