#include "postmortem_command.hpp"

#include <iostream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/datasets/binary_dataset.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/node.hpp>
#include <sluice/core/util/text.hpp>
#include <sluice/core/util/units.hpp>
#include <sluice/hooks/postmortem.hpp>
#include <sluice/tools/session.hpp>

#include "command_options.hpp"
#include "project_flags.hpp"

namespace sluice::cli {
namespace {

// The failing node's inputs, as the bundle in `folder` saved them.
std::vector<Value> saved_inputs(const Bundle& bundle, const std::filesystem::path& folder,
                                const Node& node, const Session& session) {
  std::vector<Value> inputs;
  for (const auto& name : node.inputs()) {
    const auto saved = std::find_if(bundle.inputs.begin(), bundle.inputs.end(),
                                    [&](const SavedInput& input) { return input.dataset == name; });
    if (saved == bundle.inputs.end() || saved->file.empty()) {
      throw ConfigError(fmt::format(
          "input '{}' of node '{}' is not in the bundle ({}); replay needs every input", name,
          node.name(), saved == bundle.inputs.end() ? "not listed" : saved->reason));
    }
    inputs.push_back(BinaryDataset(folder / saved->file, session.registry().codecs).load());
  }
  return inputs;
}

// Whether the dotted key names a value of the tree (a typo in a replay's --params is an error,
// not a new parameter nobody reads).
bool has_dotted(const Param& tree, std::string_view key) {
  const Param* node = &tree;
  for (const auto& part : split(key, '.')) {
    node = node->is_map() ? node->find(part) : nullptr;
    if (node == nullptr) {
      return false;
    }
  }
  return true;
}

// `--params` over the node's parameter inputs (`parameters`, `params:a.b`), as --params changes
// parameters for a run; a key no parameter input of the node holds is an error.
void override_parameters(const Node& node, std::vector<Value>& inputs, const Param& overrides) {
  std::vector<std::string> read;
  for (const auto& [key, value] : overrides.as_map()) {
    bool used = false;
    for (std::size_t i = 0; i < node.inputs().size(); ++i) {
      const std::string& name = node.inputs()[i];
      if (!Catalog::is_parameter(name) || !inputs[i].holds<Param>()) {
        continue;
      }
      Param tree = inputs[i].get<Param>();
      const std::string prefix = name == "parameters" ? "" : name.substr(7);  // after params:
      if (prefix == key) {
        tree = value;
      } else if ((prefix.empty() && has_dotted(tree, key)) || key.starts_with(prefix + ".")) {
        set_dotted(tree, prefix.empty() ? key : key.substr(prefix.size() + 1), value);
      } else {
        continue;
      }
      inputs[i] = Value::of(std::move(tree));
      used = true;
    }
    if (!used) {
      for (const auto& name : node.inputs()) {
        if (Catalog::is_parameter(name)) {
          read.push_back(name);
        }
      }
      throw ConfigError(fmt::format(
          "--params {}: node '{}' reads no such parameter; its parameter inputs: {}", key,
          node.name(),
          read.empty() ? std::string("none") : fmt::format("{}", fmt::join(read, ", "))));
    }
  }
}

}  // namespace

CLI::App* add_inspect_command(CLI::App& app, InspectFlags& flags) {
  CLI::App* inspect = app.add_subcommand("inspect", "Summarise a post-mortem bundle");
  inspect->add_option("bundle", flags.bundle, "A bundle folder: postmortem/<run-id>")->required();
  return inspect;
}

CLI::App* add_replay_command(CLI::App& app, ReplayFlags& flags) {
  CLI::App* replay = app.add_subcommand(
      "replay", "Run the failing node of a post-mortem bundle again, on its saved inputs");
  replay->add_option("bundle", flags.bundle, "A bundle folder: postmortem/<run-id>")->required();
  comma_list(*replay, "--hooks", "Add these hooks", flags.hooks);
  replay->add_option("--params", flags.params,
                     "Change the node's parameters: key=value,other.key=value (to check a fix)");
  return replay;
}

int run_inspect(const InspectFlags& flags) {
  std::cout << describe_bundle(read_bundle(flags.bundle));
  return 0;
}

int run_replay(const ReplayFlags& flags) {
  const std::filesystem::path folder = flags.bundle;
  const Bundle bundle = read_bundle(folder);
  if (bundle.failing_node.empty()) {
    throw ConfigError(fmt::format("run {} failed {}, not in a node: there is no node to replay; {}",
                                  bundle.run_id, bundle.phase,
                                  bundle.resume_command.empty()
                                      ? "run the pipeline again"
                                      : "resume with: " + bundle.resume_command));
  }
  ProjectFlags project;
  project.project = bundle.project;
  project.env = bundle.env.empty() ? "local" : bundle.env;
  SessionOptions options = project.session();
  options.extra_hooks = flags.hooks;
  Session session(std::move(options));
  const Pipeline pipeline = session.pipeline(bundle.pipeline);
  const auto& nodes = pipeline.nodes();
  const auto node = std::find_if(nodes.begin(), nodes.end(), [&](const Node& candidate) {
    return candidate.name() == bundle.failing_node;
  });
  if (node == nodes.end()) {
    throw ConfigError(fmt::format("pipeline '{}' of project '{}' has no node '{}' any more",
                                  bundle.pipeline, session.project().name, bundle.failing_node));
  }
  std::vector<Value> inputs = saved_inputs(bundle, folder, *node, session);
  if (!flags.params.empty()) {
    override_parameters(*node, inputs, parse_runtime_params(flags.params));
  }
  std::cerr << fmt::format(
      "Replaying node '{}' of run {} on the inputs saved in '{}'{}...\n", node->name(),
      bundle.run_id, folder.string(),
      flags.params.empty() ? "" : fmt::format(", with --params {}", flags.params));
  const auto& hooks = *session.hooks();
  const Catalog no_datasets;  // the inputs come from the bundle: hooks see an empty catalog
  const CatalogView catalog(no_datasets);
  hooks.before_node_run(*node, catalog, inputs);
  std::vector<Value> outputs;
  try {
    outputs = node->run(inputs);  // in this process: a debugger stops in the node's code
  } catch (const std::exception& error) {
    // Reported here, while the project library that threw it is still loaded.
    hooks.on_node_error(*node, catalog, error, NodePhase::run);
    std::cerr << fmt::format("Error: node '{}' failed again while running: {}\n", node->name(),
                             error.what());
    return 1;
  }
  hooks.after_node_run(*node, catalog, inputs, outputs);
  std::cout << fmt::format("Node '{}' ran without error on the saved inputs this time.\n",
                           node->name());
  for (std::size_t i = 0; i < outputs.size() && i < node->outputs().size(); ++i) {
    std::cout << fmt::format("  {}: {} ({})\n", node->outputs()[i], outputs[i].type_name(),
                             format_size(outputs[i].byte_size()));
  }
  return 0;
}

}  // namespace sluice::cli
