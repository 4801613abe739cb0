// The one door from a hooks.yml list to hooks attached to a run: parse_hook_specs,
// HookManager::add_from_specs and Catalog::attach.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/catalog.hpp>
#include <sluice/core/clock.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/datasets/memory_dataset.hpp>
#include <sluice/core/hook_manager.hpp>
#include <sluice/core/hook_specs.hpp>
#include <sluice/core/registry.hpp>

#include "support/recording_hook.hpp"

namespace sluice {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::ThrowsMessage;

std::vector<HookSpec> specs_of(const std::string& yaml) {
  return parse_hook_specs(parse_yaml(yaml, "hooks.yml").at("hooks"), "hook entry");
}

TEST(ParseHookSpecs, ReadsNameOptionsAndPriorityOfEveryEntry) {
  const auto specs = specs_of(
      "hooks:\n"
      "  - name: timing\n"
      "    priority: -3\n"
      "    options: {min_ms: 5}\n"
      "  - name: tee\n");
  ASSERT_EQ(specs.size(), 2U);
  EXPECT_EQ(specs[0].name, "timing");
  EXPECT_EQ(specs[0].priority, -3);
  EXPECT_EQ(specs[0].options.at("min_ms").as_int(), 5);
  EXPECT_EQ(specs[0].mark.str(), "hooks.yml:2:5");
  EXPECT_EQ(specs[1].name, "tee");
  EXPECT_EQ(specs[1].priority, 0);
  EXPECT_TRUE(specs[1].options.is_null());
  EXPECT_EQ(specs[1].mark.str(), "hooks.yml:5:5");
  EXPECT_THAT(specs_of("hooks: []\n"), IsEmpty());
}

TEST(ParseHookSpecs, RejectsBadEntriesNamingTheirFileAndLine) {
  EXPECT_THAT([] { specs_of("hooks: tee\n"); },
              ThrowsMessage<ConfigError>(
                  HasSubstr("hooks.yml:1:8: 'hooks' must be a list of {name, options, priority}")));
  EXPECT_THAT([] { specs_of("hooks:\n  - options: {}\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("hooks.yml:2:5: hook entry")));
  EXPECT_THAT([] { specs_of("hooks:\n  - name: tee\n    priorty: 1\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("'priorty' (did you mean 'priority'?) at "
                                                   "hooks.yml:3:14")));
  EXPECT_THAT([] { specs_of("hooks:\n  - name: tee\n    priority: 1099511627776\n"); },
              ThrowsMessage<ConfigError>(
                  HasSubstr("hooks.yml:3:15: hook entry: option 'priority': 1099511627776 is out "
                            "of range")));
  EXPECT_THAT([] { specs_of("hooks:\n  - name: tee\n    options: [1]\n"); },
              ThrowsMessage<ConfigError>(HasSubstr("hooks.yml:3:14: hook entry: option "
                                                   "'options'")));
}

// Logs "<name>:<tag option>" when the catalog is created; built by the registry's factory.
class NamedHook : public Hook {
 public:
  NamedHook(std::vector<std::string>& log, const HookContext& context)
      : log_(log),
        entry_(context.name + ":" +
               (context.options.is_null() ? "" : context.options.at("tag").as_string())),
        has_clock_(context.clock != nullptr),
        has_registry_(context.registry != nullptr) {}
  Events events() const override { return {Event::after_catalog_created}; }
  void after_catalog_created(Catalog&) override {
    log_.push_back(entry_ + (has_clock_ && has_registry_ ? "" : " (no clock or registry)"));
  }

 private:
  std::vector<std::string>& log_;
  std::string entry_;
  bool has_clock_;
  bool has_registry_;
};

class AddFromSpecs : public ::testing::Test {
 protected:
  AddFromSpecs() {
    for (const char* name : {"early", "late", "plain"}) {
      registry.hooks.add(name, [this](const HookContext& hook_context) {
        return std::make_shared<NamedHook>(log, hook_context);
      });
    }
    context.clock = &system_clock();
  }

  std::vector<std::string> log;
  Registry registry;
  HookContext context;
};

TEST_F(AddFromSpecs, BuildsEachHookWithItsOptionsAndRunsThemByPriority) {
  auto hooks = std::make_shared<HookManager>();
  hooks->add_from_specs(registry,
                        specs_of("hooks:\n"
                                 "  - {name: late, priority: 10, options: {tag: l}}\n"
                                 "  - {name: plain}\n"
                                 "  - {name: early, priority: -1, options: {tag: e}}\n"),
                        context);
  EXPECT_THAT(hooks->names(), ElementsAre("late", "plain", "early"));
  Catalog catalog;
  catalog.attach(hooks);
  EXPECT_THAT(log, ElementsAre("early:e", "plain:", "late:l"));
}

TEST_F(AddFromSpecs, AnUnknownNameNamesTheEntryAndTheRegisteredHooksAndAddsNothing) {
  HookManager hooks;
  EXPECT_THAT(
      [&] {
        hooks.add_from_specs(registry, specs_of("hooks:\n  - name: plain\n  - name: lat\n"),
                             context);
      },
      ThrowsMessage<ConfigError>(HasSubstr("hooks.yml:3:5: unknown hook 'lat' (did you mean "
                                           "'late'?); known hooks: early, late, plain")));
  EXPECT_THAT(hooks.names(), IsEmpty());
}

TEST(CatalogAttach, SetsTheHooksAndEmitsAfterCatalogCreatedOnce) {
  auto recorder = std::make_shared<testing::RecordingHook>();
  auto hooks = std::make_shared<HookManager>();
  hooks->add("recorder", recorder);
  Catalog catalog;
  catalog.attach(hooks);
  EXPECT_EQ(catalog.hooks(), hooks.get());
  EXPECT_THAT(recorder->seen(), ElementsAre("after_catalog_created"));
  catalog.add("x", std::make_shared<MemoryDataset>(Value::of(1)));
  catalog.release("x");  // dataset events now go through the attached hooks
  EXPECT_THAT(recorder->seen(), ElementsAre("after_catalog_created", "on_dataset_released:x"));
  catalog.attach(nullptr);
  EXPECT_EQ(catalog.hooks(), nullptr);
  EXPECT_THAT(recorder->seen(), ElementsAre("after_catalog_created", "on_dataset_released:x"));
}

}  // namespace
}  // namespace sluice
