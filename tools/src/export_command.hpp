#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <sluice/tools/session.hpp>

#include "project_flags.hpp"

namespace sluice::cli {

/// What `sluice export slurm|argo` is told: the pipeline and filters of `sluice run`, how to
/// cut it into jobs, and the engine's options.
struct ExportFlags {
  ProjectFlags project;
  std::string pipeline = "__default__";
  PipelineFilter filter;
  std::string group = "nodes";
  std::string intermediates;
  std::string params;
  std::string sluice;  // the command the jobs run; default: this binary (slurm), sluice (argo)
  std::string out;
  // slurm
  std::string cpus_per_task;
  std::string mem;
  std::string time;
  std::string partition;
  // argo
  std::string image;
  std::string namespace_name;
  std::string workdir;
  std::vector<std::string> pass_env;

  CLI::App* slurm = nullptr;
  CLI::App* argo = nullptr;
};

/// Adds `export` with its `slurm` and `argo` subcommands, filling `flags`.
CLI::App* add_export_command(CLI::App& app, ExportFlags& flags);

/// Writes the Slurm submit script or the Argo Workflow. Returns the exit code.
int run_export(const ExportFlags& flags, std::optional<Session>& session);

}  // namespace sluice::cli
