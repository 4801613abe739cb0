#include <thread>

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <sluice/core/clock.hpp>
#include <sluice/core/error.hpp>

namespace sluice {

SystemClock::SystemClock() : start_(std::chrono::steady_clock::now()) {}

Clock::duration SystemClock::now() const {
  return std::chrono::duration_cast<duration>(std::chrono::steady_clock::now() - start_);
}

void SystemClock::sleep_for(duration d) const {
  std::this_thread::sleep_for(d);
}

std::chrono::system_clock::time_point SystemClock::wall_time() const {
  return std::chrono::system_clock::now();
}

ScaledClock::ScaledClock(double real_per_simulated)
    : scale_(real_per_simulated),
      start_(std::chrono::steady_clock::now()),
      wall_start_(std::chrono::system_clock::now()) {
  if (!(real_per_simulated > 0)) {
    throw ConfigError(
        fmt::format("time scale must be greater than 0 (got {})", real_per_simulated));
  }
}

Clock::duration ScaledClock::now() const {
  const auto real = std::chrono::steady_clock::now() - start_;
  return duration(static_cast<duration::rep>(static_cast<double>(real.count()) / scale_));
}

void ScaledClock::sleep_for(duration d) const {
  std::this_thread::sleep_for(
      duration(static_cast<duration::rep>(static_cast<double>(d.count()) * scale_)));
}

std::chrono::system_clock::time_point ScaledClock::wall_time() const {
  return wall_start_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(now());
}

ManualClock::ManualClock(std::chrono::system_clock::time_point wall_start)
    : wall_start_(wall_start) {}

Clock::duration ManualClock::now() const {
  return duration(elapsed_.load());
}

void ManualClock::sleep_for(duration d) const {
  advance(d);
}

void ManualClock::advance(duration d) const {
  elapsed_.fetch_add(d.count());
}

std::chrono::system_clock::time_point ManualClock::wall_time() const {
  return wall_start_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(now());
}

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

std::string make_version(const Clock& clock) {
  const auto time = std::chrono::time_point_cast<std::chrono::milliseconds>(clock.wall_time());
  const auto millis = time.time_since_epoch().count() % 1000;
  return fmt::format("{:%Y-%m-%dT%H.%M.%S}.{:03d}Z",
                     std::chrono::time_point_cast<std::chrono::seconds>(time), millis);
}

}  // namespace sluice
