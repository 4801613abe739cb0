// Fuzzes the config loader: YAML text → Param tree (sluice::parse_yaml), its `${...}`
// interpolations resolved (the tree is its own globals and --params, read as credentials so that
// oc.env is allowed too), then a catalog built from it as catalog.yml (with the same tree as
// credentials.yml) and as parameters.yml.

#include <sluice/core/catalog.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/interpolation.hpp>

#include "fuzz_input.hpp"

namespace {

// As ConfigLoader reads a file: keys starting with '_' only hold YAML anchors.
sluice::Param without_anchor_keys(const sluice::Param& config) {
  if (!config.is_map()) {
    return config;
  }
  sluice::Param::Map kept;
  for (const auto& [key, value] : config.as_map()) {
    if (!key.starts_with("_")) {
      kept.emplace_back(key, value);
    }
  }
  sluice::Param result(std::move(kept));
  result.set_mark(config.mark());
  return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  fuzz::allow_sluice_errors([&] {
    const Param parsed = parse_yaml(fuzz::as_text(data, size), "conf/base/catalog.yml");
    (void)parsed.to_string();
    Param resolved = parsed;
    if (parsed.is_map()) {
      InterpolationSources sources;
      sources.kind = "credentials";
      sources.description = "the catalog";
      sources.globals = &parsed;
      sources.runtime_params = &parsed;
      fuzz::allow_sluice_errors([&] { resolve_interpolations(resolved, sources); });
    }
    const Param config = without_anchor_keys(resolved);
    CatalogOptions options;
    // Nothing is read or written: building a catalog only constructs the datasets.
    options.root = "/nonexistent/sluice-fuzz";
    options.save_version = "2024-01-01T00.00.00.000Z";
    fuzz::allow_sluice_errors(
        [&] { make_catalog(config, config, Param(), fuzz::builtin_registry(), options); });
    make_catalog(Param(), Param(), config, fuzz::builtin_registry(), options);
  });
  return 0;
}
