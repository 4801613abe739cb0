#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <sluice/bench/harness.hpp>

namespace sluice::bench {

/// One swept parameter and its values: `--sweep read-latency=0,1s,10s`.
struct Sweep {
  /// read-latency, write-latency, compute (durations), bandwidth (a rate; 0: unlimited) or
  /// workers (a count).
  std::string parameter;
  /// The values as written, and as numbers in seconds, bytes per second or a count.
  std::vector<std::string> texts;
  std::vector<double> values;
};

/// The parameters a sweep can vary.
std::vector<std::string> sweep_parameters();

/// Parses "parameter=v1,v2,...". ConfigError naming the parameter or the value, with the
/// accepted forms, otherwise.
Sweep parse_sweep(std::string_view text);

/// Applies one value of a swept parameter to a point.
void apply(BenchPoint& point, const std::string& parameter, double value);

/// Every combination of the sweeps' values applied to `base`, the first sweep varying slowest.
/// With `write_follows_read`, each point's write latency is its read latency. ConfigError for
/// a parameter swept twice.
std::vector<BenchPoint> expand(const BenchPoint& base, const std::vector<Sweep>& sweeps,
                               bool write_follows_read);

}  // namespace sluice::bench
