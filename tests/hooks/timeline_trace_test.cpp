#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/error.hpp>
#include <sluice/core/util/files.hpp>
#include <sluice/hooks/timeline_trace.hpp>

#include "support/temp_dir.hpp"

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

constexpr const char* kTrace =
    "{\"displayTimeUnit\": \"ms\",\n"
    " \"traceEvents\": [\n"
    "  {\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 7, \"args\": {\"name\": \"run\"}},\n"
    "  {\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 7, \"tid\": 1, \"args\": {\"name\": "
    "\"runner\"}},\n"
    "  {\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 7, \"tid\": 2, \"args\": {\"name\": "
    "\"tee writer 1\"}},\n"
    "  {\"name\": \"split\", \"cat\": \"node\", \"ph\": \"X\", \"ts\": 1000.5, \"dur\": 2000, "
    "\"pid\": 7, \"tid\": 1, \"args\": {}},\n"
    "  {\"name\": \"write x\", \"cat\": \"tee\", \"ph\": \"X\", \"ts\": 2500, \"dur\": 10000, "
    "\"pid\": 7, \"tid\": 2, \"args\": {\"bytes\": \"8\"}}\n"
    "]}\n";

TEST(TimelineTrace, ReadsTheSpansAndThreadsOfATrace) {
  const Trace trace = parse_trace(kTrace, "timeline.json");
  ASSERT_EQ(trace.spans.size(), 2U);
  EXPECT_EQ(trace.spans[0].name, "split");
  EXPECT_EQ(trace.spans[0].category, "node");
  EXPECT_DOUBLE_EQ(trace.spans[0].start_ms, 1.0005);
  EXPECT_DOUBLE_EQ(trace.spans[0].end_ms, 3.0005);
  EXPECT_EQ(trace.spans[1].track, (TrackId{7, 2}));
  EXPECT_DOUBLE_EQ(trace.end_ms, 12.5);
  EXPECT_EQ(trace.tracks.at({7, 2}), "tee writer 1");
  EXPECT_EQ(trace.processes.at(7), "run");
  EXPECT_EQ(trace_summary(trace, "timeline.json"),
            "timeline.json: 2 spans on 2 threads over 12.5 ms\n"
            "  runner           node 2.0 ms\n"
            "  tee writer 1     tee 10.0 ms\n");
}

TEST(TimelineTrace, ATraceOfSeveralRanksKeepsTheirThreadsApartAndNamesTheRank) {
  // Under --runner mpi: a process per rank, each with its own thread 1.
  const Trace trace = parse_trace(
      "{\"traceEvents\": [\n"
      " {\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 1, \"args\": {\"name\": "
      "\"rank 1\"}},\n"
      " {\"name\": \"process_name\", \"ph\": \"M\", \"pid\": 2, \"args\": {\"name\": "
      "\"rank 2\"}},\n"
      " {\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 1, \"tid\": 1, \"args\": "
      "{\"name\": \"runner\"}},\n"
      " {\"name\": \"thread_name\", \"ph\": \"M\", \"pid\": 2, \"tid\": 1, \"args\": "
      "{\"name\": \"runner\"}},\n"
      " {\"name\": \"split\", \"cat\": \"node\", \"ph\": \"X\", \"ts\": 0, \"dur\": 1000, "
      "\"pid\": 1, \"tid\": 1, \"args\": {}},\n"
      " {\"name\": \"train\", \"cat\": \"node\", \"ph\": \"X\", \"ts\": 1000, \"dur\": 3000, "
      "\"pid\": 2, \"tid\": 1, \"args\": {}}\n"
      "]}\n",
      "timeline.json");
  ASSERT_EQ(trace.spans.size(), 2U);
  EXPECT_EQ(trace.spans[1].track, (TrackId{2, 1}));
  EXPECT_EQ(trace.tracks.size(), 2U);
  EXPECT_EQ(track_label(trace, {2, 1}), "rank 2 runner");
  EXPECT_EQ(trace_summary(trace, "timeline.json"),
            "timeline.json: 2 spans on 2 threads of 2 processes over 4.0 ms\n"
            "  rank 1 runner    node 1.0 ms\n"
            "  rank 2 runner    node 3.0 ms\n");
}

TEST(TimelineTrace, BadJsonNamesTheFileLineAndColumnAndHowToGetANewTrace) {
  testing::TempDir dir;
  std::string cut = kTrace;
  cut.resize(cut.find("\"write x\"") + 12);  // the file ends inside an event
  write_file_atomically(dir / "timeline.json", cut);
  EXPECT_THAT([&] { read_trace(dir / "timeline.json"); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("timeline.json:7:24: not valid JSON"),
                                               HasSubstr("not valid JSON"),
                                               HasSubstr("sluice run --hooks timeline"))));
  EXPECT_THAT([&] { read_trace(dir / "none.json"); },
              ThrowsMessage<ConfigError>(HasSubstr("run with --hooks timeline")));
}

TEST(TimelineTrace, AnEventWithoutAFieldIsNamed) {
  EXPECT_THAT(
      [] { parse_trace("{\"traceEvents\": [{\"ph\": \"X\", \"name\": \"a\"}]}", "t.json"); },
      ThrowsMessage<ConfigError>(
          HasSubstr("'t.json': event 0 of traceEvents has no field 'cat' (it must be a "
                    "string)")));
  EXPECT_THAT(
      [] {
        parse_trace(
            "{\"traceEvents\": [{\"ph\": \"X\", \"name\": \"a\", \"cat\": \"node\", "
            "\"ts\": \"soon\"}]}",
            "t.json");
      },
      ThrowsMessage<ConfigError>(HasSubstr("has a bad field 'ts' (it must be a number)")));
  EXPECT_THAT(
      [] {
        parse_trace(
            "{\"traceEvents\": [{\"ph\": \"X\", \"name\": \"a\", \"cat\": \"node\", "
            "\"ts\": 1, \"dur\": 2, \"tid\": 1e300}]}",
            "t.json");
      },
      ThrowsMessage<ConfigError>(HasSubstr("has a bad field 'tid' (it must be a whole number)")));
  EXPECT_THAT([] { parse_trace("[1, 2]", "t.json"); },
              ThrowsMessage<ConfigError>(HasSubstr("'t.json' is not a trace-event file")));
}

TEST(TimelineTrace, ReadsTheArgsTheRunnerAndTheDatasetsOfTheRun) {
  const Trace trace = parse_trace(
      R"json({"otherData": {"run_id": "r", "runner": "parallel", "datasets": {
            "x": {"type": "BinaryDataset(filepath=x.bin) (via tee)", "ephemeral": false},
            "m": {"type": "MemoryDataset", "ephemeral": true}}},
          "traceEvents": [{"name": "load x", "cat": "load", "ph": "X", "ts": 0, "dur": 5,
            "tid": 1, "args": {"dataset": "x", "bytes": "8", "ignored": 3}}]})json",
      "t.json");
  EXPECT_EQ(trace.runner, "parallel");
  ASSERT_EQ(trace.datasets.size(), 2U);
  EXPECT_EQ(trace.datasets.at("x").type, "BinaryDataset(filepath=x.bin) (via tee)");
  EXPECT_FALSE(trace.datasets.at("x").ephemeral);
  EXPECT_TRUE(trace.datasets.at("m").ephemeral);
  ASSERT_EQ(trace.spans.size(), 1U);
  EXPECT_EQ(trace.spans[0].args,
            (std::map<std::string, std::string>{{"bytes", "8"}, {"dataset", "x"}}));
  // Older traces have neither: no runner, no datasets.
  EXPECT_TRUE(parse_trace(kTrace, "old.json").runner.empty());
  EXPECT_THAT(
      [] {
        parse_trace(R"json({"otherData": {"datasets": {"x": {"type": 1}}}, "traceEvents": []})json",
                    "t.json");
      },
      ThrowsMessage<ConfigError>(AllOf(HasSubstr("'t.json': otherData dataset 'x' is not"),
                                       HasSubstr("--hooks timeline"))));
  EXPECT_THAT(
      [] { parse_trace(R"json({"otherData": {"runner": 2}, "traceEvents": []})json", "t.json"); },
      ThrowsMessage<ConfigError>(HasSubstr("a 'runner' that is not a string")));
}

}  // namespace
}  // namespace sluice
