#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/export.hpp>
#include <sluice/core/param.hpp>

namespace sluice {

/// A hook as hooks.yml lists it: `{name, options, priority}`. HookManager::add_from_specs
/// builds and adds it.
struct HookSpec {
  std::string name;
  /// The `options` map (null when none); its marks give file and line for errors.
  Param options;
  /// Hooks run in ascending priority; equal priorities in the order they were added.
  int priority = 0;
  /// Where the entry is written; unknown for a hook named on the command line.
  SourceMark mark;
};

/// Reads the value of a `hooks:` key: a list of `{name, options, priority}` maps. `what` names
/// an entry in errors ("hook entry"); every error starts with the file:line:column of the
/// offending value.
SLUICE_API std::vector<HookSpec> parse_hook_specs(const Param& list, std::string_view what);

}  // namespace sluice
