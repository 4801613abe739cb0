// Every shipped hook lists in events() each event it overrides (else the override is never
// called). node_timing is a plugin whose class is not visible outside its library.

#include <gtest/gtest.h>

#include <sluice/core/registry.hpp>
#include <sluice/hooks/cache.hpp>
#include <sluice/hooks/debug_catalog.hpp>
#include <sluice/hooks/memory_profiler.hpp>
#include <sluice/hooks/tee.hpp>
#include <sluice/hooks/timeline.hpp>

#include "support/expect_events.hpp"
#include "support/temp_dir.hpp"

namespace sluice {
namespace {

using testing::expect_events_match_overrides;

TEST(HookEvents, TheTeeListsEveryEventItOverrides) {
  expect_events_match_overrides(TeeHook(TeeOptions{}));
}

TEST(HookEvents, TheCacheListsEveryEventItOverrides) {
  expect_events_match_overrides(CacheHook());
}

TEST(HookEvents, TheMemoryProfilerListsEveryEventItOverrides) {
  expect_events_match_overrides(MemoryProfilerHook(MemoryProfilerOptions{}));
}

TEST(HookEvents, DebugCatalogListsEveryEventItOverrides) {
  testing::TempDir dir;
  Registry registry;
  expect_events_match_overrides(DebugCatalogHook(
      DebugCatalogOptions{.trace = false, .folder = dir / "postmortem", .redact = {}},
      registry.codecs));
}

TEST(HookEvents, TheTimelineListsEveryEventItOverrides) {
  testing::TempDir dir;
  expect_events_match_overrides(TimelineHook(TimelineOptions{.path = dir / "timeline.json"}));
}

}  // namespace
}  // namespace sluice
