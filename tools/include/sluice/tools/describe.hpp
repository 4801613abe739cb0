#pragma once

#include <map>
#include <string>
#include <string_view>

#include <sluice/core/catalog.hpp>
#include <sluice/core/export.hpp>
#include <sluice/core/pipeline.hpp>

namespace sluice {

/// `sluice catalog list`: the pipeline's datasets in three groups: in the catalog (with their
/// type), defaulted to MemoryDataset (produced by a node, not in the catalog), and missing
/// (free inputs the catalog lacks: the run would fail). `origin` (optional): the dataset
/// pattern each entry made by a pattern came from, shown after it.
SLUICE_API std::string describe_catalog(const std::string& pipeline_name, const Pipeline& pipeline,
                                        const Catalog& catalog,
                                        const std::map<std::string, std::string>* origin = nullptr);

enum class GraphFormat { dot, mermaid };
/// `sluice viz`: nodes as boxes, datasets as ellipses (parameters dashed), edges as data flows.
SLUICE_API std::string render_graph(const Pipeline& pipeline, GraphFormat format);

}  // namespace sluice
