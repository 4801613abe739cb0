// Fuzzes the reader of `sluice timeline` (sluice::parse_trace): any text gives a trace or a
// sluice error, and the summary of a trace it read can be printed.

#include <string>

#include <sluice/hooks/timeline_trace.hpp>

#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sluice::fuzz::allow_sluice_errors([&] {
    const sluice::Trace trace =
        sluice::parse_trace(sluice::fuzz::as_text(data, size), "timeline.json");
    sluice::trace_summary(trace, "timeline.json");
  });
  return 0;
}
