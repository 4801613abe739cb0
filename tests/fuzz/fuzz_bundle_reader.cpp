// Fuzzes the reader of `sluice inspect` and `sluice replay` (sluice::parse_bundle, a
// post-mortem bundle's state.json). A bundle it reads must also survive a round trip: what
// bundle_json writes reads back into a bundle that is written the same, so a difference, or an
// error reading it, is a crash too.

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include <sluice/hooks/postmortem.hpp>

#include "fuzz_input.hpp"

namespace {

[[noreturn]] void round_trip_failed(const std::string& written, const char* why) {
  std::fprintf(stderr, "bundle round trip failed: %s\n--- written by bundle_json ---\n%s---\n", why,
               written.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::optional<sluice::Bundle> bundle;
  sluice::fuzz::allow_sluice_errors(
      [&] { bundle = sluice::parse_bundle(sluice::fuzz::as_text(data, size), "bundle"); });
  if (!bundle) {
    return 0;
  }
  sluice::describe_bundle(*bundle);
  const std::string written = sluice::bundle_json(*bundle);
  std::string again;
  try {
    again = sluice::bundle_json(sluice::parse_bundle(written, "bundle"));
  } catch (const sluice::Error& error) {
    round_trip_failed(written, error.what());
  }
  if (again != written) {
    round_trip_failed(written, "the bundle read back is written differently");
  }
  return 0;
}
