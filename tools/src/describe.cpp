#include <fmt/format.h>

#include <sluice/tools/describe.hpp>

namespace sluice {

std::string describe_catalog(const std::string& pipeline_name, const Pipeline& pipeline,
                             const Catalog& catalog) {
  std::string in_catalog, defaulted, missing;
  for (const auto& dataset : pipeline.datasets()) {
    if (const auto found = catalog.find(dataset)) {
      // describe(): the real type and file, with any wrapper ("... (via tee)", "(cached)").
      in_catalog += fmt::format("    {}: {}\n", dataset, found->describe());
    } else if (pipeline.inputs().contains(dataset)) {
      missing += fmt::format("    {}\n", dataset);
    } else {
      defaulted += fmt::format("    {}\n", dataset);
    }
  }
  auto section = [](const char* title, const std::string& body) {
    return fmt::format("  {}:\n{}", title, body.empty() ? "    (none)\n" : body);
  };
  return fmt::format("Datasets of pipeline '{}':\n{}{}{}", pipeline_name,
                     section("in the catalog", in_catalog),
                     section("defaulted to MemoryDataset", defaulted),
                     section("missing (free inputs not in the catalog)", missing));
}

namespace {

// Identifiers safe for both DOT and Mermaid: "n" or "d" plus the index.
std::string render_dot(const Pipeline& pipeline) {
  std::string out = "digraph pipeline {\n  rankdir=LR;\n";
  for (Pipeline::DatasetId id = 0; id < pipeline.dataset_count(); ++id) {
    const std::string& name = pipeline.dataset_name(id);
    out += fmt::format("  d{} [label=\"{}\", shape=ellipse{}];\n", id, name,
                       Catalog::is_parameter(name) ? ", style=dashed" : "");
  }
  for (std::size_t i = 0; i < pipeline.size(); ++i) {
    out += fmt::format("  n{} [label=\"{}\", shape=box, style=rounded];\n", i,
                       pipeline.nodes()[i].name());
    for (auto input : pipeline.input_ids(i)) {
      out += fmt::format("  d{} -> n{};\n", input, i);
    }
    for (auto output : pipeline.output_ids(i)) {
      out += fmt::format("  n{} -> d{};\n", i, output);
    }
  }
  return out + "}\n";
}

std::string render_mermaid(const Pipeline& pipeline) {
  std::string out = "flowchart LR\n";
  for (Pipeline::DatasetId id = 0; id < pipeline.dataset_count(); ++id) {
    out += fmt::format("  d{}([\"{}\"])\n", id, pipeline.dataset_name(id));
  }
  for (std::size_t i = 0; i < pipeline.size(); ++i) {
    out += fmt::format("  n{}[\"{}\"]\n", i, pipeline.nodes()[i].name());
    for (auto input : pipeline.input_ids(i)) {
      out += fmt::format("  d{} --> n{}\n", input, i);
    }
    for (auto output : pipeline.output_ids(i)) {
      out += fmt::format("  n{} --> d{}\n", i, output);
    }
  }
  return out;
}

}  // namespace

std::string render_graph(const Pipeline& pipeline, GraphFormat format) {
  return format == GraphFormat::dot ? render_dot(pipeline) : render_mermaid(pipeline);
}

}  // namespace sluice
