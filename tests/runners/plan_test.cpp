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

}  // namespace
}  // namespace sluice
