#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sluice/bench/predict.hpp>

namespace sluice::bench {

/// One read or write of a dataset on storage, as a real run's trace shows it.
struct ObservedOperation {
  std::string dataset;
  bool write = false;
  double seconds = 0;
  std::uint64_t bytes = 0;
};

/// What one real run measured (`sluice bench --from-trace`: its timeline trace), the costs every
/// prediction is made from.
struct ObservedRun {
  /// Names the run in errors: the trace file.
  std::string source;
  /// Per node: the seconds it computed (its span, loads and saves left out).
  std::map<std::string, double> compute;
  /// Per dataset: its bytes.
  std::map<std::string, std::uint64_t> bytes;
  /// The operations on storage the run made (loads and saves the tee or the cache served from
  /// memory left out).
  std::vector<ObservedOperation> operations;
  /// The run's wall time, and its strategy when the trace tells it (the calibration's reference).
  double wall_s = 0;
  std::optional<StrategyModel> model;
  /// "sequential, tee" (what model says), or why there is no model.
  std::string described;
};

/// The storage an observed run saw: per operation latency + bytes / bandwidth.
struct ObservedStorage {
  double read_latency = 0;   // seconds
  double write_latency = 0;  // seconds
  double bandwidth = 0;      // bytes per second; 0: unlimited (no transfer time could be seen)
  std::size_t reads = 0;
  std::size_t writes = 0;
  /// How it was found: "least squares over 12 operations (r = ...)" or "median per operation".
  std::string method;
};

/// The latencies and bandwidth that explain `operations`: a least-squares fit of
/// seconds = (read or write latency) + bytes / bandwidth when the sizes vary enough for the
/// transfer time to stand out of the noise, else the median time per read and per write with
/// unlimited bandwidth. A kind without operations takes the other kind's latency.
ObservedStorage observed_storage(const std::vector<ObservedOperation>& operations);

}  // namespace sluice::bench
