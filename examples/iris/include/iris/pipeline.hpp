#pragma once

#include <sluice/core/pipeline.hpp>

namespace iris {

/// split -> make_predictions -> report_accuracy.
sluice::Pipeline create_pipeline();

}  // namespace iris
