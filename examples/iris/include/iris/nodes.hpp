#pragma once

// The Kedro pandas-iris starter, ported: split the data, predict with 1-nearest-neighbour,
// report the accuracy.

#include <tuple>

#include <sluice/core/param.hpp>
#include <sluice/core/table.hpp>

namespace iris {

/// Shuffles the rows with `parameters.random_state` and returns X_train, X_test, y_train,
/// y_test: `parameters.train_fraction` of the rows for training, the target column
/// (`parameters.target_column`) split off. Deterministic for a given seed on every platform.
std::tuple<sluice::Table, sluice::Table, sluice::Table, sluice::Table> split_data(
    const sluice::Table& data, const sluice::Param& parameters);

/// For each test row, the target of the closest training row (squared Euclidean distance over
/// every feature column; the first of equals wins).
sluice::Table make_predictions(const sluice::Table& X_train, const sluice::Table& X_test,
                               const sluice::Table& y_train);

/// The share of predictions equal to the truth.
double accuracy(const sluice::Table& y_pred, const sluice::Table& y_test);

/// Logs "Model has an accuracy of 0.967 on test data."
void report_accuracy(const sluice::Table& y_pred, const sluice::Table& y_test);

}  // namespace iris
