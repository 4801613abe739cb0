#include <condition_variable>
#include <mutex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <iris/pipeline.hpp>

#include <sluice/bench/slow_storage.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/trace.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/hooks/tee.hpp>
#include <sluice/hooks/timeline.hpp>
#include <sluice/runners/node_error.hpp>
#include <sluice/runners/sequential_runner.hpp>

#include "support/iris_project.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

struct Span {
  std::string name, category;
  double start = 0, end = 0;
  std::int64_t thread = 0;
  Param args;
};

// Reads a trace back (YAML reads JSON) and checks its shape.
std::vector<Span> spans_of(const std::string& json) {
  const Param trace = parse_yaml(json, "timeline.json");
  std::vector<Span> spans;
  for (const Param& event : trace.at("traceEvents").as_list()) {
    if (event.at("ph").as_string() == "X") {
      const double start = event.at("ts").as_double();
      spans.push_back({event.at("name").as_string(), event.at("cat").as_string(), start,
                       start + event.at("dur").as_double(), event.at("tid").as_int(),
                       event.at("args")});
    }
  }
  return spans;
}

// On every thread, two spans are either disjoint or one holds the other.
void expect_nested_per_thread(const std::vector<Span>& spans) {
  for (const Span& a : spans) {
    for (const Span& b : spans) {
      if (&a == &b || a.thread != b.thread) {
        continue;
      }
      const bool disjoint = a.end <= b.start || b.end <= a.start;
      const bool nested =
          (a.start <= b.start && b.end <= a.end) || (b.start <= a.start && a.end <= b.end);
      EXPECT_TRUE(disjoint || nested) << a.name << " and " << b.name << " overlap on a thread";
    }
  }
}

/// A ScaledClock whose sleeps on threads other than the one that made it (the tee's writers)
/// wait until open() is called, so a background write provably outlasts the nodes that run
/// before open(): the test asserts an order, not a race against the scheduler.
class WritesWaitClock final : public Clock {
 public:
  explicit WritesWaitClock(double real_per_simulated) : scaled_(real_per_simulated) {}
  duration now() const override { return scaled_.now(); }
  std::chrono::system_clock::time_point wall_time() const override { return scaled_.wall_time(); }
  void sleep_for(duration d) const override {
    if (std::this_thread::get_id() != owner_) {
      std::unique_lock lock(mutex_);
      opened_.wait(lock, [&] { return open_; });
    }
    scaled_.sleep_for(d);
  }
  void open() const {
    {
      const std::lock_guard lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }

 private:
  ScaledClock scaled_;
  std::thread::id owner_ = std::this_thread::get_id();
  mutable std::mutex mutex_;
  mutable std::condition_variable opened_;
  mutable bool open_ = false;
};

/// Opens the clock after the named node ran.
class OpenAfterNode final : public Hook {
 public:
  OpenAfterNode(const WritesWaitClock& clock, std::string node)
      : clock_(clock), node_(std::move(node)) {}
  Events events() const override { return {Event::after_node_run}; }
  void after_node_run(const Node& node, const CatalogView&, const std::vector<Value>&,
                      const std::vector<Value>&) override {
    if (node.name() == node_) {
      clock_.open();
    }
  }

 private:
  const WritesWaitClock& clock_;
  std::string node_;
};

TEST(Timeline, TeeWritesOverlapLaterNodesOnIrisOnSlowStorage) {
  testing::IrisProject iris;
  const WritesWaitClock clock(0.02);  // 1 s of simulated latency: 20 ms
  Catalog catalog = iris.catalog("slow", &clock);
  auto tee = std::make_shared<TeeHook>(TeeOptions{}, clock);
  TimelineOptions options;
  options.path = iris.path() / "timeline.json";
  auto timeline = std::make_shared<TimelineHook>(options);
  auto hooks = std::make_shared<HookManager>();
  hooks->add("tee", tee);
  hooks->add("timeline", timeline);
  // The background writes may only finish after the last node: they wait for it.
  hooks->add("open", std::make_shared<OpenAfterNode>(clock, "report_accuracy"));
  catalog.attach(hooks);
  SequentialRunner().run(iris::create_pipeline(), catalog);

  const std::string written = read_file(options.path);
  ASSERT_FALSE(written.empty());
  const auto spans = spans_of(written);
  expect_nested_per_thread(spans);

  auto find = [&](const std::string& name) {
    const auto at = std::find_if(spans.begin(), spans.end(),
                                 [&](const Span& span) { return span.name == name; });
    EXPECT_NE(at, spans.end()) << name;
    return at == spans.end() ? Span{} : *at;
  };
  const Span write = find("write X_train");
  const Span predict = find("make_predictions");
  EXPECT_EQ(write.category, "tee");
  EXPECT_NE(write.thread, predict.thread);  // a writer thread's track
  // make_predictions starts after X_train was handed to the tee and ends before its write
  // does: it ran while X_train was being persisted (the clock holds the write until the last
  // node ran, so this is an order, not a race).
  EXPECT_LE(find("save X_train").end, predict.start);
  EXPECT_GT(write.end, predict.end);
  const Span report = find("report_accuracy");
  EXPECT_GT(write.end, report.end);  // the whole rest of the pipeline, in fact
  EXPECT_EQ(find("save X_train").args.at("bytes").as_string(), write.args.at("bytes").as_string());
  EXPECT_EQ(find("load X_train").args.at("node").as_string(), "make_predictions");
  EXPECT_EQ(find("load example_iris_data").category, "load");
  EXPECT_THAT(written, HasSubstr("\"thread_name\""));
  EXPECT_THAT(written, HasSubstr("\"tee writer"));
}

TEST(Timeline, TheTeeWaitingForItsMemoryBudgetIsASpan) {
  // Slow writes and a budget of one byte: each save waits for the previous write.
  const SystemClock clock;
  Catalog catalog;
  catalog.add("in", std::make_shared<MemoryDataset>(Value::of(1)));
  for (const char* name : {"x", "y"}) {
    catalog.add(name,
                std::make_shared<bench::SlowDataset>(
                    std::make_shared<bench::StoredDataset>(),
                    bench::StorageProfile{.write_latency = std::chrono::milliseconds(20)}, clock));
  }
  testing::TempDir dir;
  TimelineOptions options;
  options.path = dir / "timeline.json";
  auto timeline = std::make_shared<TimelineHook>(options);
  auto hooks = std::make_shared<HookManager>();
  hooks->add("tee", std::make_shared<TeeHook>(TeeOptions{.memory_budget = 1}));
  hooks->add("timeline", timeline);
  catalog.attach(hooks);
  const Pipeline pipeline{node(
                              "a", [](int v) { return v + 1; }, "in", "x"),
                          node(
                              "b", [](int v) { return v + 1; }, "x", "y")};
  SequentialRunner().run(pipeline, catalog);
  const auto spans = spans_of(timeline->json());
  const auto wait = std::find_if(spans.begin(), spans.end(), [](const Span& span) {
    return span.name == "wait for memory budget";
  });
  ASSERT_NE(wait, spans.end());
  EXPECT_EQ(wait->category, "tee");
  EXPECT_EQ(wait->args.at("dataset").as_string(), "y");
  expect_nested_per_thread(spans);
}

TEST(Timeline, AFailedNodeEndsItsSpanWithTheError) {
  testing::TempDir dir;
  TimelineOptions options;
  options.path = dir / "trace/timeline.json";
  auto timeline = std::make_shared<TimelineHook>(options);
  auto hooks = std::make_shared<HookManager>();
  hooks->add("timeline", timeline);
  Catalog catalog;
  catalog.add("in", std::make_shared<MemoryDataset>(Value::of(1)));
  catalog.attach(hooks);
  const Pipeline pipeline{node(
      "boom", [](int) -> int { throw std::runtime_error("no luck"); }, "in", "out")};
  EXPECT_THROW(SequentialRunner().run(pipeline, catalog), NodeError);
  const auto spans = spans_of(timeline->json());
  const auto boom = std::find_if(spans.begin(), spans.end(),
                                 [](const Span& span) { return span.name == "boom"; });
  ASSERT_NE(boom, spans.end());
  EXPECT_THAT(boom->args.at("error").as_string(), HasSubstr("no luck"));
  EXPECT_TRUE(std::filesystem::exists(options.path));  // written on failure too
}

TEST(Timeline, OptionsAreCheckedAndTheSinkIsRemovedWithTheHook) {
  EXPECT_THAT([] { TimelineOptions::parse(parse_yaml("paht: x.json", "hooks.yml"), "timeline"); },
              ThrowsMessage<ConfigError>(HasSubstr("did you mean 'path'")));
  auto hooks = std::make_shared<HookManager>();
  {
    TimelineHook timeline({});
    Catalog catalog;
    catalog.attach(hooks);
    timeline.after_catalog_created(catalog);
    timeline.before_rank_run({}, Pipeline{}, CatalogView(catalog));
    EXPECT_NE(hooks->trace()->sinks(), nullptr);
  }
  EXPECT_EQ(hooks->trace()->sinks(), nullptr);
}

// A run whose tee writes `prefix`_mid and `prefix`_out in the background, recorded by its own
// timeline; `inside` is called by its first node.
struct TracedRun {
  TracedRun(const std::string& run, const std::filesystem::path& folder)
      : prefix(run),
        timeline(
            std::make_shared<TimelineHook>(TimelineOptions{.path = folder / (run + ".json")})) {
    catalog.add(prefix + "_in", std::make_shared<MemoryDataset>(Value::of(1)));
    for (const char* name : {"_mid", "_out"}) {
      catalog.add(prefix + name, std::make_shared<bench::StoredDataset>());
    }
    hooks->add("tee", std::make_shared<TeeHook>(TeeOptions{}));
    hooks->add("timeline", timeline);
    catalog.attach(hooks);
  }

  void run(const std::function<void()>& inside) {
    const Pipeline pipeline{
        node(
            prefix + "_first",
            [inside](int v) {
              inside();
              return v + 1;
            },
            prefix + "_in", prefix + "_mid"),
        node(
            prefix + "_second", [](int v) { return v + 1; }, prefix + "_mid", prefix + "_out")};
    SequentialRunner().run(pipeline, catalog);
  }

  std::vector<std::string> span_names() const {
    std::vector<std::string> names;
    for (const Span& span : spans_of(timeline->json())) {
      names.push_back(span.name);
    }
    return names;
  }

  std::string prefix;
  std::shared_ptr<TimelineHook> timeline;
  std::shared_ptr<HookManager> hooks = std::make_shared<HookManager>();
  Catalog catalog;
};

TEST(Timeline, TwoRunsInOneProcessEachRecordOnlyTheirOwnSpans) {
  // Run b starts and ends while run a is under way (inside a's first node): with one trace for
  // the process, a's later background writes would go to b's timeline.
  testing::TempDir dir;
  TracedRun a("a", dir.path());
  TracedRun b("b", dir.path());
  a.run([&] { b.run([] {}); });

  using ::testing::Contains;
  using ::testing::Not;
  using ::testing::StartsWith;
  EXPECT_THAT(a.span_names(), Contains("write a_mid"));
  EXPECT_THAT(a.span_names(), Contains("write a_out"));
  EXPECT_THAT(a.span_names(), Not(Contains(StartsWith("write b_"))));
  EXPECT_THAT(b.span_names(), Contains("write b_out"));
  EXPECT_THAT(b.span_names(), Not(Contains(StartsWith("write a_"))));
}

}  // namespace
}  // namespace sluice
