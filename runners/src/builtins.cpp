#include <fmt/format.h>

#include <sluice/core/error.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/util/thread_pool.hpp>
#include <sluice/runners/builtins.hpp>
#include <sluice/runners/parallel_runner.hpp>
#include <sluice/runners/sequential_runner.hpp>

namespace sluice {

void register_builtin_runners(Registrar& registrar) {
  registrar.add_runner("sequential", [](const Param& options) -> std::shared_ptr<Runner> {
    OptionReader reader(options, "runner 'sequential'");
    const bool async_io = reader.flag("async_io", false);
    const bool keep_inputs = reader.flag("keep_inputs", false);
    reader.finish();
    auto runner = std::make_shared<SequentialRunner>(async_io);
    runner->set_keep_inputs(keep_inputs);
    return runner;
  });
  registrar.add_runner("parallel", [](const Param& options) -> std::shared_ptr<Runner> {
    OptionReader reader(options, "runner 'parallel'");
    const bool async_io = reader.flag("async_io", false);
    const std::int64_t workers = reader.integer("max_workers", 0);
    const bool keep_inputs = reader.flag("keep_inputs", false);
    reader.finish();
    if (workers < 0) {
      throw ConfigError(reader.where("max_workers") +
                        ": must be at least 1 (0: one per hardware "
                        "thread)");
    }
    // The one check of the bound (`sluice run --max-workers` sets this option): more threads
    // than the pool allows only add switching, and a typo such as 10000000 should not try to
    // start them.
    if (static_cast<std::uint64_t>(workers) > ThreadPool::max_threads) {
      throw ConfigError(fmt::format("{}: must be at most {} (got {})", reader.where("max_workers"),
                                    ThreadPool::max_threads, workers));
    }
    auto runner = std::make_shared<ParallelRunner>(static_cast<std::size_t>(workers), async_io);
    runner->set_keep_inputs(keep_inputs);
    return runner;
  });
}

}  // namespace sluice
