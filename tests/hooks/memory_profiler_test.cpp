#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/clock.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/datasets/cached_dataset.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/hooks/memory_profiler.hpp>
#include <sluice/hooks/tee.hpp>
#include <sluice/runners/sequential_runner.hpp>

#include "support/gate.hpp"
#include "support/recording_dataset.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::ThrowsMessage;

// A chain whose input is a large cached dataset: first reads it, second and third do not.
struct CachedInputChain {
  CachedInputChain() {
    hooks->add("memory_profiler", profiler);
    catalog.add("big_input", std::make_shared<CachedDataset>(source));
    catalog.attach(hooks);
  }

  MemoryProfilerHook::Report run(bool keep_inputs) {
    SequentialRunner runner;
    runner.set_keep_inputs(keep_inputs);
    runner.run(pipeline, catalog);
    return profiler->report();
  }

  static constexpr std::size_t kElements = 1 << 20;  // 8 MiB of doubles
  std::shared_ptr<testing::RecordingDataset> source =
      std::make_shared<testing::RecordingDataset>(Value::of(std::vector<double>(kElements, 1.0)));
  testing::TempDir dir;
  std::shared_ptr<MemoryProfilerHook> profiler =
      std::make_shared<MemoryProfilerHook>(MemoryProfilerOptions{.json = dir / "memory.json"});
  std::shared_ptr<HookManager> hooks = std::make_shared<HookManager>();
  Catalog catalog;
  Pipeline pipeline{
      node(
          "first", [](const std::vector<double>& v) { return static_cast<int>(v.size()); },
          "big_input", "a"),
      node(
          "second", [](int x) { return x + 1; }, "a", "b"),
      node(
          "third", [](int x) { return x + 1; }, "b", "c"),
  };
};

TEST(MemoryProfiler, ALargeCachedInputIsReleasedAfterTheFirstNode) {
  CachedInputChain chain;
  const auto report = chain.run(/*keep_inputs=*/false);
  ASSERT_EQ(report.nodes.size(), 3U);
  const std::uint64_t big = CachedInputChain::kElements * sizeof(double);
  EXPECT_EQ(report.nodes[0].node, "first");
  EXPECT_GE(report.nodes[0].held_bytes, big);    // still cached while first runs
  EXPECT_LT(report.nodes[1].held_bytes, 1024U);  // released right after it
  EXPECT_LT(report.nodes[1].held_delta, -static_cast<std::int64_t>(big) + 1024);
  EXPECT_EQ(report.peak_node, "first");
  EXPECT_GE(report.peak_held_bytes, big);
  EXPECT_GT(report.nodes[0].rss_after, 0U);
  EXPECT_THAT(report.held_after_last_use, IsEmpty());
}

TEST(MemoryProfiler, WithKeepInputsTheInputIsFlaggedAsHeldAfterItsLastUse) {
  CachedInputChain chain;
  const auto report = chain.run(/*keep_inputs=*/true);
  const std::uint64_t big = CachedInputChain::kElements * sizeof(double);
  ASSERT_EQ(report.nodes.size(), 3U);
  EXPECT_GE(report.nodes[2].held_bytes, big);  // held until the end
  ASSERT_EQ(report.held_after_last_use.size(), 1U);
  const auto& held = report.held_after_last_use[0];
  EXPECT_EQ(held.dataset, "big_input");
  EXPECT_GE(held.bytes, big);
  EXPECT_GT(held.seconds, 0);
  EXPECT_EQ(held.reason, "not released");

  // The same, as JSON (the `json` option).
  const std::string text = read_file(chain.dir / "memory.json");
  const Param json = parse_yaml(text, "memory.json");
  EXPECT_GE(static_cast<std::uint64_t>(json.at("peak").at("held_bytes").as_int()), big);
  EXPECT_EQ(json.at("nodes").as_list().size(), 3U);
  EXPECT_EQ(json.at("held_after_last_use").as_list()[0].at("dataset").as_string(), "big_input");
}

TEST(MemoryProfiler, ReportsOncePerRunWhenAFailureFollowsTheEnd) {
  // A hook failing in after_pipeline_run (the tee) is followed by on_pipeline_error.
  CachedInputChain chain;
  chain.run(false);
  std::filesystem::remove(chain.dir / "memory.json");
  chain.profiler->on_pipeline_error({}, chain.pipeline, CatalogView(chain.catalog),
                                    std::runtime_error("a write failed"));
  EXPECT_FALSE(std::filesystem::exists(chain.dir / "memory.json"));
  EXPECT_EQ(chain.profiler->report().nodes.size(), 3U);
}

TEST(MemoryProfiler, AKeptInputIsHeldFromItsLastConsumerToTheEndOfTheRun) {
  const ManualClock clock;
  CachedInputChain chain;
  chain.profiler = std::make_shared<MemoryProfilerHook>(MemoryProfilerOptions{}, clock);
  chain.hooks = std::make_shared<HookManager>();
  chain.hooks->add("memory_profiler", chain.profiler);
  chain.catalog.attach(chain.hooks);
  // Each node takes a second: first (the last consumer of big_input) ends at 1 s, the run at 3 s.
  const auto plus_one_in_a_second = [&](int x) {
    clock.advance(std::chrono::seconds(1));
    return x + 1;
  };
  chain.pipeline = Pipeline{node(
                                "first",
                                [&](const std::vector<double>& v) {
                                  clock.advance(std::chrono::seconds(1));
                                  return static_cast<int>(v.size());
                                },
                                "big_input", "a"),
                            node("second", plus_one_in_a_second, "a", "b"),
                            node("third", plus_one_in_a_second, "b", "c")};
  const auto report = chain.run(/*keep_inputs=*/true);
  ASSERT_EQ(report.held_after_last_use.size(), 1U);
  EXPECT_DOUBLE_EQ(report.held_after_last_use[0].seconds, 2.0);
  EXPECT_THAT(report.held_for_pending_write, IsEmpty());
}

// Persisted storage whose writes wait for a gate.
class GatedStorage : public Dataset {
 public:
  explicit GatedStorage(testing::Gate& gate) : gate_(gate) {}
  Value load() override { throw std::runtime_error("not stored"); }
  void save(const Value&) override { gate_.wait(); }
  bool exists() const override { return true; }
  std::string dataset_type() const override { return "GatedStorage"; }

 private:
  testing::Gate& gate_;
};

// When `dataset` is released, time passes (3 s on the clock) and then its write may finish.
class WriteFinishesLater : public Hook {
 public:
  WriteFinishesLater(const ManualClock& clock, testing::Gate& gate) : clock_(clock), gate_(gate) {}
  Events events() const override { return {Event::on_dataset_released}; }
  void on_dataset_released(std::string_view dataset) override {
    if (dataset == "x") {
      clock_.advance(std::chrono::seconds(3));
      gate_.open();
    }
  }

 private:
  const ManualClock& clock_;
  testing::Gate& gate_;
};

TEST(MemoryProfiler, AValueHeldOnlyForItsPendingWriteIsReportedApartWithItsRealDuration) {
  // Whichever hook ends the run first: the profiler waits for the write it measures.
  for (const int profiler_priority : {1, -1}) {
    const ManualClock clock;
    testing::Gate write;
    auto profiler = std::make_shared<MemoryProfilerHook>(MemoryProfilerOptions{}, clock);
    auto hooks = std::make_shared<HookManager>();
    hooks->add("tee", std::make_shared<TeeHook>(TeeOptions{}, clock));
    hooks->add("memory_profiler", profiler, profiler_priority);
    hooks->add("write_finishes_later", std::make_shared<WriteFinishesLater>(clock, write), 2);
    Catalog catalog;
    catalog.add("in", std::make_shared<MemoryDataset>(Value::of(std::vector<double>(1000, 1.0))));
    catalog.add("x", std::make_shared<GatedStorage>(write));
    catalog.attach(hooks);
    // b, x's only consumer, ends at 1 s; x is released then, and its write ends at 4 s.
    const Pipeline pipeline{node(
                                "a", [](const std::vector<double>& v) { return v; }, "in", "x"),
                            node(
                                "b",
                                [&](const std::vector<double>& v) {
                                  clock.advance(std::chrono::seconds(1));
                                  return static_cast<int>(v.size());
                                },
                                "x", "y")};
    SequentialRunner().run(pipeline, catalog);
    const auto report = profiler->report();
    EXPECT_THAT(report.held_after_last_use, IsEmpty());  // not flagged: it waited for its write
    ASSERT_EQ(report.held_for_pending_write.size(), 1U);
    EXPECT_EQ(report.held_for_pending_write[0].dataset, "x");
    EXPECT_GE(report.held_for_pending_write[0].bytes, 1000 * sizeof(double));
    EXPECT_DOUBLE_EQ(report.held_for_pending_write[0].seconds, 3.0);
    EXPECT_THAT(profiler->json(),
                HasSubstr("\"held_for_pending_write\": [\n  {\"dataset\": \"x\""));
  }
}

// Holds its value behind a background write that settles (3 s later on the clock) only when
// someone waits for it through Dataset::wait_for_writes; exists() does not wait.
class WriteSettlesWhenWaitedFor : public Dataset {
 public:
  explicit WriteSettlesWhenWaitedFor(const ManualClock& clock) : clock_(clock) {}
  Value load() override { return value_; }
  void save(const Value& value) override { value_ = value; }
  bool exists() const override { return true; }
  std::string dataset_type() const override { return "WriteSettlesWhenWaitedFor"; }
  void held_values(std::vector<Value>& out) const override {
    if (pending_) {
      out.push_back(value_);
    }
  }
  bool write_pending() const override { return pending_; }
  void wait_for_writes() const override {
    if (pending_) {
      clock_.advance(std::chrono::seconds(3));
      pending_ = false;
    }
  }

 private:
  const ManualClock& clock_;
  Value value_;
  mutable bool pending_ = true;  // only this test's single thread touches it
};

TEST(MemoryProfiler, WaitsThroughTheDatasetContractForAPendingWriteAtTheEndOfTheRun) {
  const ManualClock clock;
  auto profiler = std::make_shared<MemoryProfilerHook>(MemoryProfilerOptions{}, clock);
  auto hooks = std::make_shared<HookManager>();
  hooks->add("memory_profiler", profiler);
  Catalog catalog;
  catalog.add("in", std::make_shared<MemoryDataset>(Value::of(std::vector<double>(1000, 1.0))));
  catalog.add("x", std::make_shared<WriteSettlesWhenWaitedFor>(clock));
  catalog.attach(hooks);
  const Pipeline pipeline{
      node(
          "a", [](const std::vector<double>& v) { return v; }, "in", "x"),
      node(
          "b", [](const std::vector<double>& v) { return v.size(); }, "x", "y")};
  SequentialRunner().run(pipeline, catalog);
  const auto report = profiler->report();
  EXPECT_THAT(report.held_after_last_use, IsEmpty());
  ASSERT_EQ(report.held_for_pending_write.size(), 1U);
  EXPECT_EQ(report.held_for_pending_write[0].dataset, "x");
  EXPECT_DOUBLE_EQ(report.held_for_pending_write[0].seconds, 3.0);  // to the write's end
}

TEST(MemoryProfiler, ReportsWhatTheTeesBudgetSpilledAndReadBack) {
  // hold: never. a saves x; b_wait waits for the writes (x is written and let go); c_use then
  // reads x back from storage.
  auto profiler = std::make_shared<MemoryProfilerHook>(MemoryProfilerOptions{});
  auto tee = std::make_shared<TeeHook>(TeeOptions{.hold = Hold::never});
  auto hooks = std::make_shared<HookManager>();
  hooks->add("tee", tee);
  hooks->add("memory_profiler", profiler);
  Catalog catalog;
  catalog.add("in", std::make_shared<MemoryDataset>(Value::of(std::vector<double>(1000, 1.0))));
  auto x = std::make_shared<testing::RecordingDataset>();
  catalog.add("x", x);
  catalog.add("w", std::make_shared<testing::RecordingDataset>());
  catalog.attach(hooks);
  const Pipeline pipeline{
      node(
          "a", [](const std::vector<double>& v) { return v; }, "in", "x"),
      node(
          "b_wait",
          [&](const std::vector<double>& v) {
            tee->join();
            return v.size();
          },
          "in", "w"),
      node(
          "c_use", [](const std::vector<double>& v) { return v.size(); }, "x", "y")};
  SequentialRunner().run(pipeline, catalog);
  EXPECT_EQ(x->loads, 1);
  const auto report = profiler->report();
  ASSERT_EQ(report.tee_decisions.size(), 1U);
  const auto& decision = report.tee_decisions[0];
  EXPECT_EQ(decision.dataset, "x");
  EXPECT_GE(decision.bytes, 1000 * sizeof(double));
  EXPECT_EQ(decision.spilled, 1U);
  EXPECT_EQ(decision.read_back, 1U);
  EXPECT_EQ(decision.next_reader, "c_use");
  EXPECT_EQ(decision.reason, "hold: never");
  EXPECT_THAT(profiler->json(), HasSubstr("\"tee_decisions\": [\n  {\"dataset\": \"x\""));
}

TEST(MemoryProfiler, OptionsAreChecked) {
  EXPECT_EQ(MemoryProfilerOptions::parse(parse_yaml("json: m.json", "hooks.yml"), "mp").json,
            "m.json");
  EXPECT_THAT([] { MemoryProfilerOptions::parse(parse_yaml("jsno: m", "hooks.yml"), "mp"); },
              ThrowsMessage<ConfigError>(HasSubstr("did you mean 'json'")));
}

TEST(MemoryProfiler, TheJsonGoesUnderTheProjectFolderWhichItCreates) {
  testing::TempDir project;
  auto profiler = std::make_shared<MemoryProfilerHook>(
      MemoryProfilerOptions{.json = "data/08_reporting/memory.json"});
  auto hooks = std::make_shared<HookManager>();
  hooks->add("memory_profiler", profiler);
  Catalog catalog;
  catalog.attach(hooks);
  const Pipeline pipeline{node(
      "one", [] { return 1; }, std::vector<std::string>{}, "a")};
  RunInfo run;
  run.project = project.path().string();
  SequentialRunner().run(pipeline, catalog, run);
  EXPECT_THAT(read_file(project / "data/08_reporting/memory.json"), HasSubstr("\"nodes\""));
  EXPECT_FALSE(std::filesystem::exists("data/08_reporting/memory.json"));  // not the current one
}

TEST(MemoryProfiler, AFailedWriteSaysWhy) {
  testing::TempDir project;
  project.write("reports", "a file, not a folder");
  auto hooks = std::make_shared<HookManager>();
  hooks->add("memory_profiler", std::make_shared<MemoryProfilerHook>(MemoryProfilerOptions{
                                    .json = project / "reports/memory.json"}));
  Catalog catalog;
  catalog.attach(hooks);
  const Pipeline pipeline{node(
      "one", [] { return 1; }, std::vector<std::string>{}, "a")};
  EXPECT_THAT([&] { SequentialRunner().run(pipeline, catalog); },
              ThrowsMessage<HookError>(AllOf(HasSubstr("memory_profiler: cannot create folder"),
                                             HasSubstr("reports/memory.json"),
                                             HasSubstr("Not a directory"))));
}

}  // namespace
}  // namespace sluice
