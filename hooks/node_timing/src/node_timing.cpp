// node_timing: logs how long each node ran and, at the end of the run, the slowest nodes.
//
// Options (hooks.yml):
//   min_ms:  log a node only if it ran at least this long (default 0: every node)
//   top:     how many of the slowest nodes the end-of-run summary lists (default 5; 0: none)

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <sluice/core/clock.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/node.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/plugin.hpp>

namespace {

using Milliseconds = std::chrono::duration<double, std::milli>;

class NodeTimingHook final : public sluice::Hook {
 public:
  NodeTimingHook(const sluice::Clock& clock, double min_ms, std::int64_t top)
      : clock_(clock), min_ms_(min_ms), top_(top) {}

  sluice::Events events() const override {
    using sluice::Event;
    return {Event::before_rank_run, Event::before_node_run, Event::after_node_run,
            Event::after_pipeline_run};
  }

  void before_rank_run(const sluice::RunInfo&, const sluice::Pipeline&,
                       const sluice::CatalogView&) override {
    std::lock_guard lock(mutex_);
    started_.clear();
    durations_.clear();
  }

  void before_node_run(const sluice::Node& node, const sluice::CatalogView&,
                       std::vector<sluice::Value>&) override {
    std::lock_guard lock(mutex_);
    started_[node.name()] = clock_.now();
  }

  void after_node_run(const sluice::Node& node, const sluice::CatalogView&,
                      const std::vector<sluice::Value>&,
                      const std::vector<sluice::Value>&) override {
    const auto now = clock_.now();
    Milliseconds took{};
    {
      std::lock_guard lock(mutex_);
      took = now - started_.at(node.name());
      durations_.emplace_back(node.name(), took);
    }
    if (took.count() >= min_ms_) {
      sluice::logger().info("Node '{}' ran in {:.3f} ms", node.name(), took.count());
    }
  }

  void after_pipeline_run(const sluice::RunInfo&, const sluice::Pipeline&,
                          const sluice::CatalogView&) override {
    std::vector<std::pair<std::string, Milliseconds>> slowest;
    {
      std::lock_guard lock(mutex_);
      slowest = durations_;
    }
    std::sort(slowest.begin(), slowest.end(),
              [](const auto& a, const auto& b) { return a.second > b.second; });
    slowest.resize(std::min<std::size_t>(slowest.size(), static_cast<std::size_t>(top_)));
    for (std::size_t i = 0; i < slowest.size(); ++i) {
      sluice::logger().info("Slowest nodes: {}. {} ({:.3f} ms)", i + 1, slowest[i].first,
                            slowest[i].second.count());
    }
  }

 private:
  const sluice::Clock& clock_;
  const double min_ms_;
  const std::int64_t top_;
  std::mutex mutex_;
  std::map<std::string, sluice::Clock::duration, std::less<>> started_;
  std::vector<std::pair<std::string, Milliseconds>> durations_;
};

std::shared_ptr<sluice::Hook> make_node_timing(const sluice::HookContext& context) {
  sluice::OptionReader options(context.options, fmt::format("hook '{}'", context.name));
  const double min_ms = options.number("min_ms", 0);
  const std::int64_t top = options.integer("top", 5);
  options.finish();
  if (min_ms < 0) {
    throw sluice::ConfigError(
        fmt::format("{}: must be 0 or more (got {})", options.where("min_ms"), min_ms));
  }
  if (top < 0) {
    throw sluice::ConfigError(
        fmt::format("{}: must be 0 or more (got {})", options.where("top"), top));
  }
  const sluice::Clock& clock = context.clock != nullptr ? *context.clock : sluice::system_clock();
  return std::make_shared<NodeTimingHook>(clock, min_ms, top);
}

}  // namespace

SLUICE_PLUGIN(registrar) {
  registrar.add_hook("node_timing", make_node_timing);
}
