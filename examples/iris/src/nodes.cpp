#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include <fmt/format.h>
#include <iris/nodes.hpp>
#include <spdlog/spdlog.h>

#include <sluice/core/error.hpp>
#include <sluice/core/log.hpp>

namespace iris {
namespace {

std::vector<double> as_doubles(const sluice::Table& table, std::size_t column) {
  return std::visit(
      [&](const auto& values) -> std::vector<double> {
        using Item = typename std::decay_t<decltype(values)>::value_type;
        if constexpr (std::is_same_v<Item, std::string>) {
          throw sluice::Error(fmt::format("feature column '{}' holds text; 1-NN needs numbers",
                                          table.column_names()[column]));
        } else {
          return std::vector<double>(values.begin(), values.end());
        }
      },
      table.column(column));
}

const std::vector<std::string>& only_string_column(const sluice::Table& table, const char* what) {
  if (table.num_columns() != 1) {
    throw sluice::Error(
        fmt::format("{} must have exactly one column, it has {}", what, table.num_columns()));
  }
  return table.column_as<std::string>(table.column_names().front());
}

}  // namespace

std::tuple<sluice::Table, sluice::Table, sluice::Table, sluice::Table> split_data(
    const sluice::Table& data, const sluice::Param& parameters) {
  const double fraction = parameters.at("train_fraction").as<double>("train_fraction");
  const auto seed = parameters.at("random_state").as<std::uint64_t>("random_state");
  const auto target = parameters.at("target_column").as<std::string>("target_column");
  if (!(fraction > 0 && fraction < 1)) {
    throw sluice::Error(fmt::format("train_fraction must be between 0 and 1, got {}", fraction));
  }

  // Fisher-Yates with mt19937_64, whose sequence the standard fixes (unlike std::shuffle's).
  std::vector<std::size_t> order(data.num_rows());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 random(seed);
  for (std::size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[random() % i]);
  }
  const auto train_rows =
      static_cast<std::size_t>(std::lround(fraction * static_cast<double>(order.size())));
  std::vector<std::size_t> train(order.begin(), order.begin() + static_cast<long>(train_rows));
  std::vector<std::size_t> test(order.begin() + static_cast<long>(train_rows), order.end());
  std::sort(test.begin(), test.end());  // test rows keep the data's order, as pandas' drop does

  const sluice::Table data_train = data.take_rows(train);
  const sluice::Table data_test = data.take_rows(test);
  return {data_train.drop(target), data_test.drop(target), data_train.select({target}),
          data_test.select({target})};
}

sluice::Table make_predictions(const sluice::Table& X_train, const sluice::Table& X_test,
                               const sluice::Table& y_train) {
  if (X_train.column_names() != X_test.column_names()) {
    throw sluice::Error("X_train and X_test must have the same feature columns");
  }
  const auto& labels = only_string_column(y_train, "y_train");
  std::vector<std::vector<double>> train_features, test_features;
  for (std::size_t c = 0; c < X_train.num_columns(); ++c) {
    train_features.push_back(as_doubles(X_train, c));
    test_features.push_back(as_doubles(X_test, c));
  }
  std::vector<std::string> predictions;
  predictions.reserve(X_test.num_rows());
  for (std::size_t t = 0; t < X_test.num_rows(); ++t) {
    std::size_t nearest = 0;
    double best = std::numeric_limits<double>::infinity();
    for (std::size_t r = 0; r < X_train.num_rows(); ++r) {
      double distance = 0;
      for (std::size_t c = 0; c < train_features.size(); ++c) {
        const double delta = train_features[c][r] - test_features[c][t];
        distance += delta * delta;
      }
      if (distance < best) {
        best = distance;
        nearest = r;
      }
    }
    predictions.push_back(labels.at(nearest));
  }
  sluice::Table y_pred;
  y_pred.add_column(y_train.column_names().front(), std::move(predictions));
  return y_pred;
}

double accuracy(const sluice::Table& y_pred, const sluice::Table& y_test) {
  const auto& predicted = only_string_column(y_pred, "y_pred");
  const auto& truth = only_string_column(y_test, "y_test");
  if (predicted.size() != truth.size() || truth.empty()) {
    throw sluice::Error(
        fmt::format("y_pred has {} rows and y_test {}; they must match and be "
                    "non-empty",
                    predicted.size(), truth.size()));
  }
  std::size_t correct = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    correct += predicted[i] == truth[i] ? 1 : 0;
  }
  return static_cast<double>(correct) / static_cast<double>(truth.size());
}

void report_accuracy(const sluice::Table& y_pred, const sluice::Table& y_test) {
  sluice::logger().info("Model has an accuracy of {:.3f} on test data.", accuracy(y_pred, y_test));
}

}  // namespace iris
