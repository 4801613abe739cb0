// Modular pipelines: pipeline(pipe, {namespace, inputs, outputs, parameters, tags}), Kedro's
// `pipeline()`, and the namespace filter.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/modular_pipeline.hpp>

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// companies + params:alpha -> prepare -> features -> train -> model
Pipeline model_pipeline() {
  return Pipeline{
      node("prepare", [](double x, double alpha) { return x * alpha; },
           {"companies", "params:alpha"}, "features", {.tags = {"prep"}}),
      node(
          "train",
          [](double features, const Param& all) { return features + all.at("bias").as_double(); },
          {"features", "parameters"}, "model"),
  };
}

TEST(ModularPipeline, ANamespacePrefixesNodesDatasetsAndParametersExceptTheMappedOnes) {
  const Pipeline a = pipeline(
      model_pipeline(),
      {.namespace_name = "model_a", .inputs = {{"companies", "companies"}}, .tags = {"a"}});
  EXPECT_THAT(a.node_names(), ElementsAre("model_a.prepare", "model_a.train"));
  const Node& prepare = *a.find_node("model_a.prepare");
  EXPECT_EQ(prepare.namespace_name(), "model_a");
  EXPECT_THAT(prepare.inputs(), ElementsAre("companies", "params:model_a.alpha"));
  EXPECT_THAT(prepare.outputs(), ElementsAre("model_a.features"));
  EXPECT_THAT(prepare.tags(), ElementsAre("prep", "a"));
  // `parameters` (all of them) is never renamed.
  EXPECT_THAT(a.find_node("model_a.train")->inputs(),
              ElementsAre("model_a.features", "parameters"));
  // The function is the same: it runs.
  const auto outputs = prepare.run({Value::of(2.0), Value::of(0.5)});
  EXPECT_DOUBLE_EQ(outputs.at(0).get<double>(), 1.0);
}

TEST(ModularPipeline, OnePipelineTwiceWithRemappedOutputsAndParameters) {
  const Pipeline both = pipeline(model_pipeline(), {.namespace_name = "eu",
                                                    .inputs = {{"companies", "companies"}},
                                                    .outputs = {{"model", "eu_model"}},
                                                    .parameters = {{"alpha", "params:eu_alpha"}}}) +
                        pipeline(model_pipeline(), {.namespace_name = "us",
                                                    .inputs = {{"companies", "companies"}},
                                                    .parameters = {{"params:alpha", "alpha"}}});
  EXPECT_EQ(both.size(), 4U);
  EXPECT_THAT(both.inputs(),
              AllOf(testing::Contains("companies"), testing::Contains("params:eu_alpha"),
                    testing::Contains("params:alpha")));
  EXPECT_THAT(both.outputs(), ElementsAre("eu_model", "us.model"));
  EXPECT_EQ(both.namespaces(), (std::set<std::string>{"eu", "us"}));
}

TEST(ModularPipeline, NamespacesNestAndFilterByPrefix) {
  const Pipeline inner = pipeline(model_pipeline(), {.namespace_name = "train"});
  const Pipeline outer =
      pipeline(inner, {.namespace_name = "region"}) +
      pipeline(Pipeline{node(
                   "report", [](double m) { return m; }, "region.train.model", "report")},
               {.inputs = {{"region.train.model", "region.train.model"}}});
  const Node& prepare = *outer.find_node("region.train.prepare");
  EXPECT_EQ(prepare.namespace_name(), "region.train");
  EXPECT_THAT(prepare.inputs(), ElementsAre("region.train.companies", "params:region.train.alpha"));
  EXPECT_EQ(outer.namespaces(), (std::set<std::string>{"region", "region.train"}));
  EXPECT_THAT(outer.only_nodes_with_namespaces("region").node_names(),
              ElementsAre("region.train.prepare", "region.train.train"));
  EXPECT_EQ(outer.filter({.namespaces = {"region.train"}}).size(), 2U);
  EXPECT_THAT([&] { outer.only_nodes_with_namespaces("regoin"); },
              ThrowsMessage<PipelineError>(
                  AllOf(HasSubstr("no node is in the namespace 'regoin' (did you mean 'region'?)"),
                        HasSubstr("namespaces in use: region, region.train"))));
  // "reg" is not a namespace, though "region" starts with it.
  EXPECT_THROW(outer.only_nodes_with_namespaces("reg"), PipelineError);
}

TEST(ModularPipeline, MappingWhatThePipelineDoesNotHaveIsAnErrorWithCloseMatches) {
  const Pipeline pipe = model_pipeline();
  EXPECT_THAT(
      [&] {
        pipeline(pipe, {.inputs = {{"compaines", "x"}}});
      },
      ThrowsMessage<PipelineError>(
          HasSubstr("input 'compaines' is not a free input of the pipeline (did you mean "
                    "'companies'?); its free inputs: companies")));
  EXPECT_THAT(
      [&] {
        pipeline(pipe, {.inputs = {{"features", "x"}}});
      },
      ThrowsMessage<PipelineError>(
          HasSubstr("input 'features' is produced by node 'prepare', so it is not a free input; "
                    "map it with .outputs")));
  EXPECT_THAT(
      [&] {
        pipeline(pipe, {.inputs = {{"params:alpha", "x"}}});
      },
      ThrowsMessage<PipelineError>(HasSubstr("map parameters with .parameters")));
  EXPECT_THAT(
      [&] {
        pipeline(pipe, {.outputs = {{"modle", "x"}}});
      },
      ThrowsMessage<PipelineError>(
          HasSubstr("output 'modle' is not an output of the pipeline's nodes (did you mean "
                    "'model'?)")));
  EXPECT_THAT(
      [&] {
        pipeline(pipe, {.parameters = {{"beta", "x"}}});
      },
      ThrowsMessage<PipelineError>(
          HasSubstr("parameter 'params:beta' is not used by the pipeline")));
  // Two instances without a namespace collide, as two nodes of one name do.
  EXPECT_THROW(pipeline(pipe, {.outputs = {{"model", "m1"}}}) +
                   pipeline(pipe, {.outputs = {{"model", "m2"}}}),
               PipelineError);
}

}  // namespace
}  // namespace sluice
