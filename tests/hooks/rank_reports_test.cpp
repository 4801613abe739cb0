// The observability hooks in a run of several ranks (`--runner mpi`), played by one process: a
// catalog and a hook per rank, each worker's mail carried to rank 0's as the mpi runner carries
// it (LocalRankMail::add), and the events fired as the runner fires them on each rank.
#include <functional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/datasets/binary_dataset.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/hook.hpp>
#include <sluice/core/pipeline.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/hooks/debug_catalog.hpp>
#include <sluice/hooks/memory_profiler.hpp>
#include <sluice/hooks/timeline.hpp>
#include <sluice/hooks/timeline_trace.hpp>

#include "support/temp_dir.hpp"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

using Doubles = std::vector<double>;

// in -> a -> x -> b -> y: a runs on rank 1, b on rank 2, rank 0 schedules.
const Pipeline& two_nodes() {
  static const Pipeline pipeline{node(
                                     "a", [](const Doubles& in) { return in; }, "in", "x"),
                                 node(
                                     "b", [](const Doubles& x) { return x; }, "x", "y")};
  return pipeline;
}

const Node& node_named(const std::string& name) {
  for (const Node& node : two_nodes().nodes()) {
    if (node.name() == name) {
      return node;
    }
  }
  throw std::logic_error("no node " + name);
}

template <class HookType>
class FakeRanks {
 public:
  FakeRanks(int count, const std::function<std::shared_ptr<HookType>()>& make) {
    for (int rank = 0; rank < count; ++rank) {
      auto one = std::make_unique<Rank>(rank);
      one->hook = make();
      one->run.run_id = rank == 0 ? "run-0" : "run-" + std::to_string(rank);
      one->run.runner = "mpi";
      one->run.rank = rank;
      one->run.ranks = count;
      one->run.mail = &one->mail;
      one->catalog.add("in", std::make_shared<MemoryDataset>(Value::of(Doubles(8, 1.0))));
      one->catalog.add("x", std::make_shared<MemoryDataset>());
      one->catalog.add("y", std::make_shared<MemoryDataset>());
      ranks_.push_back(std::move(one));
    }
  }

  HookType& hook(int rank) { return *ranks_[rank]->hook; }

  void begin() {
    for (auto& rank : ranks_) {
      rank->hook->before_rank_run(rank->run, two_nodes(), CatalogView(rank->catalog));
    }
  }

  // `name` runs on `rank` on `inputs` and saves `output` there.
  void run_node(int rank, const std::string& name, std::vector<Value> inputs, Value output) {
    Rank& on = *ranks_[rank];
    const Node& node = node_named(name);
    on.hook->before_node_run(node, CatalogView(on.catalog), inputs);
    on.hook->after_node_run(node, CatalogView(on.catalog), inputs, {output});
    on.catalog.save(node.outputs()[0], output);
    on.hook->after_dataset_saved(node.outputs()[0], &node, output);
  }

  // `name` fails on `rank` while running on `inputs`.
  void fail_node(int rank, const std::string& name, std::vector<Value> inputs,
                 const std::exception& error) {
    Rank& on = *ranks_[rank];
    const Node& node = node_named(name);
    on.hook->before_node_run(node, CatalogView(on.catalog), inputs);
    on.hook->on_node_error(node, CatalogView(on.catalog), error, NodePhase::run);
  }

  // Each rank's share ends (workers first, as rank 0 collects their reports after its own
  // end), `error` when the run failed; what they posted goes to rank 0.
  void end_shares(const std::exception* error) {
    for (auto& rank : ranks_) {
      if (error != nullptr) {
        rank->hook->on_rank_error(rank->run, two_nodes(), CatalogView(rank->catalog), *error);
      } else {
        rank->hook->after_rank_run(rank->run, two_nodes(), CatalogView(rank->catalog));
      }
    }
    for (std::size_t rank = 1; rank < ranks_.size(); ++rank) {
      for (auto& [key, bytes] : ranks_[rank]->mail.posted()) {
        ranks_[0]->mail.add(static_cast<int>(rank), key, std::move(bytes));
      }
    }
  }

  // Rank 0's pipeline event, after every share ended.
  void end_pipeline(const std::exception* error) {
    Rank& zero = *ranks_[0];
    if (error != nullptr) {
      zero.hook->on_pipeline_error(zero.run, two_nodes(), CatalogView(zero.catalog), *error);
    } else {
      zero.hook->after_pipeline_run(zero.run, two_nodes(), CatalogView(zero.catalog));
    }
  }

  LocalRankMail& mail(int rank) { return ranks_[rank]->mail; }

 private:
  struct Rank {
    explicit Rank(int rank) : mail(rank) {}
    LocalRankMail mail;
    Catalog catalog;
    std::shared_ptr<HookType> hook;
    RunInfo run;
  };
  std::vector<std::unique_ptr<Rank>> ranks_;
};

// --- timeline ------------------------------------------------------------------------------

TEST(RankTimeline, RankZeroWritesOneTraceWithAProcessPerRankHoldingItsNodes) {
  testing::TempDir dir;
  FakeRanks<TimelineHook> ranks(3, [&] {
    return std::make_shared<TimelineHook>(TimelineOptions{.path = dir / "timeline.json"});
  });
  ranks.begin();
  ranks.run_node(1, "a", {Value::of(Doubles(8, 1.0))}, Value::of(Doubles(8, 1.0)));
  ranks.run_node(2, "b", {Value::of(Doubles(8, 1.0))}, Value::of(Doubles(8, 1.0)));
  ranks.end_shares(nullptr);
  EXPECT_FALSE(fs::exists(dir / "timeline.json"));  // no rank writes its own
  ranks.end_pipeline(nullptr);

  const Trace trace = read_trace(dir / "timeline.json");
  EXPECT_EQ(trace.processes.at(0), "rank 0");
  EXPECT_EQ(trace.processes.at(1), "rank 1");
  EXPECT_EQ(trace.processes.at(2), "rank 2");
  ASSERT_EQ(trace.spans.size(), 2U);
  EXPECT_EQ(trace.spans[0].name, "a");
  EXPECT_EQ(trace.spans[0].track.process, 1);
  EXPECT_EQ(trace.spans[1].name, "b");
  EXPECT_EQ(trace.spans[1].track.process, 2);
  EXPECT_EQ(trace.tracks.at(trace.spans[0].track), "runner");
  EXPECT_EQ(track_label(trace, trace.spans[1].track), "rank 2 runner");
  EXPECT_THAT(trace_summary(trace, "timeline.json"), HasSubstr("on 2 threads of 3 processes"));
  const Param json = parse_yaml(read_file(dir / "timeline.json"), "timeline.json");
  EXPECT_EQ(json.at("otherData").at("ranks").as_int(), 3);
  EXPECT_EQ(json.at("otherData").at("run_id").as_string(), "run-0");
}

TEST(RankTimeline, EachRanksSpansAreShiftedByItsWallClockOrigin) {
  TimelineShare first;
  first.wall_origin_ns = 1'000'000'000;
  first.threads = {{1, "runner"}};
  first.spans = {{"node", "a", 0, 1'000, 1, {}}};
  TimelineShare second;
  second.wall_origin_ns = 1'000'002'000;  // 2 us after the first rank's origin
  second.threads = {{1, "runner"}, {2, "tee writer 2"}};
  second.spans = {{"node", "b", 500, 1'500, 1, {}}, {"tee", "write y", 1'000, 4'000, 2, {}}};
  const Trace trace =
      parse_trace(ranks_trace_json("run", "__default__",
                                   {{1, TimelineShare::decode(first.encode(), 1)},
                                    {2, TimelineShare::decode(second.encode(), 2)}}),
                  "timeline.json");
  ASSERT_EQ(trace.spans.size(), 3U);
  EXPECT_DOUBLE_EQ(trace.spans[0].start_ms, 0);
  EXPECT_DOUBLE_EQ(trace.spans[1].start_ms, 0.0025);  // 2 us + 0.5 us
  EXPECT_DOUBLE_EQ(trace.spans[1].end_ms, 0.0035);
  EXPECT_DOUBLE_EQ(trace.spans[2].start_ms, 0.003);
  EXPECT_EQ(trace.spans[2].track, (TrackId{2, 2}));
  EXPECT_EQ(trace.tracks.at({2, 2}), "tee writer 2");
}

TEST(RankTimeline, AShareThatDoesNotReadNamesItsRank) {
  EXPECT_THAT([] { TimelineShare::decode("{\"pid\": 1}", 2); },
              ThrowsMessage<Error>(HasSubstr("the timeline of rank 2")));
  EXPECT_THAT([] { TimelineShare::decode("not json", 3); },
              ThrowsMessage<ConfigError>(HasSubstr("the timeline of rank 3")));
}

TEST(RankTimeline, AFailedRunStillWritesEveryRanksSpans) {
  testing::TempDir dir;
  FakeRanks<TimelineHook> ranks(3, [&] {
    return std::make_shared<TimelineHook>(TimelineOptions{.path = dir / "timeline.json"});
  });
  ranks.begin();
  ranks.run_node(1, "a", {Value::of(Doubles(8, 1.0))}, Value::of(Doubles(8, 1.0)));
  const std::runtime_error boom("b cannot cope");
  ranks.fail_node(2, "b", {Value::of(Doubles(8, 1.0))}, boom);
  const Error failed("node 'b' failed while running: b cannot cope");
  ranks.end_shares(&failed);
  ranks.end_pipeline(&failed);
  const Trace trace = read_trace(dir / "timeline.json");
  ASSERT_EQ(trace.spans.size(), 2U);
  EXPECT_EQ(trace.spans[1].name, "b");
  EXPECT_EQ(trace.spans[1].track.process, 2);
  EXPECT_EQ(trace.tracks.size(), 2U);  // rank 0's thread, which ran nothing, has no track
}

// --- memory_profiler -------------------------------------------------------------------------

TEST(RankMemoryProfiler, RankZeroReportsEveryRankAndThePeakOverRanks) {
  testing::TempDir dir;
  FakeRanks<MemoryProfilerHook> ranks(3, [&] {
    return std::make_shared<MemoryProfilerHook>(MemoryProfilerOptions{.json = dir / "memory.json"});
  });
  ranks.begin();
  constexpr std::size_t kSmall = 1 << 10;  // doubles: 8 KiB on rank 1
  constexpr std::size_t kLarge = 1 << 17;  // 1 MiB on rank 2
  ranks.run_node(1, "a", {Value::of(Doubles(8, 1.0))}, Value::of(Doubles(kSmall, 1.0)));
  ranks.run_node(2, "b", {Value::of(Doubles(8, 1.0))}, Value::of(Doubles(kLarge, 1.0)));
  ranks.end_shares(nullptr);
  EXPECT_FALSE(fs::exists(dir / "memory.json"));  // only rank 0 reports
  ranks.end_pipeline(nullptr);

  const auto reports = ranks.hook(0).rank_reports();
  ASSERT_EQ(reports.size(), 3U);
  EXPECT_EQ(reports[0].rank, 0);
  EXPECT_TRUE(reports[0].report.nodes.empty());  // rank 0 only schedules
  ASSERT_EQ(reports[1].report.nodes.size(), 1U);
  EXPECT_EQ(reports[1].report.nodes[0].node, "a");
  ASSERT_EQ(reports[2].report.nodes.size(), 1U);
  EXPECT_GE(reports[2].report.nodes[0].held_bytes, kLarge * sizeof(double));
  const auto peak = MemoryProfilerHook::peak_over(reports);
  EXPECT_EQ(peak.held_rank, 2);
  EXPECT_EQ(peak.held_node, "b");
  EXPECT_GE(peak.held_bytes, kLarge * sizeof(double));
  EXPECT_GT(peak.rss, 0U);
  EXPECT_FALSE(peak.rss_node.empty());

  const Param json = parse_yaml(read_file(dir / "memory.json"), "memory.json");
  EXPECT_EQ(json.at("peak").at("rank").as_int(), 2);
  EXPECT_EQ(json.at("peak").at("node").as_string(), "b");
  EXPECT_GE(static_cast<std::uint64_t>(json.at("peak").at("held_bytes").as_int()),
            kLarge * sizeof(double));
  const auto& nodes = json.at("nodes").as_list();
  ASSERT_EQ(nodes.size(), 2U);
  EXPECT_EQ(nodes[0].at("rank").as_int(), 1);
  EXPECT_EQ(nodes[0].at("node").as_string(), "a");
  EXPECT_EQ(nodes[1].at("rank").as_int(), 2);
  const auto& per_rank = json.at("ranks").as_list();
  ASSERT_EQ(per_rank.size(), 3U);
  EXPECT_EQ(per_rank[2].at("rank").as_int(), 2);
  EXPECT_EQ(per_rank[2].at("peak").at("node").as_string(), "b");
}

TEST(RankMemoryProfiler, ARunOfOneProcessKeepsItsReportAsItWas) {
  // One rank: nothing is posted, the report is its own, the JSON has no `ranks`.
  testing::TempDir dir;
  FakeRanks<MemoryProfilerHook> ranks(1, [&] {
    return std::make_shared<MemoryProfilerHook>(MemoryProfilerOptions{.json = dir / "memory.json"});
  });
  ranks.begin();
  ranks.run_node(0, "a", {Value::of(Doubles(8, 1.0))}, Value::of(Doubles(8, 1.0)));
  ranks.end_shares(nullptr);
  EXPECT_TRUE(ranks.mail(0).posted().empty());
  ranks.end_pipeline(nullptr);
  const Param json = parse_yaml(read_file(dir / "memory.json"), "memory.json");
  EXPECT_EQ(json.find("ranks"), nullptr);
  EXPECT_EQ(json.at("peak").at("node").as_string(), "a");
  EXPECT_EQ(json.at("peak").at("rss_node").as_string(), "a");
}

// --- debug_catalog ---------------------------------------------------------------------------

struct DebugRanks {
  DebugRanks() { register_builtins(registry); }
  testing::TempDir dir;
  Registry registry;
  FakeRanks<DebugCatalogHook> ranks{
      3, [this] {
        return std::make_shared<DebugCatalogHook>(
            DebugCatalogOptions{.folder = dir / "postmortem", .redact = {}}, registry.codecs);
      }};
};

const DatasetState& state_of(const std::vector<DatasetState>& states, const std::string& name) {
  const auto at = std::find_if(states.begin(), states.end(),
                               [&](const DatasetState& state) { return state.name == name; });
  if (at == states.end()) {
    throw std::logic_error("no dataset " + name);
  }
  return *at;
}

TEST(RankDebugCatalog, OneBundleHoldsTheFailingNodeOfAnotherRankAndEachDatasetFromItsProducer) {
  DebugRanks fixture;
  auto& ranks = fixture.ranks;
  ranks.begin();
  const Doubles x(4, 2.5);
  ranks.run_node(1, "a", {Value::of(Doubles(8, 1.0))}, Value::of(x));
  ranks.fail_node(2, "b", {Value::of(x)}, std::runtime_error("b cannot cope"));
  const ResumableError failed("node 'b' failed while running: b cannot cope", {"a"});
  ranks.end_shares(&failed);
  EXPECT_FALSE(fs::exists(fixture.dir / "postmortem"));  // only rank 0 writes
  ranks.end_pipeline(&failed);

  const fs::path folder = fixture.dir / "postmortem/run-0";
  EXPECT_EQ(ranks.hook(0).last_bundle(), folder);
  EXPECT_EQ(
      std::distance(fs::directory_iterator(fixture.dir / "postmortem"), fs::directory_iterator()),
      1);  // one bundle for the run
  const Bundle bundle = read_bundle(folder);
  EXPECT_EQ(bundle.failing_node, "b");
  EXPECT_EQ(bundle.failing_rank, 2);
  EXPECT_EQ(bundle.error, "b cannot cope");
  EXPECT_EQ(bundle.runner, "mpi");
  // x is in memory on rank 1, which produced it; rank 0 holds nothing.
  EXPECT_EQ(state_of(bundle.datasets, "x").state, "in memory");
  EXPECT_EQ(state_of(bundle.datasets, "x").rank, 1);
  EXPECT_EQ(state_of(bundle.datasets, "x").bytes, Value::of(x).byte_size());
  EXPECT_THAT(state_of(bundle.datasets, "x").remaining_consumers, ElementsAre("b"));
  EXPECT_EQ(state_of(bundle.datasets, "y").state, "not produced");
  EXPECT_EQ(state_of(bundle.datasets, "y").rank, -1);
  // b's input, sent by rank 2 through its codec, is saved in the bundle as usual.
  ASSERT_EQ(bundle.inputs.size(), 1U);
  EXPECT_EQ(bundle.inputs[0].dataset, "x");
  const Value saved = BinaryDataset(folder / bundle.inputs[0].file, fixture.registry.codecs).load();
  EXPECT_EQ(saved.get<Doubles>(), x);
  EXPECT_THAT(describe_bundle(bundle), HasSubstr("failed in node 'b' on rank 2 while running"));
  EXPECT_THAT(dataset_table(bundle.datasets)[0], HasSubstr("rank"));
}

TEST(RankDebugCatalog, AfterASuccessfulRunRankZeroHasEveryRanksStates) {
  DebugRanks fixture;
  auto& ranks = fixture.ranks;
  ranks.begin();
  ranks.run_node(1, "a", {Value::of(Doubles(8, 1.0))}, Value::of(Doubles(4, 1.0)));
  ranks.run_node(2, "b", {Value::of(Doubles(4, 1.0))}, Value::of(Doubles(2, 1.0)));
  ranks.end_shares(nullptr);
  ranks.end_pipeline(nullptr);
  const auto states = ranks.hook(0).states();
  EXPECT_EQ(state_of(states, "x").rank, 1);
  EXPECT_EQ(state_of(states, "x").state, "in memory");
  EXPECT_TRUE(state_of(states, "x").remaining_consumers.empty());  // b ran, on rank 2
  EXPECT_EQ(state_of(states, "y").rank, 2);
  EXPECT_EQ(state_of(states, "y").state, "in memory");
  EXPECT_FALSE(fs::exists(fixture.dir / "postmortem"));
}

}  // namespace
}  // namespace sluice
