#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/config_loader.hpp>
#include <sluice/core/param.hpp>

namespace sluice {
namespace {

using ::testing::HasSubstr;

TEST(Param, ConvertsToPlainTypes) {
  const Param tree =
      parse_yaml("ratio: 0.25\ncount: 3\nname: iris\nflag: true\nsizes: [1, 2]\n", "params.yml");
  EXPECT_DOUBLE_EQ(tree.at("ratio").as<double>(), 0.25);
  EXPECT_DOUBLE_EQ(tree.at("count").as<double>(), 3.0);  // integers widen to double
  EXPECT_EQ(tree.at("count").as<int>(), 3);
  EXPECT_EQ(tree.at("name").as<std::string>(), "iris");
  EXPECT_TRUE(tree.at("flag").as<bool>());
  EXPECT_EQ(tree.at("sizes").as<std::vector<int>>(), (std::vector<int>{1, 2}));
}

TEST(Param, KindMismatchNamesTheSourceAndTheValue) {
  const Param tree = parse_yaml("a:\n  ratio: lots\n", "conf/base/parameters.yml");
  try {
    tree.at("a").at("ratio").as<double>("params:a.ratio");
    FAIL();
  } catch (const ConfigError& error) {
    EXPECT_THAT(error.what(), HasSubstr("conf/base/parameters.yml:2:10"));
    EXPECT_THAT(error.what(), HasSubstr("params:a.ratio is a string (lots)"));
  }
}

TEST(Param, NumbersThatDoNotFitTheTypeAreAnError) {
  const Param tree = parse_yaml("big: 1099511627776\nhuge: 1e300\nneg: -1\n", "p.yml");
  EXPECT_THAT([&] { tree.at("big").as<int>("params:big"); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr(
                  "p.yml:1:6: params:big is 1099511627776, which is out of range: write a number "
                  "from -2147483648 to 2147483647")));
  EXPECT_THAT([&] { tree.at("neg").as<unsigned>(); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("out of range")));
  EXPECT_THAT([&] { tree.at("huge").as<float>(); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("out of range")));
  EXPECT_EQ(tree.at("big").as<std::int64_t>(), std::int64_t{1} << 40);
  EXPECT_DOUBLE_EQ(tree.at("huge").as<double>(), 1e300);
}

TEST(Param, MissingKeyIsAnError) {
  const Param tree = parse_yaml("a: 1\n", "p.yml");
  EXPECT_EQ(tree.find("b"), nullptr);
  EXPECT_THROW(tree.at("b"), ConfigError);
}

TEST(Param, RendersAsFlowYaml) {
  const Param tree = parse_yaml("a: 1\nb: [x, 'y z']\nc: {d: null}\n", "p.yml");
  EXPECT_EQ(tree.to_string(), "{a: 1, b: [x, y z], c: {d: null}}");
}

}  // namespace
}  // namespace sluice
