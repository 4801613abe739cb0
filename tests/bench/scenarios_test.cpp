#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/bench/lower_bound.hpp>
#include <sluice/bench/scenarios.hpp>
#include <sluice/runners/parallel_runner.hpp>
#include <sluice/runners/sequential_runner.hpp>

namespace sluice {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

bench::BoundInputs uniform(const Pipeline& pipeline, double compute, double r, double w,
                           std::size_t workers) {
  bench::BoundInputs inputs;
  for (const auto& node : pipeline.nodes()) {
    inputs.compute[node.name()] = compute;
  }
  inputs.read_latency = r;
  inputs.write_latency = w;
  inputs.workers = workers;
  inputs.persisted = [](const std::string&) { return true; };
  return inputs;
}

TEST(Scenarios, ShapesAndTheirLowerBounds) {
  const ManualClock clock;
  const auto chain = bench::make_scenario("chain:8", {}, clock);
  EXPECT_EQ(chain.pipeline.size(), 8U);
  EXPECT_THAT(chain.pipeline.inputs(), ElementsAre("raw"));
  EXPECT_THAT(chain.pipeline.outputs(), ElementsAre("step_8_out"));
  // read 10 s, eight 1 s steps, then the last write: 10 + 8 + 10.
  EXPECT_DOUBLE_EQ(bench::lower_bound(chain.pipeline, uniform(chain.pipeline, 1, 10, 10, 1)), 28);

  const auto fanout = bench::make_scenario("fanout:4", {}, clock);
  EXPECT_EQ(fanout.pipeline.size(), 6U);  // source, 4 branches, join
  // Latency-bound: read 10, source, branch and join 1 s each on the critical path, write 10.
  EXPECT_DOUBLE_EQ(bench::lower_bound(fanout.pipeline, uniform(fanout.pipeline, 1, 10, 10, 4)), 23);
  // Compute-bound: the path is 3 x 10 s = 30, the six nodes' 60 s over the workers may be more.
  EXPECT_DOUBLE_EQ(bench::lower_bound(fanout.pipeline, uniform(fanout.pipeline, 10, 0, 0, 1)), 60);
  EXPECT_DOUBLE_EQ(bench::lower_bound(fanout.pipeline, uniform(fanout.pipeline, 10, 0, 0, 4)), 30);
}

TEST(Scenarios, NodesSpendTheirComputeOnTheClockAndTheDataFlows) {
  const ManualClock clock;
  const auto diamond = bench::make_scenario("diamond", {.compute = 2s, .payload = 8}, clock);
  Catalog catalog;
  diamond.add_inputs(catalog, {.payload = 8});
  const auto outputs = SequentialRunner().run(diamond.pipeline, catalog);
  EXPECT_EQ(clock.now(), 8s);  // four nodes, 2 s each
  EXPECT_EQ(outputs.at("result").get<std::vector<double>>().size(), 8U);

  const auto random = bench::make_scenario("random:30:7", {}, clock);
  const auto again = bench::make_scenario("random:30:7", {}, clock);
  EXPECT_EQ(random.pipeline.size(), 30U);
  EXPECT_EQ(random.pipeline.all_inputs(), again.pipeline.all_inputs());  // seeded
  Catalog random_catalog;
  random.add_inputs(random_catalog, {});
  EXPECT_NO_THROW(ParallelRunner(2).run(random.pipeline, random_catalog));
}

TEST(Scenarios, UnknownOrMalformedSpecsListTheForms) {
  const ManualClock clock;
  for (const char* bad : {"ring:3", "chain", "chain:0", "chain:x", "diamond:2"}) {
    EXPECT_THAT([&] { bench::make_scenario(bad, {}, clock); },
                ThrowsMessage<ConfigError>(HasSubstr("scenario")))
        << bad;
  }
  EXPECT_THAT([&] { bench::make_scenario("ring:3", {}, clock); },
              ThrowsMessage<ConfigError>(HasSubstr("chain:N, fanout:N, diamond or random:N")));
}

TEST(Scenarios, TooManyNodesOrTooLargeAPayloadIsRefusedBeforeAllocating) {
  const ManualClock clock;
  for (const char* huge : {"chain:100000000", "fanout:100000000", "random:100000000:3"}) {
    EXPECT_THAT(
        [&] { bench::make_scenario(huge, {}, clock); },
        ThrowsMessage<ConfigError>(AllOf(HasSubstr("is too large"), HasSubstr("at most 1000000"))))
        << huge;
  }
  EXPECT_THAT([] { bench::check_payload(std::uint64_t{1} << 60, "--payload"); },
              ThrowsMessage<ConfigError>(AllOf(HasSubstr("--payload 1048576.0 TiB is too large"),
                                               HasSubstr("use a smaller --payload"))));
  EXPECT_NO_THROW(bench::check_payload(8192, "--payload"));
}

}  // namespace
}  // namespace sluice
