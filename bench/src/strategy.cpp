#include <algorithm>

#include <fmt/format.h>

#include <sluice/bench/strategy.hpp>
#include <sluice/core/config_loader.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/util/suggest.hpp>

namespace sluice::bench {
namespace {

// Each strategy written as a user writes it: runner options as the command line sets them,
// hooks as hooks.yml lists them. `{workers}` is the parallel runner's thread count, `{ranks}`
// the MPI job's processes (workers + rank 0, which schedules), `{tee}` the tee's options.
struct Definition {
  std::string_view name;
  std::string_view yaml;
  std::string_view command;
};

constexpr Definition kDefinitions[] = {
    {"sequential", "runner: sequential", "sluice run"},
    {"async", "runner: sequential\nrunner_options: {{async_io: true}}", "sluice run --async"},
    {"cache", "runner: sequential\nhooks: [{{name: cache}}]", "sluice run --hooks cache"},
    {"tee", "runner: sequential\nhooks: [{{name: tee{tee}}}]", "sluice run --hooks tee"},
    {"parallel", "runner: parallel\nrunner_options: {{max_workers: {workers}}}",
     "sluice run --runner parallel --max-workers {workers}"},
    {"parallel+tee",
     "runner: parallel\nrunner_options: {{max_workers: {workers}}}\nhooks: [{{name: tee{tee}}}]",
     "sluice run --runner parallel --max-workers {workers} --hooks tee"},
    {"memory", "runner: sequential\npersist: false",
     "(none: intermediates kept in memory, nothing persisted)"},
    {"mpi", "runner: mpi", "mpirun -np {ranks} sluice run --runner mpi"},
    {"mpi+tee", "runner: mpi\nhooks: [{{name: tee{tee}}}]",
     "mpirun -np {ranks} sluice run --runner mpi --hooks tee"},
};

// The strategies that run in an MPI job: not in the default list (see default_strategy_names).
bool runs_under_mpi(std::string_view name) {
  return name == "mpi" || name == "mpi+tee";
}

}  // namespace

Strategy parse_strategy(std::string_view name, std::string_view yaml, std::size_t workers) {
  const std::string where = fmt::format("strategy '{}'", name);
  const Param config = parse_yaml(yaml, where);
  OptionReader reader(config, where);
  Strategy strategy;
  strategy.name = std::string(name);
  strategy.runner = reader.required_string("runner");
  if (const Param* options = reader.optional_map("runner_options")) {
    strategy.runner_options = *options;
  } else {
    strategy.runner_options = Param(Param::Map{});
  }
  strategy.persist = reader.flag("persist", true);
  if (const Param* hooks = reader.optional_list("hooks")) {
    strategy.hooks = parse_hook_specs(*hooks, where + " hook");
  }
  reader.finish();
  const bool mpi = strategy.runner == "mpi";
  strategy.workers = strategy.runner == "parallel" || mpi ? std::max<std::size_t>(1, workers) : 1;
  strategy.ranks = mpi ? strategy.workers + 1 : 0;
  return strategy;
}

std::vector<std::string> strategy_names() {
  std::vector<std::string> names;
  for (const auto& definition : kDefinitions) {
    names.emplace_back(definition.name);
  }
  return names;
}

std::vector<std::string> default_strategy_names() {
  std::vector<std::string> names;
  for (const auto& definition : kDefinitions) {
    if (!runs_under_mpi(definition.name)) {
      names.emplace_back(definition.name);
    }
  }
  return names;
}

Strategy make_strategy(std::string_view name, std::size_t workers, std::size_t tee_writers) {
  for (const auto& definition : kDefinitions) {
    if (definition.name == name) {
      const std::size_t threads = std::max<std::size_t>(1, workers);
      const std::string tee =
          tee_writers == 0 ? "" : fmt::format(", options: {{max_writers: {}}}", tee_writers);
      Strategy strategy =
          parse_strategy(definition.name,
                         fmt::format(fmt::runtime(definition.yaml), fmt::arg("workers", threads),
                                     fmt::arg("tee", tee)),
                         threads);
      strategy.command = fmt::format(fmt::runtime(definition.command), fmt::arg("workers", threads),
                                     fmt::arg("ranks", threads + 1));
      if (!tee.empty() && definition.yaml.find("{tee}") != std::string_view::npos) {
        strategy.command +=
            fmt::format(" (hooks.yml: tee with options: {{max_writers: {}}})", tee_writers);
      }
      return strategy;
    }
  }
  throw ConfigError(fmt::format("--strategies: unknown strategy '{}'{}; the strategies are {}",
                                name, did_you_mean(name, strategy_names()),
                                fmt::join(strategy_names(), ", ")));
}

}  // namespace sluice::bench
