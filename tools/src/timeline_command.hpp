#pragma once

#include <filesystem>

namespace sluice::cli {

/// `sluice timeline TRACE [--plot OUT.svg|png]`: summarises a trace written by the timeline
/// hook (busy time per track and category) and draws it with gnuplot, a row per thread.
int run_timeline(const std::filesystem::path& trace, const std::filesystem::path& plot);

}  // namespace sluice::cli
