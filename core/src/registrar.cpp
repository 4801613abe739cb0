#include <algorithm>

#include <fmt/format.h>

#include <sluice/core/error.hpp>
#include <sluice/core/plugin.hpp>

namespace sluice {
namespace {

// A callable that keeps its plugin loaded. The owner is declared first, so it is destroyed
// after the callable (whose destructor may be plugin code).
template <class Function>
struct Owned {
  std::shared_ptr<const void> owner;
  Function function;

  template <class... Args>
  auto operator()(Args&&... args) const {
    return function(std::forward<Args>(args)...);
  }
};

template <class Function>
Function own(Function function, const std::shared_ptr<const void>& owner) {
  if (!owner) {
    return function;
  }
  return Function(Owned<Function>{owner, std::move(function)});
}

// A factory whose products keep the plugin loaded, as the factory itself does.
template <class Factory>
Factory owning_factory(Factory factory, const std::shared_ptr<const void>& owner) {
  return own(Factory([factory = std::move(factory), owner](const auto& context) {
               return tie_lifetime(factory(context), owner);
             }),
             owner);
}

}  // namespace

Registrar::Registrar(Registry& registry, std::shared_ptr<const void> owner, std::string plugin)
    : registry_(registry), owner_(std::move(owner)), plugin_(std::move(plugin)) {}

void Registrar::add_codec(Codec codec) {
  codec.encode = own(std::move(codec.encode), owner_);
  codec.decode = own(std::move(codec.decode), owner_);
  registry_.codecs.add(std::move(codec));
}

void Registrar::add_dataset_type(std::string name, DatasetFactory factory) {
  registry_.dataset_types.add(std::move(name), owning_factory(std::move(factory), owner_));
}

void Registrar::add_hook(std::string name, HookFactory factory) {
  registry_.hooks.add(std::move(name), owning_factory(std::move(factory), owner_));
}

void Registrar::add_runner(std::string name, RunnerFactory factory) {
  registry_.runners.add(std::move(name), owning_factory(std::move(factory), owner_));
}

void Registrar::add_storage(std::string scheme, StorageFactory factory) {
  if (scheme == "file" || scheme == "memory") {
    throw ConfigError(fmt::format(
        "{}: cannot register storage scheme '{}': it is built in; register another scheme", plugin_,
        scheme));
  }
  registry_.storages.add(std::move(scheme), owning_factory(std::move(factory), owner_));
}

void Registrar::add_resolver(std::string name, ConfigResolver resolver) {
  const auto& builtin = builtin_resolvers();
  if (std::find(builtin.begin(), builtin.end(), name) != builtin.end()) {
    throw ConfigError(
        fmt::format("{}: cannot register the resolver '{}': it is built in; register another name",
                    plugin_, name));
  }
  registry_.resolvers.add(std::move(name), own(std::move(resolver), owner_));
}

void Registrar::add_pipeline(std::string name, PipelineFactory factory) {
  registry_.pipelines.add(
      std::move(name),
      own(PipelineFactory([factory = std::move(factory), owner = owner_]() {
            Pipeline pipeline = factory();
            if (!owner) {
              return pipeline;
            }
            // Node functions are plugin code: each keeps the library loaded.
            std::vector<Node> nodes;
            nodes.reserve(pipeline.size());
            for (const Node& node : pipeline.nodes()) {
              nodes.push_back(node.with_function(own(
                  Node::Body([node](const std::vector<Value>& inputs,
                                    const std::vector<std::string>&,
                                    std::vector<Value>& outputs) { node.run(inputs, outputs); }),
                  owner)));
            }
            return Pipeline(std::move(nodes));
          }),
          owner_));
}

}  // namespace sluice
