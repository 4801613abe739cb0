#include <spaceflights/nodes.hpp>
#include <spaceflights/pipeline.hpp>

#include <sluice/core/modular_pipeline.hpp>

namespace spaceflights {

using sluice::node;

sluice::Pipeline create_data_processing() {
  return sluice::Pipeline{
      node("preprocess_companies", preprocess_companies, "companies", "preprocessed_companies"),
      node("preprocess_shuttles", preprocess_shuttles, "shuttles", "preprocessed_shuttles"),
      node("parse_reviews", parse_reviews, "reviews", "review_scores"),
      node("create_model_input_table", create_model_input_table,
           {"preprocessed_shuttles", "preprocessed_companies", "review_scores"},
           "model_input_table"),
  };
}

sluice::Pipeline create_model_pipeline() {
  return sluice::Pipeline{
      node("split_data", split_data, {"model_input_table", "params:model_options"},
           {"X_train", "X_test", "y_train", "y_test"}),
      node("train_model", train_model, {"X_train", "y_train"}, "regressor"),
      node("evaluate_model", evaluate_model, {"regressor", "X_test", "y_test"}, "metrics"),
  };
}

sluice::Pipeline create_data_science() {
  const sluice::Pipeline model = create_model_pipeline();
  // model_input_table is shared: mapped to itself, it stays out of the namespace.
  return sluice::pipeline(model, {.namespace_name = "active_modelling",
                                  .inputs = {{"model_input_table", "model_input_table"}},
                                  .tags = {"active"}}) +
         sluice::pipeline(model, {.namespace_name = "candidate_modelling",
                                  .inputs = {{"model_input_table", "model_input_table"}},
                                  .tags = {"candidate"}});
}

sluice::Pipeline create_reporting() {
  return sluice::Pipeline{
      node("report_capacity", report_capacity, {"model_input_table", "capacity_by_engines"},
           "capacity_report"),
  };
}

}  // namespace spaceflights
