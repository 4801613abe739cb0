#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/error.hpp>
#include <sluice/hooks/postmortem.hpp>

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(PostmortemReader, ABundleReadsBackAsItWasWritten) {
  Bundle bundle;
  bundle.folder = "postmortem/run-1";
  bundle.run_id = "run-1";
  bundle.failing_node = "split";
  bundle.phase = "running";
  bundle.error = "a \"quoted\"\nerror";
  bundle.datasets = {{"x", "in memory", 8, "MemoryDataset", "", {"split", "report"}}};
  bundle.inputs = {{"x", "", "", "no codec"}};
  bundle.parameters = Param(Param::Map{{"train_fraction", 1.5}, {"seeds", Param::List{1, 2}}});
  const Bundle read = parse_bundle(bundle_json(bundle), bundle.folder);
  EXPECT_EQ(bundle_json(read), bundle_json(bundle));
  EXPECT_EQ(read.error, bundle.error);
  EXPECT_EQ(read.datasets.at(0).bytes, 8U);
  EXPECT_EQ(read.datasets.at(0).remaining_consumers, bundle.datasets[0].remaining_consumers);
  EXPECT_EQ(read.parameters.at("seeds").as_list().at(1).as_int(), 2);
}

TEST(PostmortemReader, ABrokenStateFileIsNamedWithWhereItBreaks) {
  EXPECT_THAT(
      [] { parse_bundle("{\"run_id\": \"r\",\n \"datasets\": [,]}", "pm/run-1"); },
      ThrowsMessage<ConfigError>(AllOf(HasSubstr("pm/run-1/state.json:2:15: not valid JSON"),
                                       HasSubstr("run the pipeline again"))));
  EXPECT_THAT([] { parse_bundle("{\"datasets\": [{\"name\": \"x\"}]}", "pm/run-1"); },
              ThrowsMessage<ConfigError>(HasSubstr("dataset 'x' needs \"bytes\"")));
  EXPECT_THAT([] { parse_bundle("{\"datasets\": 3}", "pm/run-1"); },
              ThrowsMessage<ConfigError>(HasSubstr("\"datasets\" must be a list of objects")));
  const std::string deep =
      "{\"parameters\": " + std::string(300, '[') + std::string(300, ']') + "}";
  EXPECT_THAT([&] { parse_bundle(deep, "pm/run-1"); },
              ThrowsMessage<ConfigError>(HasSubstr("\"parameters\" nest deeper than 256 levels")));
}

}  // namespace
}  // namespace sluice
