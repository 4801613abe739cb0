#pragma once

// The Kedro spaceflights tutorial, ported: clean the companies, shuttles and reviews, join them
// into a model input table (kept in a SQL database), then train and evaluate a linear price
// model, twice (two namespaced instances with their own options), and report the fleet from a
// SQL query.

#include <tuple>
#include <vector>

#include <sluice/core/param.hpp>
#include <sluice/core/table.hpp>
#include <sluice/core/util/json.hpp>

namespace spaceflights {

/// companies.csv: `company_rating` "90%" becomes 0.9 (NaN when empty), `iata_approved` t/f
/// becomes 1/0; keeps id, company_rating, iata_approved and total_fleet_count.
sluice::Table preprocess_companies(const sluice::Table& companies);

/// shuttles.csv: `d_check_complete` and `moon_clearance_complete` t/f become 1/0, `price`
/// "$1,325.0" becomes 1325.0; keeps id, engines, passenger_capacity, crew, the two checks, price
/// and company_id.
sluice::Table preprocess_shuttles(const sluice::Table& shuttles);

/// reviews.json (a list of objects): shuttle_id and review_scores_rating as a table.
sluice::Table parse_reviews(const sluice::Json& reviews);

/// Shuttles joined with their company (company_id = id) and their review (shuttle_id = id);
/// rows missing a value are dropped.
sluice::Table create_model_input_table(const sluice::Table& shuttles,
                                       const sluice::Table& companies,
                                       const sluice::Table& reviews);

/// Shuffles the rows with `options.random_state` and splits off `options.test_size` of them for
/// testing: X_train, X_test (the `options.features` columns, as doubles), y_train, y_test
/// (the price).
std::tuple<sluice::Table, sluice::Table, std::vector<double>, std::vector<double>> split_data(
    const sluice::Table& data, const sluice::Param& options);

/// Least-squares linear regression with an intercept: the coefficients, intercept first, one
/// per feature column after. A feature that does not vary gets 0.
std::vector<double> train_model(const sluice::Table& X_train, const std::vector<double>& y_train);

/// R², mean absolute error and max error of the model on the test rows, as a JSON object; logs
/// "Model has a coefficient R^2 of 0.987 on test data."
sluice::Json evaluate_model(const std::vector<double>& regressor, const sluice::Table& X_test,
                            const std::vector<double>& y_test);

/// The fleet by engine count (from the SQL query) as a JSON report, with the table's row count.
sluice::Json report_capacity(const sluice::Table& model_input_table,
                             const sluice::Table& capacity_by_engines);

}  // namespace spaceflights
