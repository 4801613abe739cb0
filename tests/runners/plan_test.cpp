#include <map>

#include <gtest/gtest.h>

#include <sluice/runners/plan.hpp>

#include "support/pass_node.hpp"

namespace sluice {
namespace {

using testing::pass;

TEST(Plan, CountsDistinctConsumersAndMarksFreeOutputs) {
  const Plan plan(
      Pipeline{pass("a", "in", "x"), pass("b", {"x", "x", "in"}, "y"), pass("c", "x", "z")});
  std::map<std::string, Plan::DatasetId> ids;
  for (Plan::DatasetId id = 0; id < plan.dataset_count(); ++id) {
    ids[plan.dataset_name(id)] = id;
  }
  ASSERT_EQ(ids.size(), 4U);
  EXPECT_EQ(plan.consumer_count(ids["x"]), 2U);  // b reads x twice but counts once
  EXPECT_EQ(plan.consumer_count(ids["in"]), 2U);
  EXPECT_EQ(plan.inputs_of(1).size(), 2U);
  EXPECT_TRUE(plan.is_free_output(ids["y"]));
  EXPECT_TRUE(plan.is_free_output(ids["z"]));
  EXPECT_FALSE(plan.is_free_output(ids["x"]));
  EXPECT_FALSE(plan.is_free_output(ids["in"]));
}

TEST(Plan, CountsTheNodesOnTheLongestPathToASink) {
  // in -> a -> x -> b -> y -> c -> z, and a -> x -> d -> w: a heads a path of three nodes.
  const Plan plan(Pipeline{pass("a", "in", "x"), pass("b", "x", "y"), pass("c", "y", "z"),
                           pass("d", "x", "w")});
  std::map<std::string, std::uint32_t> path;
  for (std::size_t node = 0; node < plan.node_count(); ++node) {
    path[plan.pipeline().nodes()[node].name()] = plan.path_nodes(node);
  }
  EXPECT_EQ(path, (std::map<std::string, std::uint32_t>{{"a", 3}, {"b", 2}, {"c", 1}, {"d", 1}}));
}

}  // namespace
}  // namespace sluice
