#include <iris/nodes.hpp>
#include <iris/pipeline.hpp>

namespace iris {

sluice::Pipeline create_pipeline() {
  using sluice::node;
  return sluice::Pipeline{
      node("split", split_data, {"example_iris_data", "parameters"},
           {"X_train", "X_test", "y_train", "y_test"}, {.tags = {"preprocessing"}}),
      node("make_predictions", make_predictions, {"X_train", "X_test", "y_train"}, "y_pred",
           {.tags = {"model"}}),
      node("report_accuracy", report_accuracy, {"y_pred", "y_test"}, {}, {.tags = {"reporting"}}),
  };
}

}  // namespace iris
