#pragma once

#include <string>

#include <sluice/bench/observed.hpp>
#include <sluice/hooks/timeline_trace.hpp>

namespace sluice::cli {

/// What the run of a timeline trace measured (`sluice bench --from-trace`): each node's compute
/// (its span: the runner emits before_node_run after the loads and after_node_run before the
/// saves), each dataset's bytes, and the operations on storage. A load or save the catalog served
/// from memory is left out, by what otherData says of each dataset: a dataset "(via tee)" is
/// written by the tee's writer ("write X" spans) and its saved value handed over, its free input
/// read once; a "(cached)" one is read at most once and never after its save. The run's
/// strategy (its runner; the parallel one's workers: the threads that ran nodes; async loads
/// when a node's loads overlap; tee, cache) is the calibration's reference. ConfigError naming
/// `source` for a trace without node spans or of a run that failed.
bench::ObservedRun observe_trace(const Trace& trace, const std::string& source);

}  // namespace sluice::cli
