#include <map>
#include <set>

#include <fmt/format.h>

#include <sluice/tools/describe.hpp>

namespace sluice {

std::string describe_catalog(const std::string& pipeline_name, const Pipeline& pipeline,
                             const Catalog& catalog,
                             const std::map<std::string, std::string>* origin) {
  std::string in_catalog, defaulted, missing;
  for (const auto& dataset : pipeline.datasets()) {
    if (const auto found = catalog.find(dataset)) {
      // describe(): the real type and file, with any wrapper ("... (via tee)", "(cached)").
      const auto pattern = origin != nullptr ? origin->find(dataset) : decltype(origin->end()){};
      in_catalog += fmt::format("    {}: {}{}\n", dataset, found->describe(),
                                origin != nullptr && pattern != origin->end()
                                    ? fmt::format(" (from pattern '{}')", pattern->second)
                                    : std::string());
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

// The namespace a dataset is drawn in: the longest namespace of the pipeline its name starts
// with (`model_a.x_train` in `model_a`); parameters stay outside.
std::string dataset_namespace(const std::string& name, const std::set<std::string>& spaces) {
  if (Catalog::is_parameter(name)) {
    return {};
  }
  std::string found;
  for (std::size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
    if (spaces.contains(name.substr(0, dot))) {
      found = name.substr(0, dot);
    }
  }
  return found;
}

// Nodes and datasets grouped by namespace, each namespace a cluster (DOT) or subgraph
// (Mermaid) inside the one around it; then the edges.
std::string render(const Pipeline& pipeline, GraphFormat format) {
  const bool dot = format == GraphFormat::dot;
  const std::set<std::string> spaces = pipeline.namespaces();
  std::map<std::string, std::vector<std::string>> members;  // namespace ("": none) → lines
  for (Pipeline::DatasetId id = 0; id < pipeline.dataset_count(); ++id) {
    const std::string& name = pipeline.dataset_name(id);
    members[dataset_namespace(name, spaces)].push_back(
        dot ? fmt::format("d{} [label=\"{}\", shape=ellipse{}];", id, name,
                          Catalog::is_parameter(name) ? ", style=dashed" : "")
            : fmt::format("d{}([\"{}\"])", id, name));
  }
  std::string edges;
  for (std::size_t i = 0; i < pipeline.size(); ++i) {
    const Node& node = pipeline.nodes()[i];
    members[node.namespace_name()].push_back(
        dot ? fmt::format("n{} [label=\"{}\", shape=box, style=rounded];", i, node.name())
            : fmt::format("n{}[\"{}\"]", i, node.name()));
    for (auto input : pipeline.input_ids(i)) {
      edges += fmt::format("  d{} {} n{}{}\n", input, dot ? "->" : "-->", i, dot ? ";" : "");
    }
    for (auto output : pipeline.output_ids(i)) {
      edges += fmt::format("  n{} {} d{}{}\n", i, dot ? "->" : "-->", output, dot ? ";" : "");
    }
  }
  std::string out = dot ? "digraph pipeline {\n  rankdir=LR;\n" : "flowchart LR\n";
  int clusters = 0;
  auto emit = [&](auto& self, const std::string& space, int depth) -> void {
    const std::string pad(static_cast<std::size_t>(depth) * 2 + 2, ' ');
    for (const auto& line : members[space]) {
      out += pad + line + "\n";
    }
    for (const auto& inner : spaces) {
      const bool child = space.empty() ? inner.find('.') == std::string::npos
                                       : inner.starts_with(space + ".") &&
                                             inner.find('.', space.size() + 1) == std::string::npos;
      if (!child) {
        continue;
      }
      const int id = clusters++;
      out += dot ? fmt::format("{}subgraph cluster_{} {{\n{}  label=\"{}\";\n", pad, id, pad, inner)
                 : fmt::format("{}subgraph s{}[\"{}\"]\n", pad, id, inner);
      self(self, inner, depth + 1);
      out += dot ? pad + "}\n" : pad + "end\n";
    }
  };
  emit(emit, "", 0);
  out += edges;
  return dot ? out + "}\n" : out;
}

}  // namespace

std::string render_graph(const Pipeline& pipeline, GraphFormat format) {
  return render(pipeline, format);
}

}  // namespace sluice
