#include <atomic>
#include <system_error>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/config_loader.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/core/util/thread_pool.hpp>
#include <sluice/runners/builtins.hpp>

namespace sluice {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(ThreadPool, AThreadThatCannotStartJoinsTheStartedOnesAndThrowsACatchableError) {
  std::atomic<int> ran{0};
  int calls = 0;
  const ThreadPool::ThreadStarter refuse_the_third = [&](std::function<void()> body) {
    if (++calls == 3) {
      throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
    }
    return std::thread([&ran, body = std::move(body)] {
      ++ran;
      body();
    });
  };
  // Without the join, the two started threads would be destroyed joinable: std::terminate.
  EXPECT_THAT([&] { ThreadPool pool(5, "writer", refuse_the_third); },
              ThrowsMessage<Error>(AllOf(HasSubstr("cannot start 5 writer threads"),
                                         HasSubstr("Resource temporarily unavailable"),
                                         HasSubstr("2 had started"))));
  EXPECT_EQ(ran.load(), 2);  // both ran to their end: joined, not detached
}

TEST(ThreadPool, AnAbsurdSizeIsRefusedBeforeAnyThreadStarts) {
  int calls = 0;
  const ThreadPool::ThreadStarter count = [&](std::function<void()> body) {
    ++calls;
    return std::thread(std::move(body));
  };
  EXPECT_THAT([&] { ThreadPool pool(1000000, "worker", count); },
              ThrowsMessage<Error>(HasSubstr("cannot start 1000000 worker threads (at most 1024")));
  EXPECT_EQ(calls, 0);
}

TEST(ThreadPool, TheParallelRunnerRefusesAnAbsurdMaxWorkersWithTheValue) {
  Registry registry;
  Registrar registrar(registry);
  register_builtin_runners(registrar);
  EXPECT_THAT(
      [&] {
        registry.runners.get("parallel")(
            parse_yaml("max_workers: 1000000", "conf/base/sluice.yml"));
      },
      ThrowsMessage<ConfigError>(AllOf(HasSubstr("conf/base/sluice.yml:1:"),
                                       HasSubstr("must be at most 1024 (got 1000000)"))));
}

}  // namespace
}  // namespace sluice
