#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/bench/harness.hpp>
#include <sluice/bench/report.hpp>
#include <sluice/bench/strategy.hpp>
#include <sluice/bench/sweep.hpp>
#include <sluice/core/catalog.hpp>
#include <sluice/core/log.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/core/util/json.hpp>
#include <sluice/runners/builtins.hpp>

#include "support/bench_plugins.hpp"
#include "support/captured_log.hpp"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::ThrowsMessage;

const bench::BenchResult& find(const std::vector<bench::BenchResult>& results,
                               const std::string& strategy) {
  return *std::find_if(results.begin(), results.end(),
                       [&](const auto& result) { return result.strategy == strategy; });
}

TEST(Strategies, AreARunnerAndHooksAsUsersConfigureThem) {
  EXPECT_THAT(bench::strategy_names(),
              ElementsAre("sequential", "async", "cache", "tee", "parallel", "parallel+tee",
                          "memory", "mpi", "mpi+tee"));
  EXPECT_THAT(bench::default_strategy_names(), ElementsAre("sequential", "async", "cache", "tee",
                                                           "parallel", "parallel+tee", "memory"));
  const auto tee = bench::make_strategy("parallel+tee", 4);
  EXPECT_EQ(tee.runner, "parallel");
  EXPECT_EQ(tee.runner_options.at("max_workers").as_int(), 4);
  ASSERT_EQ(tee.hooks.size(), 1U);
  EXPECT_EQ(tee.hooks[0].name, "tee");
  EXPECT_EQ(tee.workers, 4U);
  EXPECT_EQ(tee.command, "sluice run --runner parallel --max-workers 4 --hooks tee");
  EXPECT_TRUE(bench::make_strategy("async", 4).runner_options.at("async_io").as_bool());
  EXPECT_EQ(bench::make_strategy("async", 4).workers, 1U);
  EXPECT_FALSE(bench::make_strategy("memory", 4).persist);
  EXPECT_EQ(tee.ranks, 0U);  // runs in this process
  // An MPI job: a rank per worker and rank 0, which schedules; the bound is for the workers.
  const auto mpi = bench::make_strategy("mpi+tee", 2, 8);
  EXPECT_EQ(mpi.runner, "mpi");
  EXPECT_EQ(mpi.workers, 2U);
  EXPECT_EQ(mpi.ranks, 3U);
  ASSERT_EQ(mpi.hooks.size(), 1U);
  EXPECT_EQ(mpi.hooks[0].options.at("max_writers").as_int(), 8);
  EXPECT_TRUE(mpi.runner_options.is_map() && mpi.runner_options.as_map().empty());
  EXPECT_EQ(bench::make_strategy("mpi", 1).command, "mpirun -np 2 sluice run --runner mpi");
  EXPECT_EQ(bench::make_strategy("mpi", 0).ranks, 2U);  // at least one rank runs nodes
  EXPECT_THAT([] { bench::make_strategy("tea", 2); },
              ThrowsMessage<ConfigError>(HasSubstr("unknown strategy 'tea' (did you mean 'tee'")));
}

TEST(Strategies, TheTeeTakesItsMaxWritersFromTheBench) {
  const auto tee = bench::make_strategy("parallel+tee", 8, 32);
  ASSERT_EQ(tee.hooks.size(), 1U);
  EXPECT_EQ(tee.hooks[0].options.at("max_writers").as_int(), 32);
  EXPECT_THAT(tee.command, HasSubstr("(hooks.yml: tee with options: {max_writers: 32})"));
  EXPECT_EQ(bench::make_strategy("tee", 1, 2).hooks[0].options.at("max_writers").as_int(), 2);
  EXPECT_TRUE(bench::make_strategy("parallel+tee", 8).hooks[0].options.is_null());  // default
  EXPECT_EQ(bench::make_strategy("parallel", 8, 32).command,
            "sluice run --runner parallel --max-workers 8");
  EXPECT_THAT(bench::parse_sweep("tee-writers=1,8,32").values, ElementsAre(1, 8, 32));
  EXPECT_THAT([] { bench::parse_sweep("tee-writers=0"); },
              ThrowsMessage<ConfigError>(HasSubstr("'0' is not a writer count")));
  const auto points = bench::expand({}, {bench::parse_sweep("tee-writers=1,8")}, false);
  ASSERT_EQ(points.size(), 2U);
  EXPECT_EQ(points[1].tee_writers, 8U);
}

TEST(Sweeps, ParseValuesAsPeopleWriteThem) {
  const auto sweep = bench::parse_sweep("read-latency=0,250ms,10s,1.5m");
  EXPECT_EQ(sweep.parameter, "read-latency");
  EXPECT_THAT(sweep.values, ElementsAre(0, 0.25, 10, 90));
  EXPECT_THAT(bench::parse_sweep("bandwidth=unlimited,100MB/s").values, ElementsAre(0, 1e8));
  EXPECT_THAT(bench::parse_sweep("workers=1,4").values, ElementsAre(1, 4));
  EXPECT_THAT([] { bench::parse_sweep("read-latncy=1s"); },
              ThrowsMessage<ConfigError>(HasSubstr("did you mean 'read-latency'")));
  EXPECT_THAT([] { bench::parse_sweep("compute=1s,fast"); },
              ThrowsMessage<ConfigError>(HasSubstr("'fast' is not a duration")));
  EXPECT_THAT([] { bench::parse_sweep("workers=0"); },
              ThrowsMessage<ConfigError>(HasSubstr("'0' is not a worker count")));
  EXPECT_THAT([] { bench::parse_sweep("read-latency"); },
              ThrowsMessage<ConfigError>(HasSubstr("--sweep read-latency=0,1s,10s")));
}

TEST(Sweeps, ExpandToEveryCombinationWithWritesFollowingReads) {
  const auto points = bench::expand(
      {}, {bench::parse_sweep("read-latency=1s,2s"), bench::parse_sweep("compute=0,5s,9s")}, true);
  ASSERT_EQ(points.size(), 6U);
  EXPECT_EQ(points[0].profile.read_latency, 1s);
  EXPECT_EQ(points[0].profile.write_latency, 1s);
  EXPECT_EQ(points[4].profile.read_latency, 2s);
  EXPECT_EQ(points[4].profile.write_latency, 2s);
  EXPECT_EQ(points[4].compute, 5s);
  EXPECT_EQ(points[4].swept,
            (std::vector<std::pair<std::string, double>>{{"read-latency", 2}, {"compute", 5}}));
  EXPECT_THAT(
      [] {
        bench::expand({}, {bench::parse_sweep("workers=1"), bench::parse_sweep("workers=2")},
                      false);
      },
      ThrowsMessage<ConfigError>(HasSubstr("--sweep workers is given twice")));
}

class HarnessOnAChain : public ::testing::Test {
 protected:
  HarnessOnAChain() {
    point.profile.read_latency = point.profile.write_latency = 1s;
    point.workers = 2;
    settings.repeat = 1;
    settings.time_scale = 0.002;  // 1 simulated second: 2 ms
  }

  testing::BenchPlugins plugins;
  bench::BenchPoint point;
  bench::BenchSettings settings;
};

TEST_F(HarnessOnAChain, CountsReadsWritesAndMemoryPerStrategy) {
  bench::Harness harness(plugins.registry, "chain:3", bench::generated_workload("chain:3"));
  const auto results = harness.run(settings, point);
  ASSERT_EQ(results.size(), 7U);
  // sequential writes each step's output and reads it back; the tee reads only the input.
  EXPECT_EQ(find(results, "sequential").reads, 3U);
  EXPECT_EQ(find(results, "sequential").writes, 3U);
  EXPECT_EQ(find(results, "tee").reads, 1U);
  EXPECT_EQ(find(results, "tee").writes, 3U);
  EXPECT_EQ(find(results, "parallel+tee").reads, 1U);
  EXPECT_EQ(find(results, "cache").reads, 1U);
  EXPECT_EQ(find(results, "memory").reads, 1U);
  EXPECT_EQ(find(results, "memory").writes, 0U);
  // Memory: nothing is held when everything goes through storage.
  EXPECT_EQ(find(results, "sequential").peak_bytes, 0U);
  EXPECT_GT(find(results, "tee").peak_bytes, 1024 * sizeof(double));
  // Memory holds a step's input and its output: two payloads, each counted once.
  const std::uint64_t payload = Value::of(std::vector<double>(1024)).byte_size();
  EXPECT_EQ(find(results, "memory").peak_bytes, 2 * payload);
  EXPECT_EQ(find(results, "cache").peak_bytes, 2 * payload);
  // The bound: read the input, then the last write (compute is the nodes' own tiny work).
  EXPECT_NEAR(find(results, "sequential").bound_s, 2.0, 0.5);
  EXPECT_NEAR(find(results, "memory").bound_s, 1.0, 0.5);  // nothing written
  EXPECT_TRUE(find(results, "sequential").speedup.has_value());
  EXPECT_DOUBLE_EQ(*find(results, "sequential").speedup, 1.0);
  for (const auto& result : results) {
    EXPECT_DOUBLE_EQ(result.ratio, result.wall_s / result.bound_s) << result.strategy;
    EXPECT_EQ(result.scenario, "chain:3");
  }
}

// A "tee" that forgets to wait for its writes: the harness must not report its time.
class LeakyTee final : public Hook {
 public:
  ~LeakyTee() override {
    for (auto& thread : threads_) {
      thread.join();
    }
  }
  Events events() const override { return {Event::after_catalog_created}; }
  void after_catalog_created(Catalog& catalog) override {
    for (const auto& name : catalog.list()) {
      if (name.ends_with("_out")) {
        catalog.add(name, std::make_shared<Deferred>(catalog.get(name), threads_), true);
      }
    }
  }

 private:
  class Deferred final : public Dataset {
   public:
    Deferred(std::shared_ptr<Dataset> inner, std::vector<std::thread>& threads)
        : inner_(std::move(inner)), threads_(threads) {}
    Value load() override { return value_; }
    void save(const Value& value) override {
      value_ = value;
      threads_.emplace_back([inner = inner_, value] {
        std::this_thread::sleep_for(50ms);
        inner->save(value);
      });
    }
    bool exists() const override { return value_.has_value(); }
    std::string dataset_type() const override { return "Deferred"; }

   private:
    std::shared_ptr<Dataset> inner_;
    std::vector<std::thread>& threads_;
    Value value_;
  };
  std::vector<std::thread> threads_;
};

TEST_F(HarnessOnAChain, AStrategyThatEndsBeforeItsWritesIsAnError) {
  Registry registry;
  register_builtins(registry);
  Registrar registrar(registry);
  register_builtin_runners(registrar);
  registry.hooks.add("tee", [](const HookContext&) { return std::make_shared<LeakyTee>(); });
  bench::Harness harness(registry, "chain:3", bench::generated_workload("chain:3"));
  settings.strategies = {"tee"};
  EXPECT_THAT([&] { harness.run(settings, point); },
              ThrowsMessage<Error>(HasSubstr("strategy 'tee': the run returned after 0 of its 3 "
                                             "writes")));
}

// Logs its name when the catalog is created, so the log shows the order hooks run in.
class OrderHook final : public Hook {
 public:
  OrderHook(std::vector<std::string>& log, std::string name) : log_(log), name_(std::move(name)) {}
  Events events() const override { return {Event::after_catalog_created}; }
  void after_catalog_created(Catalog&) override { log_.push_back(name_); }

 private:
  std::vector<std::string>& log_;
  std::string name_;
};

TEST_F(HarnessOnAChain, AStrategysHooksRunInTheirPriorityOrder) {
  const auto strategy = bench::parse_strategy(
      "ordered",
      "runner: sequential\n"
      "hooks:\n  - {name: late, priority: 5}\n  - {name: early, priority: -5}\n",
      2);
  ASSERT_EQ(strategy.hooks.size(), 2U);
  EXPECT_EQ(strategy.hooks[0].priority, 5);
  EXPECT_EQ(strategy.hooks[1].priority, -5);

  Registry registry;
  register_builtins(registry);
  Registrar registrar(registry);
  register_builtin_runners(registrar);
  std::vector<std::string> log;
  for (const char* name : {"early", "late"}) {
    registry.hooks.add(name, [&log](const HookContext& context) {
      return std::make_shared<OrderHook>(log, context.name);
    });
  }
  bench::Harness harness(registry, "chain:3", bench::generated_workload("chain:3"));
  const auto results = harness.run(std::vector<bench::Strategy>{strategy}, settings, point);
  ASSERT_EQ(results.size(), 1U);
  EXPECT_EQ(results[0].strategy, "ordered");
  EXPECT_THAT(log, ElementsAre("early", "late"));
  EXPECT_THAT(
      [] {
        bench::parse_strategy("odd",
                              "runner: sequential\nhooks: [{name: x, priority: "
                              "high}]\n",
                              1);
      },
      ThrowsMessage<ConfigError>(
          HasSubstr("strategy 'odd':2:29: option 'priority' of strategy 'odd' hook")));
}

TEST_F(HarnessOnAChain, TheAutomaticTimeScaleKeepsTheSlowestRunShort) {
  bench::Harness harness(plugins.registry, "chain:8", bench::generated_workload("chain:8"));
  settings.time_scale = 0;
  point.profile.read_latency = point.profile.write_latency = 10s;
  // sequential waits 8 reads + 8 writes of 10 s = 160 s; 1 s of real time allows 0.006,
  // rounded down to 0.005.
  EXPECT_DOUBLE_EQ(harness.time_scale(settings, point), 0.005);
  point.profile.read_latency = point.profile.write_latency = 0s;
  EXPECT_DOUBLE_EQ(harness.time_scale(settings, point), 1);
  settings.time_scale = 0.25;
  EXPECT_DOUBLE_EQ(harness.time_scale(settings, point), 0.25);
}

TEST_F(HarnessOnAChain, QuietRunsLogOnlyWarningsAndPutTheLevelBack) {
  const testing::CapturedLog log(spdlog::level::debug);
  bench::Harness harness(plugins.registry, "chain:3", bench::generated_workload("chain:3"));
  settings.strategies = {"sequential"};
  settings.time_scale = 0;  // the reference runs too
  settings.quiet = true;
  harness.run(settings, point);
  EXPECT_THAT(log.lines(), Not(HasSubstr("Pipeline execution completed")));
  EXPECT_EQ(logger().level(), spdlog::level::debug);

  settings.quiet = false;
  harness.run(settings, point);
  EXPECT_THAT(log.lines(), HasSubstr("info Pipeline execution completed"));
}

TEST_F(HarnessOnAChain, StrategiesWithRanksAreLaunchedAndMeasuredForTheirWorkers) {
  bench::Harness harness(plugins.registry, "chain:3", bench::generated_workload("chain:3"));
  settings.strategies = {"parallel", "mpi"};
  settings.repeat = 2;
  EXPECT_THAT([&] { harness.run(settings, point); },
              ThrowsMessage<ConfigError>(HasSubstr("strategy 'mpi' runs in an MPI job of 3 "
                                                   "processes, which this harness cannot start")));
  // A launch that makes the run here, as each rank would, with the parallel runner.
  std::vector<std::pair<double, int>> launched;
  settings.launch = [&](const bench::LaunchRequest& request) {
    launched.emplace_back(request.time_scale, request.repetition);
    EXPECT_EQ(request.strategy.ranks, 3U);
    EXPECT_GT(request.estimated_seconds, 0);
    return harness.run_once(bench::make_strategy("parallel", request.strategy.workers), settings,
                            request.point, request.time_scale, request.repetition);
  };
  const auto results = harness.run(settings, point);
  EXPECT_THAT(launched, ElementsAre(std::pair{0.002, 1}, std::pair{0.002, 2}));
  ASSERT_EQ(results.size(), 2U);
  EXPECT_EQ(find(results, "mpi").writes, 3U);
  EXPECT_EQ(find(results, "mpi").reads, 3U);
  EXPECT_DOUBLE_EQ(find(results, "mpi").bound_s, find(results, "parallel").bound_s);
  EXPECT_GE(find(results, "mpi").wall_s, find(results, "mpi").bound_s * 0.999);
  // What a launch reports is checked as a run made here is, and its errors name the strategy.
  settings.launch = [&](const bench::LaunchRequest& request) {
    bench::RunMeasurement run = harness.run_once(bench::make_strategy("sequential", 1), settings,
                                                 request.point, request.time_scale, 1);
    run.writes = 1;
    return run;
  };
  EXPECT_THAT([&] { harness.run(settings, point); },
              ThrowsMessage<Error>(HasSubstr("strategy 'mpi': the run returned after 1 of its 3 "
                                             "writes")));
  settings.launch = [](const bench::LaunchRequest&) -> bench::RunMeasurement {
    throw Error("mpirun exited with code 1");
  };
  EXPECT_THAT([&] { harness.run(settings, point); },
              ThrowsMessage<Error>(HasSubstr("scenario 'chain:3', strategy 'mpi' (run 1 of 2): "
                                             "mpirun exited with code 1")));
}

TEST_F(HarnessOnAChain, MissingHooksAndBadSpecsAreNamed) {
  Registry bare;
  register_builtins(bare);
  bench::Harness harness(bare, "chain:3", bench::generated_workload("chain:3"));
  settings.strategies = {"cache"};
  EXPECT_THAT([&] { harness.run(settings, point); },
              ThrowsMessage<ConfigError>(HasSubstr("strategy 'cache' needs the hook 'cache'")));
  EXPECT_THAT([] { bench::generated_workload("chain:x"); },
              ThrowsMessage<ConfigError>(HasSubstr("'x' is not a positive count")));
}

TEST(Reports, CsvColumnsComeFirstThenTheSweptParameters) {
  bench::BenchResult result;
  result.scenario = "chain:8";
  result.strategy = "tee";
  result.wall_s = 20.25;
  result.bound_s = 20;
  result.ratio = 1.0125;
  result.peak_bytes = 8192;
  result.reads = 1;
  result.writes = 8;
  result.time_scale = 0.01;
  result.swept = {{"read-latency", 10}, {"workers", 2}};
  const std::string csv = bench::to_csv({result});
  EXPECT_EQ(
      csv,
      "scenario,strategy,wall_s,bound_s,ratio,speedup,peak_bytes,reads,writes,read-latency,"
      "workers,time_scale,optimum_s,optimum_ratio,predicted_s,predicted_ratio,predicted_only\n"
      "chain:8,tee,20.25,20,1.0125,,8192,1,8,10,2,0.01,,,,,0\n");
  const Json json = parse_json(bench::to_json({result}), "results.json", "");
  ASSERT_EQ(json.size(), 1U);
  EXPECT_EQ(json[0].at("scenario"), "chain:8");
  EXPECT_EQ(json[0].at("strategy"), "tee");
  EXPECT_EQ(json[0].at("wall_s"), 20.25);
  EXPECT_EQ(json[0].at("bound_s"), 20);
  EXPECT_EQ(json[0].at("ratio"), 1.0125);
  EXPECT_TRUE(json[0].at("speedup").is_null());
  EXPECT_EQ(json[0].at("peak_bytes"), 8192);
  EXPECT_EQ(json[0].at("read-latency"), 10);
  EXPECT_EQ(json[0].at("time_scale"), 0.01);
  EXPECT_THAT(bench::format_table({result}), HasSubstr("8.0 KiB"));
  EXPECT_THAT(bench::format_table({result}), Not(HasSubstr("optimum")));  // none was searched
  EXPECT_TRUE(json[0].at("optimum_s").is_null());
  EXPECT_THAT([&] { bench::write_results("results.txt", {result}); },
              ThrowsMessage<ConfigError>(HasSubstr("must be .csv or .json")));
  EXPECT_EQ(bench::format_parameter("read-latency", 0.25), "250ms");
  EXPECT_EQ(bench::format_parameter("compute", 90), "90s");
  EXPECT_EQ(bench::format_parameter("compute", 120), "2m");
  EXPECT_EQ(bench::format_parameter("bandwidth", 1e8), "100MB/s");
}

TEST(Reports, TheOptimumAndTimeOverItAreReportedWhereTheyWereSearched) {
  bench::BenchResult small;
  small.scenario = "fanout:8";
  small.strategy = "tee";
  small.wall_s = 1.47;
  small.bound_s = 1.4;
  small.ratio = 1.05;
  small.optimum_s = 1.4;
  small.optimum_ratio = 1.05;
  bench::BenchResult large = small;
  large.scenario = "random:200";
  large.optimum_s.reset();
  large.optimum_ratio.reset();
  const std::string table = bench::format_table({small, large});
  EXPECT_THAT(table, HasSubstr("x bound  optimum (s)  x optimum  speed-up"));
  // fanout:8's bound, time over it, optimum and time over it; random:200 was not searched.
  EXPECT_THAT(table, HasSubstr("1.40     1.05         1.40       1.05"));
  EXPECT_THAT(table, HasSubstr("1.40     1.05            -          -"));
  EXPECT_THAT(bench::to_csv({small, large}),
              HasSubstr(",optimum_s,optimum_ratio,predicted_s,predicted_ratio,predicted_only\n"
                        "fanout:8,tee,1.47,1.4,1.05,,0,0,0,0,1.4,1.05,,,0\n"
                        "random:200,tee,1.47,1.4,1.05,,0,0,0,0,,,,,0\n"));
  const Json json = parse_json(bench::to_json({small, large}), "results.json", "");
  EXPECT_EQ(json[0].at("optimum_s"), 1.4);
  EXPECT_EQ(json[0].at("optimum_ratio"), 1.05);
  EXPECT_TRUE(json[1].at("optimum_s").is_null());
  EXPECT_TRUE(json[1].at("optimum_ratio").is_null());
}

TEST_F(HarnessOnAChain, SmallScenariosReportTheOptimumBesideTheBound) {
  settings.strategies = {"tee", "memory"};
  bench::Harness harness(plugins.registry, "chain:3", bench::generated_workload("chain:3"));
  for (const auto& result : harness.run(settings, point)) {
    ASSERT_TRUE(result.optimum_s.has_value()) << result.strategy;
    // A chain's optimum is its critical path, which the bound reaches.
    EXPECT_NEAR(*result.optimum_s, result.bound_s, 1e-9) << result.strategy;
    EXPECT_DOUBLE_EQ(*result.optimum_ratio, result.wall_s / *result.optimum_s);
    ASSERT_TRUE(result.schedule_s.has_value()) << result.strategy;
    EXPECT_NEAR(*result.schedule_s, result.bound_s, 1e-9) << result.strategy;
    EXPECT_DOUBLE_EQ(*result.schedule_ratio, result.wall_s / *result.schedule_s);
  }
  bench::Harness large(plugins.registry, "chain:13", bench::generated_workload("chain:13"));
  const auto chain13 = large.run(settings, point).front();
  EXPECT_FALSE(chain13.optimum_s.has_value());  // too many nodes
  // The simulated schedules bracket the optimum at any size: [bound, best schedule].
  ASSERT_TRUE(chain13.schedule_s.has_value());
  EXPECT_NEAR(*chain13.schedule_s, chain13.bound_s, 1e-9);
}

TEST(Reports, TheBestScheduleIsReportedBesideTheBound) {
  bench::BenchResult result;
  result.scenario = "random:200";
  result.strategy = "parallel+tee";
  result.wall_s = 3.3;
  result.bound_s = 3.2;
  result.ratio = 3.3 / 3.2;
  result.schedule_s = 3.25;
  result.schedule_ratio = 3.3 / 3.25;
  result.schedule_rule = "longest path";
  const std::string table = bench::format_table({result});
  EXPECT_THAT(table, HasSubstr("x bound  best schedule (s)  x schedule  speed-up"));
  EXPECT_THAT(table, HasSubstr("3.20     1.03               3.25       1.015"));
  EXPECT_THAT(bench::to_csv({result}),
              HasSubstr(",schedule_s,schedule_ratio,schedule_rule,predicted_s,predicted_ratio,"
                        "predicted_only\nrandom:200,parallel+tee,3.3,3.2,1.03125,,0,0,0,0,,,3.25,"
                        "1.01538,longest path,,,0\n"));
  const Json json = parse_json(bench::to_json({result}), "results.json", "");
  EXPECT_EQ(json[0].at("schedule_s"), 3.25);
  EXPECT_EQ(json[0].at("schedule_rule"), "longest path");
}

TEST(Reports, ThePredictionIsReportedBesideTheMeasuredWallTime) {
  bench::BenchResult result;
  result.scenario = "fanout:8";
  result.strategy = "tee";
  result.wall_s = 0.42;
  result.bound_s = 0.4;
  result.ratio = 0.42 / 0.4;
  result.predicted_s = 0.4;
  const std::string table = bench::format_table({result});
  EXPECT_THAT(table, HasSubstr("x bound  predicted (s)  x predicted  speed-up"));
  EXPECT_THAT(table, HasSubstr("0.4        1.050"));
  EXPECT_THAT(bench::to_csv({result}), HasSubstr(",predicted_s,predicted_ratio,predicted_only\n"));
  EXPECT_THAT(bench::to_csv({result}), HasSubstr(",0.4,1.05,0\n"));
  const Json json = parse_json(bench::to_json({result}), "results.json", "");
  EXPECT_EQ(json[0].at("predicted_s"), 0.4);
  EXPECT_EQ(json[0].at("predicted_ratio"), 1.05);
}

// A run of chain:3 as a trace would show it: each step computing 0.1 s, every value 1000 bytes.
bench::ObservedRun observed_chain3() {
  bench::ObservedRun run;
  run.source = "t.json";
  for (const char* node : {"step_1", "step_2", "step_3"}) {
    run.compute[node] = 0.1;
  }
  for (const char* dataset : {"raw", "step_1_out", "step_2_out", "step_3_out"}) {
    run.bytes[dataset] = 1000;
  }
  return run;
}

TEST_F(HarnessOnAChain, PredictsEveryStrategyFromAnObservedRunWithoutRunningIt) {
  bench::Harness harness(plugins.registry, "chain:3", bench::generated_workload("chain:3"));
  std::vector<bench::Strategy> strategies;
  for (const char* name : {"sequential", "tee", "memory"}) {
    strategies.push_back(bench::make_strategy(name, 1));
  }
  const auto results = harness.predict(strategies, point, observed_chain3(), 0);
  ASSERT_EQ(results.size(), 3U);
  // sequential: each step reads (1 s), computes (0.1 s) and writes (1 s).
  EXPECT_NEAR(find(results, "sequential").wall_s, 3 * 2.1, 1e-9);
  EXPECT_EQ(find(results, "sequential").reads, 3U);
  // The tee: the raw read, the three computes, then the last write.
  EXPECT_NEAR(find(results, "tee").wall_s, 1 + 0.3 + 1, 1e-9);
  EXPECT_NEAR(find(results, "memory").wall_s, 1.3, 1e-9);
  for (const auto& result : results) {
    EXPECT_TRUE(result.predicted_only) << result.strategy;
    EXPECT_EQ(result.predicted_s, result.wall_s) << result.strategy;
    EXPECT_EQ(result.time_scale, 1);
    ASSERT_TRUE(result.optimum_s.has_value()) << result.strategy;
    EXPECT_LE(result.bound_s, result.wall_s + 1e-9) << result.strategy;
  }
  EXPECT_NEAR(*find(results, "tee").speedup, 6.3 / 2.3, 1e-9);
  // The modelled compute of the point comes on top of the observed one.
  point.compute = 400ms;
  EXPECT_NEAR(harness.predict(strategies, point, observed_chain3(), 0).front().wall_s, 3 * 2.5,
              1e-9);
  // So does the calibration's overhead, once per read, write and node.
  point.compute = {};
  EXPECT_NEAR(harness.predict(strategies, point, observed_chain3(), 0.01).front().wall_s,
              6.3 + 9 * 0.01, 1e-9);
  EXPECT_THAT(
      bench::format_table(results),
      AllOf(HasSubstr("predicted (s)"), Not(HasSubstr("wall (s)")), Not(HasSubstr("x predicted"))));
}

TEST_F(HarnessOnAChain, TheCalibrationMakesTheTracedStrategyItsMeasuredTime) {
  bench::Harness harness(plugins.registry, "chain:3", bench::generated_workload("chain:3"));
  bench::ObservedRun run = observed_chain3();
  bench::ObservedStorage seen;
  seen.read_latency = seen.write_latency = 1;
  EXPECT_EQ(harness.calibrate(run, seen).overhead, 0);  // no strategy known: none
  run.model = bench::model_of(bench::make_strategy("sequential", 1));
  run.wall_s = 6.3 + 0.9;
  const bench::Calibration calibration = harness.calibrate(run, seen);
  EXPECT_NEAR(calibration.predicted_s, 6.3, 1e-9);
  EXPECT_NEAR(calibration.overhead, 0.1, 1e-9);  // 0.9 s over 3 reads, 3 writes and 3 nodes
}

TEST_F(HarnessOnAChain, AnObservedRunOfOtherNodesIsAnErrorNamingTheTraceAndTheNode) {
  bench::Harness harness(plugins.registry, "chain:3", bench::generated_workload("chain:3"));
  const std::vector<bench::Strategy> strategies = {bench::make_strategy("sequential", 1)};
  bench::ObservedRun missing = observed_chain3();
  missing.compute.erase("step_2");
  EXPECT_THAT([&] { harness.predict(strategies, point, missing, 0); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("'t.json' has no span of node 'step_2'"),
                                               HasSubstr("sluice run --hooks timeline"))));
  bench::ObservedRun extra = observed_chain3();
  extra.compute["step_9"] = 1;
  EXPECT_THAT(
      [&] { harness.predict(strategies, point, extra, 0); },
      ThrowsMessage<ConfigError>(AllOf(HasSubstr("'t.json' has a span of node 'step_9'"),
                                       HasSubstr("which scenario 'chain:3' does not have"))));
  const bench::Strategy ray = bench::parse_strategy("ray", "runner: ray", 2);
  EXPECT_THAT([&] { harness.predict({ray}, point, observed_chain3(), 0); },
              ThrowsMessage<ConfigError>(HasSubstr("cannot predict strategy 'ray'")));
  // The mpi runner is predicted: a chain on 2 ranks takes what it takes on one.
  const auto mpi =
      harness.predict({bench::make_strategy("mpi", 2), strategies[0]}, point, observed_chain3(), 0);
  ASSERT_EQ(mpi.size(), 2U);
  EXPECT_DOUBLE_EQ(mpi[0].wall_s, mpi[1].wall_s);
}

}  // namespace
}  // namespace sluice
