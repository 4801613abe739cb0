#include <fmt/format.h>

#include <sluice/bench/sweep.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/util/suggest.hpp>
#include <sluice/core/util/text.hpp>
#include <sluice/core/util/units.hpp>

namespace sluice::bench {
namespace {

double parse_value(const std::string& parameter, const std::string& text) {
  const std::string what = fmt::format("--sweep {}", parameter);
  if (parameter == "bandwidth") {
    return text == "0" || text == "unlimited" ? 0 : parse_rate(text, what);
  }
  if (parameter == "workers" || parameter == "tee-writers") {
    std::size_t used = 0;
    long count = 0;
    try {
      count = std::stol(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != text.size() || count < 1) {
      throw ConfigError(fmt::format("{}: '{}' is not a {} count; write 1, 2, 4", what, text,
                                    parameter == "workers" ? "worker" : "writer"));
    }
    return static_cast<double>(count);
  }
  return std::chrono::duration<double>(parse_duration(text, what)).count();
}

}  // namespace

std::vector<std::string> sweep_parameters() {
  return {"read-latency", "write-latency", "compute", "bandwidth", "workers", "tee-writers"};
}

Sweep parse_sweep(std::string_view text) {
  const auto equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0 || equals + 1 == text.size()) {
    throw ConfigError(fmt::format(
        "--sweep '{}' is not parameter=values; write for instance --sweep read-latency=0,1s,10s "
        "(parameters: {})",
        text, fmt::join(sweep_parameters(), ", ")));
  }
  Sweep sweep;
  sweep.parameter = std::string(text.substr(0, equals));
  const auto parameters = sweep_parameters();
  if (std::find(parameters.begin(), parameters.end(), sweep.parameter) == parameters.end()) {
    throw ConfigError(fmt::format("--sweep: unknown parameter '{}'{}; the parameters are {}",
                                  sweep.parameter, did_you_mean(sweep.parameter, parameters),
                                  fmt::join(parameters, ", ")));
  }
  for (auto& value : split(text.substr(equals + 1), ',')) {
    sweep.values.push_back(parse_value(sweep.parameter, value));
    sweep.texts.push_back(std::move(value));
  }
  return sweep;
}

void apply(BenchPoint& point, const std::string& parameter, double value) {
  const auto duration =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(value));
  if (parameter == "read-latency") {
    point.profile.read_latency = duration;
  } else if (parameter == "write-latency") {
    point.profile.write_latency = duration;
  } else if (parameter == "compute") {
    point.compute = duration;
  } else if (parameter == "bandwidth") {
    point.profile.bandwidth = value;
  } else if (parameter == "workers") {
    point.workers = static_cast<std::size_t>(value);
  } else if (parameter == "tee-writers") {
    point.tee_writers = static_cast<std::size_t>(value);
  } else {
    throw ConfigError(fmt::format("unknown sweep parameter '{}'", parameter));
  }
}

std::vector<BenchPoint> expand(const BenchPoint& base, const std::vector<Sweep>& sweeps,
                               bool write_follows_read) {
  for (std::size_t i = 0; i < sweeps.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (sweeps[i].parameter == sweeps[j].parameter) {
        throw ConfigError(
            fmt::format("--sweep {} is given twice; list all its values in one: --sweep {}=a,b,c",
                        sweeps[i].parameter, sweeps[i].parameter));
      }
    }
  }
  std::vector<BenchPoint> points = {base};
  for (const Sweep& sweep : sweeps) {
    std::vector<BenchPoint> next;
    for (const BenchPoint& point : points) {
      for (const double value : sweep.values) {
        BenchPoint varied = point;
        apply(varied, sweep.parameter, value);
        varied.swept.emplace_back(sweep.parameter, value);
        next.push_back(std::move(varied));
      }
    }
    points = std::move(next);
  }
  if (write_follows_read) {
    for (BenchPoint& point : points) {
      point.profile.write_latency = point.profile.read_latency;
    }
  }
  return points;
}

}  // namespace sluice::bench
