#include <atomic>
#include <chrono>
#include <system_error>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sluice/core/config_loader.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/core/registry.hpp>
#include <sluice/core/util/thread_pool.hpp>
#include <sluice/runners/builtins.hpp>

#include "support/captured_log.hpp"
#include "support/gate.hpp"

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

// Tasks that block until `gate` opens, counting how many have begun.
void submit_blocking(ThreadPool& pool, int count, testing::Gate& gate, std::atomic<int>& begun,
                     std::atomic<int>& done) {
  for (int i = 0; i < count; ++i) {
    pool.submit([&] {
      ++begun;
      gate.wait();
      ++done;
    });
  }
}

TEST(ThreadPool, AGrowingPoolStartsAThreadWheneverEveryThreadIsBusyUpToItsMaximum) {
  testing::Gate gate;
  std::atomic<int> begun{0}, done{0};
  {
    ThreadPool pool(1, 4, "writer");
    EXPECT_EQ(pool.size(), 1U);
    EXPECT_EQ(pool.max_size(), 4U);
    submit_blocking(pool, 10, gate, begun, done);
    // Ten tasks waiting, at most four threads: four run at once, never a fifth.
    EXPECT_TRUE(testing::eventually([&] { return begun.load() == 4; }));
    EXPECT_EQ(pool.size(), 4U);
    EXPECT_EQ(begun.load(), 4);
    gate.open();
  }  // the destructor runs the queued tasks, then joins
  EXPECT_EQ(done.load(), 10);
}

TEST(ThreadPool, AGrowingPoolStartsNoMoreThreadsThanTasksWaiting) {
  testing::Gate gate;
  std::atomic<int> begun{0}, done{0};
  {
    ThreadPool pool(1, 64, "writer");
    submit_blocking(pool, 3, gate, begun, done);
    EXPECT_TRUE(testing::eventually([&] { return begun.load() == 3; }));
    EXPECT_EQ(pool.size(), 3U);
    gate.open();
  }
  EXPECT_EQ(done.load(), 3);
}

TEST(ThreadPool, AFixedPoolNeverGrows) {
  testing::Gate gate;
  std::atomic<int> begun{0}, done{0};
  {
    ThreadPool pool(2, "worker");
    submit_blocking(pool, 5, gate, begun, done);
    EXPECT_TRUE(testing::eventually([&] { return begun.load() == 2; }));
    EXPECT_EQ(pool.size(), 2U);
    gate.open();
  }
  EXPECT_EQ(done.load(), 5);
}

TEST(ThreadPool, AThreadRefusedWhileGrowingIsLoggedAndTheTasksStillRun) {
  const testing::CapturedLog log(spdlog::level::warn);
  int calls = 0;
  const ThreadPool::ThreadStarter refuse_the_third = [&](std::function<void()> body) {
    if (++calls >= 3) {
      throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again));
    }
    return std::thread(std::move(body));
  };
  testing::Gate gate;
  std::atomic<int> begun{0}, done{0};
  {
    ThreadPool pool(1, 8, "writer", refuse_the_third);
    submit_blocking(pool, 6, gate, begun, done);
    EXPECT_TRUE(testing::eventually([&] { return begun.load() == 2; }));
    EXPECT_EQ(pool.size(), 2U);
    gate.open();
  }
  EXPECT_EQ(done.load(), 6);
  EXPECT_EQ(calls, 3);  // refused once, not tried again at every submit
  EXPECT_THAT(log.lines(), AllOf(HasSubstr("cannot start writer thread 3 of at most 8"),
                                 HasSubstr("Resource temporarily unavailable")));
}

TEST(ThreadPool, AnAbsurdMaximumIsRefusedBeforeAnyThreadStarts) {
  int calls = 0;
  const ThreadPool::ThreadStarter count = [&](std::function<void()> body) {
    ++calls;
    return std::thread(std::move(body));
  };
  EXPECT_THAT([&] { ThreadPool pool(1, 1000000, "writer", count); },
              ThrowsMessage<Error>(HasSubstr("cannot start 1000000 writer threads (at most 1024")));
  EXPECT_EQ(calls, 0);
}

TEST(ThreadPool, IdleThreadsAboveTheBaseExitAndTheDestructorJoinsThem) {
  using namespace std::chrono_literals;
  testing::Gate gate;
  std::atomic<int> begun{0}, done{0};
  {
    ThreadPool pool(2, 8, "writer", 20ms);
    submit_blocking(pool, 8, gate, begun, done);
    EXPECT_TRUE(testing::eventually([&] { return begun.load() == 8; }));
    EXPECT_EQ(pool.size(), 8U);
    gate.open();
    // Idle now: the six above the base exit; the base two stay.
    EXPECT_TRUE(testing::eventually([&] { return pool.size() == 2U; })) << pool.size();
    EXPECT_EQ(done.load(), 8);
    EXPECT_EQ(pool.peak_size(), 8U);
    std::this_thread::sleep_for(100ms);  // several more timeouts: never below the base
    EXPECT_EQ(pool.size(), 2U);
    // It grows again when needed.
    testing::Gate again;
    submit_blocking(pool, 4, again, begun, done);
    EXPECT_TRUE(testing::eventually([&] { return begun.load() == 12; }));
    EXPECT_EQ(pool.size(), 4U);
    again.open();
    EXPECT_TRUE(testing::eventually([&] { return pool.size() == 2U; })) << pool.size();
  }
  EXPECT_EQ(done.load(), 12);
}

TEST(ThreadPool, TheConstructorsWithoutAnIdleTimeoutKeepTheirThreads) {
  EXPECT_EQ(ThreadPool::default_idle_timeout, std::chrono::milliseconds(2000));
  testing::Gate gate;
  std::atomic<int> begun{0}, done{0};
  {
    ThreadPool fixed(3, "worker");
    submit_blocking(fixed, 3, gate, begun, done);
    EXPECT_TRUE(testing::eventually([&] { return begun.load() == 3; }));
    gate.open();
    EXPECT_TRUE(testing::eventually([&] { return done.load() == 3; }));
    EXPECT_EQ(fixed.size(), 3U);  // a fixed pool has no thread above its base
  }
}

// Run under the tsan preset: threads start and exit (a 1 ms idle timeout) while many threads
// submit at once; every task runs exactly once and the pool ends at its base.
TEST(ThreadPool, StressGrowingAndShrinkingUnderConcurrentSubmits) {
  using namespace std::chrono_literals;
  constexpr int kSubmitters = 4;
  constexpr int kRounds = 20;
  constexpr int kTasks = 50;
  std::atomic<int> ran{0};
  {
    ThreadPool pool(1, 16, "writer", 1ms);
    for (int round = 0; round < kRounds; ++round) {
      std::vector<std::thread> submitters;
      for (int s = 0; s < kSubmitters; ++s) {
        submitters.emplace_back([&, s] {
          for (int i = 0; i < kTasks; ++i) {
            pool.submit([&ran, i, s] {
              if ((i + s) % 7 == 0) {
                std::this_thread::sleep_for(std::chrono::microseconds(200));
              }
              ran.fetch_add(1);
            });
          }
        });
      }
      for (auto& submitter : submitters) {
        submitter.join();
      }
      if (round % 5 == 4) {  // now and then, idle long enough for the extra threads to exit
        const int expected = (round + 1) * kSubmitters * kTasks;
        EXPECT_TRUE(testing::eventually([&] { return ran.load() == expected; }));
        EXPECT_TRUE(testing::eventually([&] { return pool.size() == 1U; })) << pool.size();
      }
      EXPECT_LE(pool.size(), 16U);
    }
  }
  EXPECT_EQ(ran.load(), kRounds * kSubmitters * kTasks);
}

}  // namespace
}  // namespace sluice
