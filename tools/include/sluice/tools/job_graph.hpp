#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <sluice/core/catalog.hpp>
#include <sluice/core/export.hpp>
#include <sluice/core/pipeline.hpp>

namespace sluice {

/// How `sluice export` cuts a pipeline into jobs.
enum class JobGrouping {
  nodes,  // one job per node
  chains  // one job per chain: a node joins its only upstream node's job when it is that
          // node's only downstream node
};

/// One job of an exported pipeline: the nodes it runs (`sluice run --nodes ...`), in
/// topological order, and the jobs it waits for.
struct SLUICE_API Job {
  std::string name;  // the node's name, or "<first>..<last>" for a chain
  std::vector<std::string> nodes;
  std::vector<std::size_t> depends_on;  // indices of jobs, ascending
};

/// A dataset written by one job and read by another: it must be on storage both can reach.
struct SLUICE_API CrossingDataset {
  std::string dataset;
  std::string producer;                // the node that writes it
  std::vector<std::string> consumers;  // the nodes of other jobs that read it
};

/// The jobs of a pipeline, in topological order (a job depends only on earlier ones).
struct SLUICE_API JobGraph {
  std::vector<Job> jobs;
  std::vector<CrossingDataset> crossing;  // by dataset name

  /// The index of the job running `node`.
  std::size_t job_of(const std::string& node) const;
  /// Dependency levels: 1 + the deepest chain of jobs (0 for no jobs).
  std::size_t levels() const;
};

SLUICE_API JobGraph make_job_graph(const Pipeline& pipeline, JobGrouping grouping);

/// The crossing datasets `catalog` keeps in memory only (not defined, or an ephemeral type such
/// as MemoryDataset): one job cannot hand them to another.
SLUICE_API std::vector<CrossingDataset> memory_only_crossings(const JobGraph& graph,
                                                              const Catalog& catalog);

/// The refusal of `sluice export` when `datasets` (memory_only_crossings) is not empty: lists
/// each dataset with its producing and consuming nodes, and says what to do.
SLUICE_API std::string memory_only_error(const std::vector<CrossingDataset>& datasets);

/// Catalog entries (YAML, for `sluice run --catalog-overlay`) putting `datasets` on the shared
/// store `url`: a folder (an absolute path or file://...), `s3://bucket/prefix` (BinaryDataset
/// files under the prefix) or `redis://host:port/db` (RedisDataset, keys `sluice:<dataset>`).
/// ConfigError for another scheme or a relative folder.
SLUICE_API std::string intermediates_overlay(const std::vector<CrossingDataset>& datasets,
                                             const std::string& url);

}  // namespace sluice
