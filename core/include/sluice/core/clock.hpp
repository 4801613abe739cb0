#pragma once

#include <atomic>
#include <chrono>
#include <string>

#include <sluice/core/export.hpp>

namespace sluice {

/// All sleeping and time-stamping in sluice goes through a Clock, so a benchmark can scale time
/// (10 s of simulated latency run as 100 ms) and tests need not sleep. Thread-safe.
class SLUICE_API Clock {
 public:
  using duration = std::chrono::nanoseconds;
  virtual ~Clock() = default;

  /// Monotonic time since the clock started, in the clock's (possibly simulated) time.
  virtual duration now() const = 0;
  /// Sleeps for `d` of the clock's time.
  virtual void sleep_for(duration d) const = 0;
  /// The calendar time, for version stamps and logs.
  virtual std::chrono::system_clock::time_point wall_time() const = 0;
};

/// Real time.
class SLUICE_API SystemClock final : public Clock {
 public:
  SystemClock();
  duration now() const override;
  void sleep_for(duration d) const override;
  std::chrono::system_clock::time_point wall_time() const override;

 private:
  std::chrono::steady_clock::time_point start_;
};

/// Simulated time running `real_per_simulated` times as fast as real time: with 0.01, sleeping
/// 10 s takes 100 ms and now() reports elapsed real time divided by 0.01.
class SLUICE_API ScaledClock final : public Clock {
 public:
  explicit ScaledClock(double real_per_simulated);
  duration now() const override;
  void sleep_for(duration d) const override;
  std::chrono::system_clock::time_point wall_time() const override;
  double scale() const { return scale_; }

 private:
  double scale_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::system_clock::time_point wall_start_;
};

/// Time that moves only when told: sleep_for advances it at once. For tests.
class SLUICE_API ManualClock final : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point wall_start = {});
  duration now() const override;
  void sleep_for(duration d) const override;
  std::chrono::system_clock::time_point wall_time() const override;
  void advance(duration d) const;

 private:
  mutable std::atomic<duration::rep> elapsed_{0};
  std::chrono::system_clock::time_point wall_start_;
};

/// A process-wide real-time clock for callers given none.
SLUICE_API const Clock& system_clock();

/// A Kedro-style version stamp from the clock's calendar time, in UTC whatever the local time
/// zone: "2026-11-21T07.39.02.123Z".
SLUICE_API std::string make_version(const Clock& clock);

/// A run id, also the run's save version: make_version's stamp, then the process id and a
/// part random per process and counted per call: "2026-11-21T07.39.02.123Z-4242-7f3a". Sorts by
/// time as text; unique across processes and calls within the same millisecond.
SLUICE_API std::string make_run_id(const Clock& clock);

}  // namespace sluice
