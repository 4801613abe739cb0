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

Strategy make_strategy(std::string_view requested, std::size_t workers, std::size_t tee_writers,
                       std::uint64_t tee_budget) {
  // `tee:auto`: a strategy with the tee, its hold given.
  const auto colon = requested.find(':');
  const std::string_view name = requested.substr(0, colon);
  const std::string hold =
      colon == std::string_view::npos ? std::string() : std::string(requested.substr(colon + 1));
  for (const auto& definition : kDefinitions) {
    if (definition.name != name) {
      continue;
    }
    const bool has_tee = definition.yaml.find("{tee}") != std::string_view::npos;
    if (!hold.empty() && (!has_tee || (hold != "auto" && hold != "always" && hold != "never"))) {
      throw ConfigError(fmt::format(
          "--strategies: '{}': a suffix ':HOLD' sets the tee's hold (auto, always or never) of "
          "a strategy with the tee ({})",
          requested, fmt::join(tee_strategy_names(), ", ")));
    }
    std::vector<std::string> options;
    if (tee_writers != 0) {
      options.push_back(fmt::format("max_writers: {}", tee_writers));
    }
    if (tee_budget != 0) {
      options.push_back(fmt::format("memory_budget: {}", tee_budget));
    }
    if (!hold.empty()) {
      options.push_back("hold: " + hold);
    }
    const std::string tee =
        options.empty() ? "" : fmt::format(", options: {{{}}}", fmt::join(options, ", "));
    const std::size_t threads = std::max<std::size_t>(1, workers);
    Strategy strategy =
        parse_strategy(requested,
                       fmt::format(fmt::runtime(definition.yaml), fmt::arg("workers", threads),
                                   fmt::arg("tee", tee)),
                       threads);
    strategy.command = fmt::format(fmt::runtime(definition.command), fmt::arg("workers", threads),
                                   fmt::arg("ranks", threads + 1));
    if (!options.empty() && has_tee) {
      strategy.command +=
          fmt::format(" (hooks.yml: tee with options: {{{}}})", fmt::join(options, ", "));
    }
    return strategy;
  }
  throw ConfigError(fmt::format("--strategies: unknown strategy '{}'{}; the strategies are {}",
                                requested, did_you_mean(name, strategy_names()),
                                fmt::join(strategy_names(), ", ")));
}

std::vector<std::string> tee_strategy_names() {
  std::vector<std::string> names;
  for (const auto& definition : kDefinitions) {
    if (definition.yaml.find("{tee}") != std::string_view::npos) {
      names.emplace_back(definition.name);
    }
  }
  return names;
}

}  // namespace sluice::bench
