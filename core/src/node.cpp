#include <algorithm>
#include <set>

#include <fmt/format.h>

#include <sluice/core/node.hpp>

namespace sluice {

namespace {

// A Function as a Body: the vector it returns becomes the outputs.
Node::Body as_body(Node::Function function) {
  return [function = std::move(function)](
             const std::vector<Value>& inputs, const std::vector<std::string>& names,
             std::vector<Value>& outputs) { outputs = function(inputs, names); };
}

// The options a node keeps: none when they are empty (most nodes).
std::unique_ptr<const NodeOptions> kept_options(NodeOptions options) {
  if (options.tags.empty() && options.namespace_name.empty()) {
    return nullptr;
  }
  return std::make_unique<const NodeOptions>(std::move(options));
}

}  // namespace

Node::Node(std::string name, std::vector<std::string> inputs, std::vector<std::string> outputs,
           Function function, NodeOptions options)
    : Node(std::move(name), std::move(inputs), std::move(outputs), as_body(std::move(function)),
           std::move(options)) {}

Node::Node(std::string name, std::vector<std::string> inputs, std::vector<std::string> outputs,
           Body body, NodeOptions options) {
  if (name.empty()) {
    throw PipelineError(
        fmt::format("a node with inputs [{}] and outputs [{}] has no name; every "
                    "node needs a unique name",
                    fmt::join(inputs, ", "), fmt::join(outputs, ", ")));
  }
  if (!options.namespace_name.empty()) {
    name = options.namespace_name + "." + name;
  }
  if (inputs.empty() && outputs.empty()) {
    // Kedro refuses such a node too: nothing connects it to the pipeline or the catalog.
    throw PipelineError(fmt::format(
        "node '{}' has no inputs and no outputs; give it at least one, so that it reads or "
        "produces data the pipeline can order it by",
        name));
  }
  auto check_names = [&name](const std::vector<std::string>& names, const char* what) {
    std::set<std::string_view> seen;
    for (const auto& dataset : names) {
      if (dataset.empty()) {
        throw PipelineError(fmt::format("node '{}': an {} has an empty name", name, what));
      }
      if (std::string_view(what) == "output" && !seen.insert(dataset).second) {
        throw PipelineError(fmt::format("node '{}': output '{}' is declared twice", name, dataset));
      }
    }
  };
  check_names(inputs, "input");
  check_names(outputs, "output");
  for (const auto& output : outputs) {
    if (std::find(inputs.begin(), inputs.end(), output) != inputs.end()) {
      throw PipelineError(
          fmt::format("node '{}': '{}' is both an input and an output; a node cannot feed itself",
                      name, output));
    }
  }
  impl_ = new Impl{std::move(name), std::move(inputs), std::move(outputs), std::move(body),
                   kept_options(std::move(options))};
}

Node Node::with_function(Function function) const {
  return with_function(as_body(std::move(function)));
}

Node Node::with_function(Body body) const {
  return Node(
      new Impl{impl_->name, impl_->inputs, impl_->outputs, std::move(body),
               impl_->options ? std::make_unique<const NodeOptions>(*impl_->options) : nullptr});
}

Node Node::renamed(std::string name, std::vector<std::string> inputs,
                   std::vector<std::string> outputs, NodeOptions options) const {
  std::string space = std::move(options.namespace_name);
  options.namespace_name.clear();
  // Checked as any node, without the namespace prefix; the namespace is set after.
  Node node(std::move(name), std::move(inputs), std::move(outputs), impl_->body,
            std::move(options));
  if (!space.empty()) {
    NodeOptions kept = node.impl_->options ? *node.impl_->options : NodeOptions{};
    kept.namespace_name = std::move(space);
    // The node was made just now and is not shared: its block may still change.
    const_cast<Impl*>(node.impl_)->options = kept_options(std::move(kept));
  }
  return node;
}

void Node::destroy(const Impl* impl) noexcept {
  delete impl;
}

const std::string& Node::namespace_name() const {
  static const std::string kNone;
  return impl_->options ? impl_->options->namespace_name : kNone;
}

const std::vector<std::string>& Node::tags() const {
  static const std::vector<std::string> kNone;
  return impl_->options ? impl_->options->tags : kNone;
}

bool Node::has_tag(std::string_view tag) const {
  const auto& tags = this->tags();
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

std::vector<Value> Node::run(const std::vector<Value>& inputs) const {
  std::vector<Value> outputs;
  outputs.reserve(impl_->outputs.size());
  run(inputs, outputs);
  return outputs;
}

void Node::run(const std::vector<Value>& inputs, std::vector<Value>& outputs) const {
  if (inputs.size() != impl_->inputs.size()) {
    throw Error(fmt::format("node '{}' takes {} inputs ({}) but was given {}", impl_->name,
                            impl_->inputs.size(), fmt::join(impl_->inputs, ", "), inputs.size()));
  }
  outputs.clear();
  impl_->body(inputs, impl_->inputs, outputs);
  if (outputs.size() != impl_->outputs.size()) {
    throw Error(fmt::format("node '{}' returned {} values but declares {} outputs ({})",
                            impl_->name, outputs.size(), impl_->outputs.size(),
                            fmt::join(impl_->outputs, ", ")));
  }
}

namespace detail {

void throw_arity_mismatch(const std::string& node, const char* what, std::size_t function_count,
                          const std::vector<std::string>& declared) {
  throw PipelineError(fmt::format(
      "node '{}': the function has {} {}{} but {} {}{} declared ([{}]); make them match", node,
      function_count, what, function_count == 1 ? "" : "s", declared.size(), what,
      declared.size() == 1 ? " is" : "s are", fmt::join(declared, ", ")));
}

}  // namespace detail
}  // namespace sluice
