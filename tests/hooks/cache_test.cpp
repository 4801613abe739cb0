#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/config_loader.hpp>
#include <sluice/core/datasets/cached_dataset.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/hooks/cache.hpp>
#include <sluice/runners/sequential_runner.hpp>

#include "support/recording_dataset.hpp"

namespace sluice {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::RecordingDataset;
using ::testing::ThrowsMessage;

int plus_one(int x) {
  return x + 1;
}

TEST(CacheHook, LoadsAfterASaveComeFromMemoryAndTheCacheIsReleased) {
  auto x = std::make_shared<RecordingDataset>();
  auto y = std::make_shared<RecordingDataset>();
  Catalog catalog;
  catalog.add("in", std::make_shared<MemoryDataset>(Value::of(1)));
  catalog.add("x", x);
  catalog.add("y", y);
  auto hooks = std::make_shared<HookManager>();
  hooks->add("cache", CacheHook::from_options(Param(), "cache"));
  catalog.attach(hooks);

  std::vector<bool> x_cached_in_c;
  auto cached_x = std::static_pointer_cast<CachedDataset>(catalog.get("x"));
  const Pipeline pipeline{
      node("a", plus_one, "in", "x"),
      node("b", plus_one, "x", "y"),
      node(
          "c",
          [&](int v) {
            x_cached_in_c.push_back(cached_x->is_cached());
            return v;
          },
          "y", "z"),
  };
  SequentialRunner().run(pipeline, catalog);
  EXPECT_EQ(x->saves, 1);  // written through
  EXPECT_EQ(x->loads, 0);  // read from memory
  EXPECT_EQ(y->loads, 0);
  EXPECT_THAT(x_cached_in_c, ElementsAre(false));  // released after b, its last consumer
}

TEST(CacheHook, OnlyMatchingPersistedDatasetsAreWrapped) {
  Catalog catalog;
  catalog.add("model_input", std::make_shared<RecordingDataset>());
  catalog.add("model_output", std::make_shared<RecordingDataset>());
  catalog.add("report", std::make_shared<RecordingDataset>());
  catalog.add("scratch", std::make_shared<MemoryDataset>());
  catalog.add_parameters(Param(Param::Map{{"alpha", 1}}));
  CacheHook hook({"model_*", "scratch"});
  hook.after_catalog_created(catalog);
  EXPECT_THAT(hook.cached(), ElementsAre("model_input", "model_output"));
  EXPECT_EQ(catalog.get("report")->dataset_type(), "RecordingDataset");
  EXPECT_EQ(catalog.get("scratch")->dataset_type(), "MemoryDataset");
}

TEST(CacheHook, OptionsAreValidated) {
  EXPECT_THAT([] { CacheHook::from_options(parse_yaml("datasets: x\n", "hooks.yml"), "cache"); },
              ThrowsMessage<ConfigError>(HasSubstr("is a string (x) but a list is expected")));
  EXPECT_THAT([] { CacheHook::from_options(parse_yaml("dataset: [x]\n", "hooks.yml"), "cache"); },
              ThrowsMessage<ConfigError>(HasSubstr("unknown option 'dataset'")));
}

}  // namespace
}  // namespace sluice
