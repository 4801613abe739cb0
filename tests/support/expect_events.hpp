#pragma once

#include <gtest/gtest.h>

#include <sluice/core/hook.hpp>

namespace sluice::testing {

/// Fails the test when `hook` overrides an event its events() does not list (the hook manager
/// would never call that override). Use it in every hook's tests.
template <class HookType>
void expect_events_match_overrides(const HookType& hook) {
  EXPECT_EQ(unlisted_overrides(hook), "") << "for " << type_name<HookType>();
}

}  // namespace sluice::testing
