#pragma once

#include <string>
#include <vector>

#include <sluice/core/catalog.hpp>
#include <sluice/core/export.hpp>
#include <sluice/core/pipeline.hpp>

namespace sluice {

/// The nodes to resume a failed run from (for `--from-nodes`), sorted by name.
///
/// Starting from the nodes that did not finish (or finished but a persisted output of theirs
/// does not exist, as after a failed background write), walks back through their inputs: an input
/// that is a parameter, or a persisted (non-ephemeral) dataset that exists, is a resume point; any
/// other input's producer must run again, and the walk continues from it. The result is the
/// set of nodes to re-run that have no producer in that set, less those downstream of another
/// of them; `from_nodes` of it covers every unfinished node. The `unreadable` datasets (a load
/// failed: a corrupt file) are no resume point even if they exist, so their producers re-run.
SLUICE_API std::vector<std::string> find_resume_nodes(
    const Pipeline& pipeline, const Catalog& catalog, const std::vector<bool>& finished,
    const std::vector<std::string>& unreadable = {});

/// The nodes `sluice run --only-missing-outputs` runs (Kedro's `--only-missing-outputs`): a node
/// with no outputs; a node with a persisted output that does not exist; and a node producing
/// what a running node reads, when that is in memory only (or not in the catalog) or does not
/// exist. Every other node is skipped: its persisted outputs are there. May be empty.
SLUICE_API Pipeline with_missing_outputs(const Pipeline& pipeline, const Catalog& catalog);

}  // namespace sluice
