#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <sluice/core/pipeline.hpp>

namespace sluice::bench {

/// The lower bound of DESIGN.md for strategies that persist everything. With compute c(v),
/// read latency r for persisted free inputs, write latency w per persisted output, P workers,
/// and with a bandwidth B the transfer time t(d) = bytes(d) / B of each read or write:
///   EFT(v) = max over inputs (persisted free input i: r + t(i); produced: EFT(producer)) + c(v)
///   bound  = max(max_v EFT(v), max over persisted outputs o of EFT(producer(o)) + w + t(o),
///                sum c / P)
/// Times are in seconds.
struct BoundInputs {
  std::map<std::string, double> compute;  // node -> c(v); missing nodes count 0
  double read_latency = 0;
  double write_latency = 0;
  std::size_t workers = 1;
  std::function<bool(const std::string&)> persisted;  // dataset -> on slow storage?
  double bandwidth = 0;                               // bytes per second; 0: unlimited
  std::map<std::string, std::uint64_t> bytes;         // dataset -> size; missing count 0
};

double lower_bound(const Pipeline& pipeline, const BoundInputs& inputs);

}  // namespace sluice::bench
