#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <sluice/core/param.hpp>

namespace sluice {

/// One dataset as a post-mortem bundle (or the debug_catalog trace) shows it.
struct DatasetState {
  std::string name;
  /// "in memory", "write pending", "persisted", "released", "missing" or "parameter".
  std::string state;
  std::uint64_t bytes = 0;  // in memory
  std::string type;         // describe() of the dataset (never credentials)
  std::string producer;     // node, or empty for a free input
  std::vector<std::string> remaining_consumers;
  int rank = -1;  // under `--runner mpi`: the rank whose view this is (its producer's); else -1
};

/// The rows of a dataset table, header first: dataset, state, bytes in memory, producer and
/// waiting consumers, aligned; and the rank, when a row has one (a run under `--runner mpi`).
std::vector<std::string> dataset_table(const std::vector<DatasetState>& datasets);

/// A failing node's input as saved in a bundle.
struct SavedInput {
  std::string dataset;
  std::string file;    // relative to the bundle; empty when not saved
  std::string codec;   // the codec it was saved with
  std::string reason;  // why it was not saved, or what was done to it ("secrets redacted")
};

/// What `debug_catalog` writes when a run fails: `<folder>/<run-id>/state.json` and the
/// failing node's inputs under `inputs/`, readable by the owner only.
struct Bundle {
  std::filesystem::path folder;
  std::string run_id;
  std::string pipeline;
  std::string env;
  std::string runner;
  std::string command;
  std::string project;
  std::string failing_node;  // empty: the failure was not in a node (a background write)
  int failing_rank = -1;     // under `--runner mpi`: the rank the node failed on; else -1
  std::string phase;         // "running", "loading its inputs", "saving its outputs", ...
  std::string error;
  std::vector<DatasetState> datasets;
  std::vector<std::string> resume_nodes;
  std::string resume_command;
  std::vector<SavedInput> inputs;
  Param parameters;  // with secrets redacted
};

/// Reads `<folder>/state.json`. ConfigError naming the file when it is not a bundle.
Bundle read_bundle(const std::filesystem::path& folder);
/// The bundle of `folder` from `state_json`, what its state.json holds; ConfigError naming the file
/// (and the line and column of bad JSON) when it is not a bundle.
Bundle parse_bundle(std::string_view state_json, const std::filesystem::path& folder);

/// A readable summary: the failure, the datasets, the saved inputs and the commands to replay
/// and resume.
std::string describe_bundle(const Bundle& bundle);

/// The bundle as JSON (what state.json holds).
std::string bundle_json(const Bundle& bundle);

/// Whether a configuration key names a secret: password, secret, token, api key, access key,
/// private key or credentials (any case), or one of `extra`.
bool is_secret_key(std::string_view key, const std::vector<std::string>& extra = {});
/// `tree` with the values of secret keys replaced by "***", at any depth.
Param redact(const Param& tree, const std::vector<std::string>& extra = {});
/// A command line with the values of secret keys in `key=value` items replaced by "***".
std::string redact_command(const std::string& command, const std::vector<std::string>& extra = {});

}  // namespace sluice
