#pragma once

#include <map>
#include <string>
#include <vector>

#include <sluice/core/export.hpp>
#include <sluice/core/pipeline.hpp>

namespace sluice {

/// How pipeline() reuses a pipeline (Kedro's `pipeline(pipe, inputs=..., outputs=...,
/// parameters=..., namespace=...)`).
struct ModularPipelineOptions {
  /// Prefixes node names (`model.fit`), dataset names (`model.x_train`) and parameters
  /// (`params:model.alpha`) with `namespace_name + "."`, except the mapped ones; the nodes'
  /// namespace becomes it (inside an earlier one: `outer.inner`). Empty: nothing is prefixed.
  std::string namespace_name = {};
  /// Free inputs of the pipeline to the names they take: `{"companies", "companies"}` keeps a
  /// shared input out of the namespace.
  std::map<std::string, std::string> inputs = {};
  /// Outputs of the pipeline's nodes to the names they take.
  std::map<std::string, std::string> outputs = {};
  /// Parameters (`alpha` or `params:alpha`) to the ones they take (`beta` or `params:beta`).
  std::map<std::string, std::string> parameters = {};
  /// Added to every node's tags.
  std::vector<std::string> tags = {};
};

/// A copy of `pipe` with its nodes renamed and its datasets remapped as `options` say, so that
/// one pipeline can be used twice (two models, two regions). `parameters` (all of them) is never
/// renamed. PipelineError naming the key on a mapping of something that is not a free input,
/// an output, or a parameter of `pipe` (with close matches).
SLUICE_API Pipeline pipeline(const Pipeline& pipe, const ModularPipelineOptions& options);

}  // namespace sluice
