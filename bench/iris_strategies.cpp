// The iris pipeline on simulated slow storage (every persisted dataset: read and write latency),
// time-scaled, under each strategy; wall time in simulated seconds and its ratio to the lower
// bound of DESIGN.md. The `sluice bench` harness will generalise this.
//
//   build/release/bin/iris_strategies --read-latency 10 --write-latency 10 --time-scale 0.01

#include <algorithm>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <iris/pipeline.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <sluice/bench/lower_bound.hpp>
#include <sluice/bench/slow_storage.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/node.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/hooks/cache.hpp>
#include <sluice/hooks/tee.hpp>
#include <sluice/runners/parallel_runner.hpp>
#include <sluice/runners/sequential_runner.hpp>

namespace {

namespace fs = std::filesystem;
using Seconds = std::chrono::duration<double>;

// Measures each node's compute time, in the clock's (simulated) seconds.
class ComputeTimes final : public sluice::Hook {
 public:
  explicit ComputeTimes(const sluice::Clock& clock) : clock_(clock) {}
  sluice::Events events() const override {
    return {sluice::Event::before_node_run, sluice::Event::after_node_run};
  }
  void before_node_run(const sluice::Node& node, std::vector<sluice::Value>&) override {
    std::lock_guard lock(mutex_);
    started_[node.name()] = clock_.now();
  }
  void after_node_run(const sluice::Node& node, const std::vector<sluice::Value>&,
                      const std::vector<sluice::Value>&) override {
    std::lock_guard lock(mutex_);
    seconds[node.name()] = Seconds(clock_.now() - started_[node.name()]).count();
  }
  std::map<std::string, double> seconds;

 private:
  const sluice::Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, sluice::Clock::duration> started_;
};

struct Setup {
  fs::path project;
  sluice::bench::StorageProfile profile;
  double scale = 0.01;
};

// One run of one strategy in a scratch copy of the project; returns simulated seconds.
double run_strategy(const std::string& strategy, const Setup& setup,
                    const sluice::Registry& registry, ComputeTimes* compute) {
  const fs::path scratch = fs::temp_directory_path() / fmt::format("sluice-iris-{}", ::getpid());
  fs::remove_all(scratch);
  fs::create_directories(scratch / "data/01_raw");
  fs::copy(setup.project / "data/01_raw/iris.csv", scratch / "data/01_raw/iris.csv");
  const sluice::ConfigLoader conf(setup.project / "conf");
  sluice::CatalogOptions options;
  options.root = scratch;
  sluice::Catalog catalog = sluice::make_catalog(conf.get("catalog"), conf.get("credentials"),
                                                 conf.get("parameters"), registry, options);
  const sluice::Pipeline pipeline = iris::create_pipeline();
  if (strategy == "memory") {  // nothing persisted but the raw input: a reference
    for (const auto& dataset : pipeline.all_outputs()) {
      catalog.add(dataset, std::make_shared<sluice::MemoryDataset>(), true);
    }
  }
  const sluice::ScaledClock clock(setup.scale);
  sluice::bench::slow_down(catalog, setup.profile, clock);

  auto hooks = std::make_shared<sluice::HookManager>();
  if (strategy == "cache") {
    hooks->add("cache", std::make_shared<sluice::CacheHook>());
  }
  if (strategy.ends_with("tee")) {
    hooks->add("tee", std::make_shared<sluice::TeeHook>(sluice::TeeOptions{}, clock));
  }
  std::shared_ptr<ComputeTimes> times;
  if (compute != nullptr) {
    times = std::shared_ptr<ComputeTimes>(compute, [](ComputeTimes*) {});
    hooks->add("compute", times);
  }
  catalog.set_hooks(hooks);
  hooks->after_catalog_created(catalog);

  std::unique_ptr<sluice::Runner> runner;
  if (strategy.starts_with("parallel")) {
    runner = std::make_unique<sluice::ParallelRunner>();
  } else {
    runner = std::make_unique<sluice::SequentialRunner>(strategy == "async");
  }
  const auto start = clock.now();
  runner->run(pipeline, catalog);
  const double seconds = Seconds(clock.now() - start).count();
  fs::remove_all(scratch);
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("The iris pipeline on simulated slow storage, under each strategy");
  double read_latency = 10, write_latency = 10;
  Setup setup;
  setup.project = fs::path(SLUICE_SOURCE_DIR) / "examples/iris";
  int repetitions = 3;
  app.add_option("--read-latency", read_latency, "Seconds per read of a persisted dataset")
      ->capture_default_str();
  app.add_option("--write-latency", write_latency, "Seconds per write of a persisted dataset")
      ->capture_default_str();
  app.add_option("--time-scale", setup.scale, "Real seconds per simulated second")
      ->capture_default_str();
  app.add_option("--repetitions", repetitions, "Runs per strategy (the median is shown)")
      ->capture_default_str();
  app.add_option("--project", setup.project, "The iris project folder");
  CLI11_PARSE(app, argc, argv);
  setup.profile.read_latency =
      std::chrono::duration_cast<sluice::Clock::duration>(Seconds(read_latency));
  setup.profile.write_latency =
      std::chrono::duration_cast<sluice::Clock::duration>(Seconds(write_latency));

  sluice::logger().set_level(spdlog::level::warn);
  sluice::Registry registry;
  sluice::register_builtins(registry);

  // Compute times come from a run with nothing persisted.
  const sluice::ScaledClock reference_clock(setup.scale);
  ComputeTimes compute(reference_clock);
  run_strategy("memory", setup, registry, &compute);

  const sluice::Pipeline pipeline = iris::create_pipeline();
  sluice::bench::BoundInputs bound_inputs;
  bound_inputs.compute = compute.seconds;
  bound_inputs.read_latency = read_latency;
  bound_inputs.write_latency = write_latency;
  bound_inputs.workers = std::max(1U, std::thread::hardware_concurrency());
  bound_inputs.persisted = [](const std::string& dataset) {
    return !sluice::Catalog::is_parameter(dataset);  // every iris dataset is persisted
  };
  const double bound = sluice::bench::lower_bound(pipeline, bound_inputs);

  fmt::print("iris, read latency {} s, write latency {} s, time scale {}, median of {}\n",
             read_latency, write_latency, setup.scale, repetitions);
  fmt::print("lower bound (DESIGN.md): {:.1f} s\n\n", bound);
  fmt::print("{:<14} {:>12} {:>10}\n", "strategy", "wall (sim s)", "x bound");
  for (const std::string strategy :
       {"sequential", "async", "cache", "tee", "parallel", "parallel+tee", "memory"}) {
    std::vector<double> times;
    for (int i = 0; i < repetitions; ++i) {
      times.push_back(run_strategy(strategy, setup, registry, nullptr));
    }
    std::sort(times.begin(), times.end());
    const double median = times[times.size() / 2];
    fmt::print("{:<14} {:>12.1f} {:>10.2f}{}\n", strategy, median, median / bound,
               strategy == "memory" ? "   (nothing persisted: not bound by writes)" : "");
  }
  return 0;
}
