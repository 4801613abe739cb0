#pragma once

#include <sluice/core/pipeline.hpp>

namespace spaceflights {

/// companies, shuttles, reviews -> preprocessed_companies, preprocessed_shuttles, review_scores
/// -> model_input_table.
sluice::Pipeline create_data_processing();

/// model_input_table, params:model_options -> X_train, X_test, y_train, y_test -> regressor ->
/// metrics; before namespacing.
sluice::Pipeline create_model_pipeline();

/// The model pipeline twice, in the namespaces active_modelling and candidate_modelling, sharing
/// model_input_table (Kedro's spaceflights does the same).
sluice::Pipeline create_data_science();

/// model_input_table, capacity_by_engines (a SQL query) -> capacity_report.
sluice::Pipeline create_reporting();

}  // namespace spaceflights
