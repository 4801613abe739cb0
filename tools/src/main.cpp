// The sluice command line: run a project's pipelines, list its catalog, draw its graph.

#include <charconv>
#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <sluice/core/text.hpp>
#include <sluice/runners/thread_pool.hpp>
#include <sluice/tools/describe.hpp>
#include <sluice/tools/session.hpp>

#include "bench_command.hpp"
#include "parse_errors.hpp"
#include "postmortem_command.hpp"
#include "project_flags.hpp"
#include "timeline_command.hpp"

namespace {

using sluice::cli::ProjectFlags;

void comma_list(CLI::App& command, const char* name, const char* help,
                std::vector<std::string>& target) {
  command.add_option(name, target, help)->delimiter(',');
}

// Quoted so that the words are kept: a value with a space stays one value (for redaction too).
std::string joined(int argc, char** argv) {
  std::string command;
  for (int i = 0; i < argc; ++i) {
    command += (i == 0 ? "" : " ") + sluice::shell_quote(argv[i]);
  }
  return command;
}

// The parallel runner's thread count, within its thread pool's bound: more threads than that
// only add switching, and a typo such as 10000000 should not try to start them.
constexpr std::size_t kMaxWorkers = sluice::ThreadPool::max_threads;

std::size_t parse_max_workers(const std::string& text) {
  std::size_t workers = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, workers);
  if (error != std::errc() || stop != end || workers < 1 || workers > kMaxWorkers) {
    throw sluice::ConfigError(fmt::format(
        "--max-workers {}: must be between 1 and {} (leave it out for one worker per hardware "
        "thread)",
        text, kMaxWorkers));
  }
  return workers;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("sluice: run data pipelines, keep their intermediates, and measure strategies",
               "sluice");
  app.require_subcommand(1);
  app.set_version_flag("--version", "sluice " SLUICE_VERSION);

  ProjectFlags flags;
  sluice::RunOptions run_options;
  std::vector<std::string> hooks;
  std::string params, load_versions;
  CLI::App* run = app.add_subcommand("run", "Run a pipeline of the project");
  flags.add_to(*run);
  run->add_option("--pipeline", run_options.pipeline, "Pipeline to run")->capture_default_str();
  run->add_option("--runner", run_options.runner, "Runner: sequential or parallel")
      ->capture_default_str();
  std::string max_workers;
  bool async_io = false;
  CLI::Option* max_workers_option = run->add_option(
      "--max-workers", max_workers, "Worker threads of the parallel runner (default: hardware)");
  run->add_flag("--async", async_io, "Load a node's inputs, and save its outputs, concurrently");
  bool keep_inputs = false;
  run->add_flag("--keep-inputs", keep_inputs,
                "Keep free inputs in memory for the whole run, as Kedro does (for comparisons)");
  auto& filter = run_options.filter;
  comma_list(*run, "--nodes", "Run only these nodes", filter.nodes);
  comma_list(*run, "--from-nodes", "Run from these nodes downstream", filter.from_nodes);
  comma_list(*run, "--to-nodes", "Run up to these nodes", filter.to_nodes);
  comma_list(*run, "--from-inputs", "Run from the nodes reading these datasets",
             filter.from_inputs);
  comma_list(*run, "--to-outputs", "Run what produces these datasets", filter.to_outputs);
  comma_list(*run, "--tags", "Run only nodes with any of these tags", filter.tags);
  comma_list(*run, "--hooks", "Add these hooks for this run", hooks);
  run->add_option("--params", params, "Override parameters: key=value,other.key=value");
  run->add_option("--load-versions", load_versions,
                  "Load these versions of versioned datasets: dataset:version,...");

  ProjectFlags catalog_flags;
  std::string catalog_pipeline;
  CLI::App* catalog_command = app.add_subcommand("catalog", "Inspect the data catalog");
  catalog_command->require_subcommand(1);
  CLI::App* catalog_list = catalog_command->add_subcommand(
      "list", "Datasets per pipeline: in the catalog, defaulted, missing");
  catalog_flags.add_to(*catalog_list);
  catalog_list->add_option("--pipeline", catalog_pipeline, "Only this pipeline (default: all)");

  ProjectFlags viz_flags;
  std::string viz_pipeline = "__default__";
  std::string viz_format = "dot";
  CLI::App* viz = app.add_subcommand("viz", "Print the pipeline graph, with its datasets");
  viz_flags.add_to(*viz);
  viz->add_option("--pipeline", viz_pipeline, "Pipeline to draw")->capture_default_str();
  viz->add_option("--format", viz_format, "Output format")
      ->check(CLI::IsMember({"dot", "mermaid"}))
      ->capture_default_str();

  std::string inspect_bundle;
  CLI::App* inspect = app.add_subcommand("inspect", "Summarise a post-mortem bundle");
  inspect->add_option("bundle", inspect_bundle, "A bundle folder: postmortem/<run-id>")->required();
  std::string replay_bundle;
  std::vector<std::string> replay_hooks;
  CLI::App* replay = app.add_subcommand(
      "replay", "Run the failing node of a post-mortem bundle again, on its saved inputs");
  replay->add_option("bundle", replay_bundle, "A bundle folder: postmortem/<run-id>")->required();
  comma_list(*replay, "--hooks", "Add these hooks", replay_hooks);

  std::string timeline_trace;
  std::string timeline_plot;
  CLI::App* timeline = app.add_subcommand(
      "timeline", "Summarise a trace of the timeline hook, and draw it (gnuplot)");
  timeline->add_option("trace", timeline_trace, "A trace: timeline.json")->required();
  timeline->add_option("--plot", timeline_plot, "Draw it: timeline.svg or .png");

  sluice::cli::BenchFlags bench_flags;
  CLI::App* bench = sluice::cli::add_bench_command(app, bench_flags);

  if (const auto exit_code = sluice::cli::parse_command_line(app, argc, argv)) {
    return *exit_code;
  }

  // Declared outside the try: an error from plugin code is handled while its library is loaded.
  std::optional<sluice::Session> session;
  try {
    if (*run) {
      sluice::SessionOptions options = flags.session();
      options.extra_hooks = hooks;
      if (!params.empty()) {
        options.runtime_params = sluice::parse_runtime_params(params);
      }
      if (!load_versions.empty()) {
        options.load_versions = sluice::parse_load_versions(load_versions);
      }
      run_options.command = joined(argc, argv);
      run_options.runner_options = sluice::Param(sluice::Param::Map{});
      if (max_workers_option->count() > 0) {
        run_options.runner_options.set("max_workers", parse_max_workers(max_workers));
      }
      if (async_io) {
        run_options.runner_options.set("async_io", true);
      }
      if (keep_inputs) {
        run_options.runner_options.set("keep_inputs", true);
      }
      session.emplace(std::move(options));
      session->run(run_options);
    } else if (*catalog_list) {
      session.emplace(catalog_flags.session());
      const sluice::Catalog catalog = session->make_catalog();
      const auto names = catalog_pipeline.empty() ? session->pipeline_names()
                                                  : std::vector<std::string>{catalog_pipeline};
      for (const auto& name : names) {
        std::cout << sluice::describe_catalog(name, session->pipeline(name), catalog);
      }
    } else if (*timeline) {
      return sluice::cli::run_timeline(timeline_trace, timeline_plot);
    } else if (*inspect) {
      return sluice::cli::run_inspect(inspect_bundle);
    } else if (*replay) {
      return sluice::cli::run_replay(replay_bundle, replay_hooks);
    } else if (*bench) {
      return sluice::cli::run_bench(bench_flags);
    } else if (*viz) {
      session.emplace(viz_flags.session());
      std::cout << sluice::render_graph(
          session->pipeline(viz_pipeline),
          viz_format == "dot" ? sluice::GraphFormat::dot : sluice::GraphFormat::mermaid);
    }
  } catch (const std::exception& error) {
    std::cerr << fmt::format("Error: {}\n", error.what());
    return 1;
  }
  return 0;
}
