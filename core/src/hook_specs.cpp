#include <limits>
#include <memory>
#include <utility>

#include <fmt/format.h>

#include <sluice/core/error.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/hook_specs.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/registry.hpp>

namespace sluice {

std::vector<HookSpec> parse_hook_specs(const Param& list, std::string_view what) {
  if (!list.is_list()) {
    const std::string mark = list.mark().str();
    throw ConfigError(fmt::format("{}{}'hooks' must be a list of {{name, options, priority}}", mark,
                                  mark.empty() ? "" : ": "));
  }
  std::vector<HookSpec> specs;
  for (const Param& entry : list.as_list()) {
    OptionReader reader(entry, std::string(what));
    HookSpec spec;
    spec.name = reader.required_string("name");
    spec.priority = static_cast<int>(reader.integer("priority", 0, std::numeric_limits<int>::min(),
                                                    std::numeric_limits<int>::max()));
    if (const Param* options = reader.optional_map("options")) {
      spec.options = *options;
    }
    reader.finish();
    spec.mark = entry.mark();
    specs.push_back(std::move(spec));
  }
  return specs;
}

void HookManager::add_from_specs(const Registry& registry, const std::vector<HookSpec>& specs,
                                 const HookContext& context) {
  // Every hook is built before any is added: a spec that fails adds none of them.
  std::vector<std::shared_ptr<Hook>> built;
  for (const HookSpec& spec : specs) {
    const HookFactory& factory = registry.hooks.get(spec.name, spec.mark.str());
    HookContext hook_context = context;
    hook_context.name = spec.name;
    hook_context.options = spec.options;
    if (hook_context.registry == nullptr) {
      hook_context.registry = &registry;
    }
    built.push_back(factory(hook_context));
  }
  for (std::size_t i = 0; i < specs.size(); ++i) {
    add(specs[i].name, std::move(built[i]), specs[i].priority);
  }
}

}  // namespace sluice
