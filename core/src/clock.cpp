#include <atomic>
#include <cstdint>
#include <ctime>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <unistd.h>

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
  // fmt 9 renders a system_clock time point in local time, so the calendar fields come from
  // gmtime_r: the stamp is UTC whatever TZ says, as its `Z` promises.
  const auto time = std::chrono::floor<std::chrono::milliseconds>(clock.wall_time());
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const std::time_t since_epoch = std::chrono::system_clock::to_time_t(seconds);
  std::tm utc{};
  ::gmtime_r(&since_epoch, &utc);
  return fmt::format("{:04d}-{:02d}-{:02d}T{:02d}.{:02d}.{:02d}.{:03d}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                     (time - seconds).count());
}

std::string make_run_id(const Clock& clock) {
  static std::atomic<std::uint32_t> counter{std::random_device{}()};
  return fmt::format("{}-{}-{:04x}", make_version(clock), ::getpid(),
                     counter.fetch_add(1) & 0xffffU);
}

}  // namespace sluice
