#include <memory>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/log.hpp>

#include "support/captured_log.hpp"

namespace sluice {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Log, SetLoggerRoutesSluicesLinesToItAndNullPutsBackTheDefault) {
  spdlog::logger& original = logger();
  Catalog catalog;
  catalog.add("x", std::make_shared<MemoryDataset>(Value::of(1)));
  {
    const testing::CapturedLog captured;  // set_logger(it), then set_logger(nullptr)
    catalog.load("x");
    EXPECT_EQ(&logger(), captured.logger().get());
    EXPECT_THAT(captured.lines(), HasSubstr("info Loading data from 'x' (MemoryDataset)"));
  }
  EXPECT_EQ(&logger(), &original);
  EXPECT_EQ(logger().name(), "sluice");
}

TEST(Log, NothingIsRoutedToALoggerAfterItIsReplaced) {
  const testing::CapturedLog first;
  Catalog catalog;
  catalog.add("x", std::make_shared<MemoryDataset>(Value::of(1)));
  const testing::CapturedLog second;
  catalog.load("x");
  EXPECT_THAT(second.lines(), HasSubstr("Loading data from 'x'"));
  EXPECT_THAT(first.lines(), Not(HasSubstr("Loading data from 'x'")));
}

TEST(Log, AScopedLevelIsPutBackWhenItEnds) {
  const testing::CapturedLog captured(spdlog::level::info);
  {
    const ScopedLogLevel quiet(spdlog::level::warn);
    EXPECT_EQ(logger().level(), spdlog::level::warn);
    logger().info("hidden");
    logger().warn("shown");
  }
  EXPECT_EQ(logger().level(), spdlog::level::info);
  logger().info("after");
  EXPECT_THAT(captured.lines(), Not(HasSubstr("hidden")));
  EXPECT_THAT(captured.lines(), HasSubstr("warning shown"));
  EXPECT_THAT(captured.lines(), HasSubstr("info after"));
}

}  // namespace
}  // namespace sluice
