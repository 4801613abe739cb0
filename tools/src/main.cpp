// The sluice command line: `run` a project's pipelines, `catalog list` its datasets, `viz` its
// graph; `inspect` and `replay` a post-mortem bundle; summarise and draw a `timeline` trace;
// `bench` runner strategies on simulated slow storage; `export` a pipeline to Slurm or Argo;
// mount a `slowfs`, a real slow filesystem. Each command is in its own <command>_command.cpp;
// this file only wires them.

#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <sluice/tools/logging_config.hpp>
#include <sluice/tools/session.hpp>

#include "bench_command.hpp"
#include "catalog_command.hpp"
#include "completion_command.hpp"
#include "export_command.hpp"
#include "parse_errors.hpp"
#include "postmortem_command.hpp"
#include "registry_command.hpp"
#include "run_command.hpp"
#include "slowfs_command.hpp"
#include "timeline_command.hpp"
#include "viz_command.hpp"

namespace {

// A subcommand, and what runs it when it is the one given.
struct Command {
  CLI::App* subcommand;
  std::function<int()> run;
};

}  // namespace

int main(int argc, char** argv) {
  namespace cli = sluice::cli;
  CLI::App app("sluice: run data pipelines, keep their intermediates, and measure strategies",
               "sluice");
  app.require_subcommand(1);
  app.set_version_flag("--version", "sluice " SLUICE_VERSION);
  // Logging options for every command: `sluice -v run` and `sluice run -q` (added to each
  // command below, all bound to the same variables).
  std::string log_level;
  int verbose = 0;
  bool quiet = false;
  const auto add_logging_options = [&](CLI::App& command) {
    command.add_option("--log-level", log_level,
                       "Log level: trace, debug, info, warning, error, critical or off (over "
                       "conf/logging.yml and SPDLOG_LEVEL)");
    if (command.get_option_no_throw("--verbose") == nullptr) {  // bench's means "log the runs"
      command.add_flag("-v,--verbose", verbose, "Log more: debug (-vv: trace)");
    }
    command.add_flag("-q,--quiet", quiet, "Log warnings and errors only");
  };

  // Declared before the commands' errors are handled: an error from plugin code is reported
  // while its library is loaded.
  std::optional<sluice::Session> session;
  cli::RunFlags run;
  cli::CatalogFlags catalog;
  cli::VizFlags viz;
  cli::RegistryFlags registry;
  cli::InspectFlags inspect;
  cli::ReplayFlags replay;
  cli::TimelineFlags timeline;
  cli::BenchFlags bench;
  cli::ExportFlags export_flags;
  cli::SlowFsFlags slowfs;
  // In the order of `sluice --help`.
  const std::vector<Command> commands = {
      {cli::add_run_command(app, run),
       [&] { return cli::run_run(run, cli::quoted_command_line(argc, argv), session); }},
      {cli::add_catalog_command(app, catalog), [&] { return cli::run_catalog(catalog, session); }},
      {cli::add_viz_command(app, viz), [&] { return cli::run_viz(viz, session); }},
      {cli::add_registry_command(app, registry),
       [&] { return cli::run_registry(registry, session); }},
      {cli::add_inspect_command(app, inspect), [&] { return cli::run_inspect(inspect); }},
      {cli::add_replay_command(app, replay), [&] { return cli::run_replay(replay); }},
      {cli::add_timeline_command(app, timeline), [&] { return cli::run_timeline(timeline); }},
      {cli::add_bench_command(app, bench), [&] { return cli::run_bench(bench); }},
      {cli::add_export_command(app, export_flags),
       [&] { return cli::run_export(export_flags, session); }},
      {cli::add_slowfs_command(app, slowfs), [&] { return cli::run_slowfs(slowfs); }},
      {cli::add_completion_command(app), [&] { return cli::run_completion(app); }},
  };

  const auto add_everywhere = [&](auto& self, CLI::App& command) -> void {
    add_logging_options(command);
    for (CLI::App* sub : command.get_subcommands([](CLI::App*) { return true; })) {
      self(self, *sub);
    }
  };
  add_everywhere(add_everywhere, app);
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    args = cli::expand_run_config(*commands.front().subcommand, std::move(args));
  } catch (const std::exception& error) {
    std::cerr << fmt::format("Error: {}\n", error.what());
    return 1;
  }
  if (const auto exit_code = cli::parse_command_line(app, std::move(args))) {
    return *exit_code;
  }
  try {
    std::optional<std::string> level;
    if (!log_level.empty()) {
      level = log_level;
    } else if (quiet) {
      level = "warning";
    } else if (verbose > 0) {
      level = verbose > 1 ? "trace" : "debug";
    }
    sluice::LoggingConfig::set_command_line_level(level);
    sluice::LoggingConfig::apply_levels();
    for (const Command& command : commands) {
      if (*command.subcommand) {
        return command.run();
      }
    }
  } catch (const std::exception& error) {
    std::cerr << fmt::format("Error: {}\n", error.what());
    return 1;
  }
  return 0;
}
