#pragma once

// What every sluice fuzz target accepts: sluice::Error (ConfigError, DatasetError...) is how
// sluice rejects bad input, so it ends an input normally. Any other exception escapes
// LLVMFuzzerTestOneInput and terminates the process, which libFuzzer reports as a crash, like a
// sanitizer report or a signal.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include <sluice/core/error.hpp>
#include <sluice/core/registry.hpp>

namespace sluice::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// The built-in codecs and dataset types, made once.
inline const Registry& builtin_registry() {
  static const auto registry = [] {
    auto built = std::make_unique<Registry>();
    register_builtins(*built);
    return built;
  }();
  return *registry;
}

/// Runs `body`, accepting the sluice errors it throws.
template <class Body>
void allow_sluice_errors(Body&& body) {
  try {
    body();
  } catch (const Error&) {
  }
}

}  // namespace sluice::fuzz
