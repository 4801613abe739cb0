#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/export.hpp>
#include <sluice/core/param.hpp>
#include <sluice/core/util/factory_registry.hpp>

namespace sluice {

/// One `${name:arg, ...}` in a configuration file, as a resolver receives it.
struct ResolverCall {
  /// The resolver's name ("globals", or a plugin's own).
  std::string name;
  /// The arguments, typed as plain YAML scalars (`3` is an integer, `'3'` a string); an
  /// argument that is itself an interpolation is resolved first.
  std::vector<Param> args;
  /// Where the interpolation is written.
  SourceMark mark;
  /// The kind of configuration being read: "catalog", "parameters", "credentials"...
  std::string kind;
};

/// A resolver added by a plugin (Registrar::add_resolver): returns the value the interpolation
/// stands for. A ConfigError it throws is reported with the interpolation's file:line:column.
using ConfigResolver = std::function<Param(const ResolverCall&)>;

/// What `${...}` may refer to while one kind of configuration is resolved.
struct InterpolationSources {
  /// The kind being resolved ("catalog"); `${oc.env:...}` is allowed in "credentials" only.
  std::string kind;
  /// Names the configuration in errors, e.g. "the catalog (conf/base, conf/local)".
  std::string description;
  /// The resolved globals (`${globals:key}`), or null while globals.yml itself is resolved.
  const Param* globals = nullptr;
  /// Names globals in errors, e.g. "globals.yml (conf/base, conf/local)".
  std::string globals_description = "globals.yml";
  /// `--params` (`${runtime_params:key}`): a map of dotted keys; null: none given.
  const Param* runtime_params = nullptr;
  /// Resolvers added by plugins; null: only the built-in ones.
  const FactoryRegistry<ConfigResolver>* resolvers = nullptr;
  /// Top-level keys that cannot be referred to, with why (a `_` key defined with different
  /// values in two files of an environment).
  std::map<std::string, std::string, std::less<>> ambiguous;
};

/// The resolvers every configuration has; a plugin cannot add one of these names.
SLUICE_API const std::vector<std::string>& builtin_resolvers();

/// Replaces every `${...}` in the string values of `config` (keys are left alone), as Kedro's
/// OmegaConfigLoader does:
///
/// - `${a.b}` the value at key path `a.b` of the same configuration (`${a.list[0]}` or
///   `${a.list.0}` index a list, `${.b}` is a sibling, `${..b}` a sibling of the parent); a key
///   with dots in it (`model.x_train`) is matched whole, longest first;
/// - `${globals:key}`, `${globals:key, default}` a key of globals.yml;
/// - `${runtime_params:key}`, `${runtime_params:key, default}` a `--params` value;
/// - `${oc.env:VAR}`, `${oc.env:VAR, default}` an environment variable, in credentials only;
/// - `${name:args}` a plugin's resolver.
///
/// A value that is one interpolation takes the referred value with its type (a map, a list, an
/// integer); one inside other text is turned into text, and must be a scalar. `\${` is a
/// literal `${`. ConfigError with the value's file:line:column on an unknown key or resolver, a
/// cycle, a map or list inside text, and unterminated or empty interpolations.
SLUICE_API void resolve_interpolations(Param& config, const InterpolationSources& sources);

}  // namespace sluice
