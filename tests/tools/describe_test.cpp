// `sluice viz`'s graphs (render_graph): namespaces drawn as clusters (DOT) and subgraphs
// (Mermaid), nested as the namespaces are, with the datasets named after them inside.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/modular_pipeline.hpp>
#include <sluice/tools/describe.hpp>

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

Pipeline two_regions() {
  const Pipeline model{
      node(
          "fit", [](double x, double alpha) { return x * alpha; }, {"features", "params:alpha"},
          "model"),
  };
  return pipeline(
             pipeline(model, {.namespace_name = "train", .inputs = {{"features", "features"}}}),
             {.namespace_name = "eu", .inputs = {{"features", "features"}}}) +
         pipeline(model, {.namespace_name = "us", .inputs = {{"features", "features"}}}) +
         Pipeline{node(
             "report", [](double a, double b) { return a + b; }, {"eu.train.model", "us.model"},
             "report")};
}

TEST(RenderGraph, NamespacesAreNestedClustersHoldingTheirNodesAndDatasets) {
  const std::string dot = render_graph(two_regions(), GraphFormat::dot);
  // eu holds eu.train, which holds its node and its model; us holds its own; the report and
  // the shared input stay outside.
  EXPECT_THAT(dot, HasSubstr("  subgraph cluster_0 {\n    label=\"eu\";\n"
                             "    subgraph cluster_1 {\n      label=\"eu.train\";\n"));
  EXPECT_THAT(dot, AllOf(HasSubstr("      d2 [label=\"eu.train.model\", shape=ellipse];\n"),
                         HasSubstr("label=\"eu.train.fit\", shape=box, style=rounded];\n"),
                         HasSubstr("label=\"us\";\n"), HasSubstr("    d4 [label=\"us.model\"")));
  EXPECT_THAT(dot, AllOf(HasSubstr("\n  d0 [label=\"features\""),
                         HasSubstr("\n  d1 [label=\"params:eu.train.alpha\", shape=ellipse, "
                                   "style=dashed];"),
                         HasSubstr("label=\"report\", shape=box")));
  const std::string mermaid = render_graph(two_regions(), GraphFormat::mermaid);
  EXPECT_THAT(mermaid, AllOf(HasSubstr("  subgraph s0[\"eu\"]\n    subgraph s1[\"eu.train\"]\n"),
                             HasSubstr("    end\n  end\n"), HasSubstr("subgraph s2[\"us\"]")));
  // Without namespaces, no clusters.
  const Pipeline flat{node(
      "f", [](double x) { return x; }, "a", "b")};
  EXPECT_THAT(render_graph(flat, GraphFormat::dot), Not(HasSubstr("subgraph")));
}

}  // namespace
}  // namespace sluice
