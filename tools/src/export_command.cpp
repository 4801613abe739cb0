#include "export_command.hpp"

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include <sluice/core/clock.hpp>
#include <sluice/core/error.hpp>
#include <sluice/core/util/text.hpp>
#include <sluice/tools/job_graph.hpp>

#include "command_options.hpp"
#include "run_command.hpp"

namespace sluice::cli {
namespace fs = std::filesystem;
namespace {

constexpr const char* kOverlayName = "catalog_intermediates.yml";
constexpr const char* kArgoOverlayPath = "/tmp/sluice/catalog_intermediates.yml";

// What every exported job shares: the project, its pipeline cut into jobs, and the overlay
// that puts the crossing memory-only datasets on shared storage (empty when none does).
struct Export {
  fs::path root;
  std::string project_name;
  Pipeline pipeline;
  JobGraph graph;
  std::vector<CrossingDataset> mapped;
  std::string overlay;
};

Export prepare(const ExportFlags& flags, Session& session) {
  Export result;
  result.root = fs::weakly_canonical(fs::absolute(session.project().root));
  result.project_name = session.project().name;
  result.pipeline = flags.filter.apply(session.pipeline(flags.pipeline));
  if (result.pipeline.empty()) {
    throw ConfigError(fmt::format(
        "pipeline '{}' has no node left after the filters: nothing to export; check --nodes, "
        "--tags and the other filters against `sluice viz --pipeline {}`",
        flags.pipeline, flags.pipeline));
  }
  result.graph = make_job_graph(result.pipeline,
                                flags.group == "chains" ? JobGrouping::chains : JobGrouping::nodes);
  const Catalog catalog = session.make_catalog_at(result.root, system_clock());
  result.mapped = memory_only_crossings(result.graph, catalog);
  if (!result.mapped.empty()) {
    if (flags.intermediates.empty()) {
      throw ConfigError(memory_only_error(result.mapped));
    }
    result.overlay = intermediates_overlay(result.mapped, flags.intermediates);
  }
  return result;
}

// `sluice run` for one job, as words.
std::vector<std::string> run_words(const ExportFlags& flags, const Export& plan, const Job& job,
                                   const std::string& sluice, const std::string& project,
                                   const std::string& overlay_path) {
  std::vector<std::string> words = {sluice, "run", "--project", project};
  if (!flags.project.conf_source.empty()) {
    words.insert(words.end(),
                 {"--conf-source", fs::weakly_canonical(fs::absolute(flags.project.conf_source))});
  }
  words.insert(words.end(), {"--env", flags.project.env, "--pipeline", flags.pipeline, "--nodes",
                             fmt::format("{}", fmt::join(job.nodes, ","))});
  if (!flags.params.empty()) {
    words.insert(words.end(), {"--params", flags.params});
  }
  if (!plan.overlay.empty()) {
    words.insert(words.end(), {"--catalog-overlay", overlay_path});
  }
  return words;
}

std::string shell_command(const std::vector<std::string>& words) {
  std::string command;
  for (const std::string& word : words) {
    command += (command.empty() ? "" : " ") + shell_quote(word);
  }
  return command;
}

// ---- Slurm

// The sbatch resources of one job: options, overridden by the tags `slurm:<key>=<value>` of
// its nodes (cpus: the largest of the chain; mem, time and partition: the nodes must agree).
struct SlurmResources {
  std::string cpus;
  std::string mem;
  std::string time;
  std::string partition;
};

void check_slurm_value(const std::string& key, const std::string& value, const std::string& where) {
  static const std::map<std::string, std::pair<std::regex, const char*>> formats = {
      {"cpus", {std::regex("[1-9][0-9]{0,5}"), "a positive number of CPUs (4)"}},
      {"mem", {std::regex("[0-9]+[KMGT]?"), "megabytes or a size with K, M, G or T (8G)"}},
      {"time",
       {std::regex("([0-9]+-)?[0-9]+(:[0-9]+){0,2}"),
        "minutes, MM:SS, HH:MM:SS or D-HH[:MM[:SS]] (01:30:00)"}},
      {"partition", {std::regex("[A-Za-z0-9_.-]+"), "a partition name"}},
  };
  const auto format = formats.find(key);
  if (format == formats.end()) {
    throw ConfigError(
        fmt::format("{}: unknown Slurm resource '{}'; node tags slurm:cpus=N, slurm:mem=SIZE, "
                    "slurm:time=TIME and slurm:partition=NAME set a job's resources",
                    where, key));
  }
  if (!std::regex_match(value, format->second.first)) {
    throw ConfigError(
        fmt::format("{}: Slurm {} '{}' is not {}", where, key, value, format->second.second));
  }
}

SlurmResources slurm_resources(const ExportFlags& flags, const Pipeline& pipeline, const Job& job) {
  SlurmResources resources{flags.cpus_per_task, flags.mem, flags.time, flags.partition};
  for (const auto& [key, value] : {std::pair{"cpus", &flags.cpus_per_task},
                                   {"mem", &flags.mem},
                                   {"time", &flags.time},
                                   {"partition", &flags.partition}}) {
    if (!value->empty()) {
      check_slurm_value(key, *value,
                        std::string("--") + (key == std::string("cpus") ? "cpus-per-task" : key));
    }
  }
  std::map<std::string, std::pair<std::string, std::string>> tagged;  // key -> value, node
  for (const std::string& name : job.nodes) {
    for (const std::string& tag : pipeline.find_node(name)->tags()) {
      if (!tag.starts_with("slurm:")) {
        continue;
      }
      const auto equals = tag.find('=');
      const std::string where = fmt::format("node '{}': tag '{}'", name, tag);
      if (equals == std::string::npos) {
        throw ConfigError(
            fmt::format("{}: expected slurm:<resource>=<value> (slurm:cpus=4)", where));
      }
      const std::string key = tag.substr(6, equals - 6);
      const std::string value = tag.substr(equals + 1);
      check_slurm_value(key, value, where);
      auto [at, added] = tagged.try_emplace(key, value, name);
      if (added) {
        continue;
      }
      if (key == "cpus") {
        if (std::stoi(value) > std::stoi(at->second.first)) {
          at->second = {value, name};
        }
      } else if (value != at->second.first) {
        throw ConfigError(fmt::format(
            "job '{}': nodes '{}' and '{}' ask for different Slurm {} ('{}' and '{}'); give "
            "them the same tag or export with --group nodes",
            job.name, at->second.second, name, key, at->second.first, value));
      }
    }
  }
  for (const auto& [key, value] : tagged) {
    (key == "cpus"   ? resources.cpus
     : key == "mem"  ? resources.mem
     : key == "time" ? resources.time
                     : resources.partition) = value.first;
  }
  return resources;
}

std::string slurm_script(const ExportFlags& flags, const Export& plan, const fs::path& out) {
  const std::string sluice =
      flags.sluice.empty() ? fs::read_symlink("/proc/self/exe").string() : flags.sluice;
  const std::string overlay = (out / kOverlayName).string();
  std::string script = fmt::format(
      "#!/usr/bin/env bash\n"
      "# Written by `sluice export slurm`: pipeline '{}' of project '{}' ({}) as {} Slurm jobs\n"
      "# in {} dependency levels, one `sbatch` each, run on a Slurm login node: bash {}.\n"
      "# Each job runs `sluice run --nodes ...` in the project folder once the jobs it reads from\n"
      "# have succeeded (afterok); a failed job cancels those that wait for it. Job ids: job_ids\n"
      "# (name, id per line); logs: logs/<job name>-<id>.out. SBATCH overrides the sbatch "
      "command.\n"
      "set -euo pipefail\n"
      "here=\"$(cd \"$(dirname \"${{BASH_SOURCE[0]}}\")\" && pwd)\"\n"
      "sbatch=\"${{SBATCH:-sbatch}}\"\n"
      "mkdir -p \"$here/logs\"\n"
      ": >\"$here/job_ids\"\n"
      "submit() {{  # <job name> <sbatch options...>: prints the job id\n"
      "  local name=\"$1\" id\n"
      "  shift\n"
      "  id=\"$(\"$sbatch\" --parsable --job-name=\"$name\" --chdir={} --kill-on-invalid-dep=yes "
      "\\\n"
      "    --output=\"$here/logs/%x-%j.out\" \"$@\")\" || exit 1\n"
      "  id=\"${{id%%;*}}\"\n"
      "  [[ -n \"$id\" ]] || {{ echo \"sbatch gave no job id for $name\" >&2; exit 1; }}\n"
      "  printf '%s %s\\n' \"$name\" \"$id\" >>\"$here/job_ids\"\n"
      "  printf '%s' \"$id\"\n"
      "}}\n",
      flags.pipeline, plan.project_name, plan.root.string(), plan.graph.jobs.size(),
      plan.graph.levels(), (out / "submit.sh").string(), shell_quote(plan.root.string()));
  for (std::size_t index = 0; index < plan.graph.jobs.size(); ++index) {
    const Job& job = plan.graph.jobs[index];
    const SlurmResources resources = slurm_resources(flags, plan.pipeline, job);
    std::string options;
    auto add = [&options](const std::string& name, const std::string& value) {
      if (!value.empty()) {
        options += fmt::format(" --{}={}", name, value);
      }
    };
    add("cpus-per-task", resources.cpus);
    add("mem", resources.mem);
    add("time", resources.time);
    add("partition", resources.partition);
    if (!job.depends_on.empty()) {
      std::string ids;
      for (const std::size_t upstream : job.depends_on) {
        ids += fmt::format(":$job{}", upstream);
      }
      options += " --dependency=afterok" + ids;
    }
    const std::string command =
        shell_command(run_words(flags, plan, job, sluice, plan.root.string(), overlay));
    script += fmt::format("job{}=$(submit {}{} --wrap={})\n", index, shell_quote(job.name), options,
                          shell_quote(command));
  }
  script +=
      fmt::format("echo \"submitted {} jobs: $(cut -d' ' -f2 \"$here/job_ids\" | paste -sd' ')\"\n",
                  plan.graph.jobs.size());
  return script;
}

// ---- Argo

// A Kubernetes name (lowercase letters, digits and '-', at most 63 characters), unique among
// `taken`.
std::string kubernetes_name(const std::string& text, std::set<std::string>& taken) {
  std::string name;
  for (const char c : text) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    name += keep ? c : (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : '-';
  }
  while (!name.empty() && name.front() == '-') {
    name.erase(name.begin());
  }
  name = name.substr(0, 56);
  while (!name.empty() && name.back() == '-') {
    name.pop_back();
  }
  if (name.empty()) {
    name = "job";
  }
  std::string unique = name;
  for (int suffix = 2; !taken.insert(unique).second; ++suffix) {
    unique = fmt::format("{}-{}", name, suffix);
  }
  return unique;
}

std::string argo_workflow(const ExportFlags& flags, const Export& plan) {
  if (flags.image.empty()) {
    throw ConfigError(
        "sluice export argo: --image is required: the container image with sluice and the "
        "project's library (e.g. --image registry.example.com/iris:1.0)");
  }
  const std::string sluice = flags.sluice.empty() ? "sluice" : flags.sluice;
  const std::string project = flags.workdir.empty() ? plan.root.string() : flags.workdir;
  std::set<std::string> taken = {"main"};
  std::vector<std::string> names;
  for (const Job& job : plan.graph.jobs) {
    names.push_back(kubernetes_name(job.name, taken));
  }
  std::string yaml = fmt::format(
      "# Written by `sluice export argo`: pipeline '{}' of project '{}' as an Argo Workflow of {}\n"
      "# tasks in {} dependency levels, each running `sluice run --nodes ...` in the image.\n"
      "apiVersion: argoproj.io/v1alpha1\n"
      "kind: Workflow\n"
      "metadata:\n"
      "  generateName: {}\n",
      flags.pipeline, plan.project_name, plan.graph.jobs.size(), plan.graph.levels(),
      yaml_quoted(kubernetes_name(plan.project_name, taken) + "-"));
  if (!flags.namespace_name.empty()) {
    yaml += fmt::format("  namespace: {}\n", yaml_quoted(flags.namespace_name));
  }
  yaml += "spec:\n  entrypoint: main\n  templates:\n  - name: main\n    dag:\n      tasks:\n";
  for (std::size_t index = 0; index < plan.graph.jobs.size(); ++index) {
    const Job& job = plan.graph.jobs[index];
    yaml += fmt::format("      - name: {}\n        template: {}\n", yaml_quoted(names[index]),
                        yaml_quoted(names[index]));
    if (!job.depends_on.empty()) {
      yaml += "        dependencies:\n";
      for (const std::size_t upstream : job.depends_on) {
        yaml += fmt::format("        - {}\n", yaml_quoted(names[upstream]));
      }
    }
  }
  std::string env;
  for (const std::string& variable : flags.pass_env) {
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr) {
      throw ConfigError(fmt::format(
          "--pass-env {}: the variable is not set here; set it, or leave it out of --pass-env",
          variable));
    }
    env += fmt::format("      - name: {}\n        value: {}\n", yaml_quoted(variable),
                       yaml_quoted(value));
  }
  for (std::size_t index = 0; index < plan.graph.jobs.size(); ++index) {
    const Job& job = plan.graph.jobs[index];
    yaml += fmt::format("  - name: {}\n", yaml_quoted(names[index]));
    if (!plan.overlay.empty()) {
      yaml += fmt::format(
          "    inputs:\n      artifacts:\n      - name: catalog-overlay\n        path: {}\n"
          "        raw:\n          data: {}\n",
          yaml_quoted(kArgoOverlayPath), yaml_quoted(plan.overlay));
    }
    yaml += fmt::format("    container:\n      name: main\n      image: {}\n      workingDir: {}\n",
                        yaml_quoted(flags.image), yaml_quoted(project));
    yaml += "      command:\n";
    for (const std::string& word : run_words(flags, plan, job, sluice, project, kArgoOverlayPath)) {
      yaml += fmt::format("      - {}\n", yaml_quoted(word));
    }
    if (!env.empty()) {
      yaml += "      env:\n" + env;
    }
  }
  return yaml;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file) {
    throw Error(fmt::format("cannot write {}: check that the folder exists and is writable",
                            path.string()));
  }
}

void add_common(CLI::App& command, ExportFlags& flags) {
  flags.project.add_to(command);
  command.add_option("--pipeline", flags.pipeline, "Pipeline to export")->capture_default_str();
  add_filter_options(command, flags.filter);
  command.add_option("--group", flags.group, "One job per node, or per chain of nodes")
      ->check(CLI::IsMember({"nodes", "chains"}))
      ->capture_default_str();
  command.add_option("--intermediates", flags.intermediates,
                     "Put the memory-only datasets that cross jobs on this shared store: an "
                     "absolute folder, file://..., s3://bucket/prefix or redis://host:port/db");
  command.add_option("--params", flags.params,
                     "Parameter overrides every job gets: key=value,other.key=value");
}

}  // namespace

CLI::App* add_export_command(CLI::App& app, ExportFlags& flags) {
  CLI::App* command = app.add_subcommand(
      "export", "Export a pipeline as jobs of a workload manager (Slurm) or an Argo Workflow");
  command->require_subcommand(1);
  flags.slurm = command->add_subcommand("slurm", "Write a submit script: one sbatch job per node");
  add_common(*flags.slurm, flags);
  flags.slurm->add_option("--out", flags.out, "Folder for submit.sh (on a shared filesystem)")
      ->required();
  flags.slurm->add_option("--sluice", flags.sluice,
                          "The sluice the jobs run (default: this executable)");
  flags.slurm->add_option("--cpus-per-task", flags.cpus_per_task, "sbatch --cpus-per-task");
  flags.slurm->add_option("--mem", flags.mem, "sbatch --mem (8G)");
  flags.slurm->add_option("--time", flags.time, "sbatch --time (01:30:00)");
  flags.slurm->add_option("--partition", flags.partition, "sbatch --partition");
  flags.argo = command->add_subcommand("argo", "Write an Argo Workflow: one DAG task per node");
  add_common(*flags.argo, flags);
  flags.argo->add_option("--out", flags.out, "Workflow file (default: standard output)");
  flags.argo->add_option("--image", flags.image, "Container image with sluice and the project");
  flags.argo->add_option("--namespace", flags.namespace_name, "Kubernetes namespace");
  flags.argo->add_option("--workdir", flags.workdir,
                         "The project folder in the image (default: this project's path)");
  flags.argo->add_option("--sluice", flags.sluice, "The sluice command in the image")
      ->capture_default_str();
  comma_list(*flags.argo, "--pass-env", "Environment variables copied into every container",
             flags.pass_env);
  return command;
}

int run_export(const ExportFlags& flags, std::optional<Session>& session) {
  SessionOptions options = flags.project.session();
  if (!flags.params.empty()) {
    options.runtime_params = parse_runtime_params(flags.params);
  }
  session.emplace(std::move(options));
  const Export plan = prepare(flags, *session);
  if (*flags.slurm) {
    const fs::path out = fs::weakly_canonical(fs::absolute(flags.out));
    fs::create_directories(out);
    write_file(out / "submit.sh", slurm_script(flags, plan, out));
    fs::permissions(out / "submit.sh", fs::perms::owner_exec | fs::perms::group_exec,
                    fs::perm_options::add);
    if (!plan.overlay.empty()) {
      write_file(out / kOverlayName, plan.overlay);
    }
    std::cerr << fmt::format(
        "wrote {}: {} jobs in {} dependency levels{}\n", (out / "submit.sh").string(),
        plan.graph.jobs.size(), plan.graph.levels(),
        plan.mapped.empty() ? std::string()
                            : fmt::format(", {} datasets on {} ({})", plan.mapped.size(),
                                          flags.intermediates, (out / kOverlayName).string()));
    return 0;
  }
  const std::string workflow = argo_workflow(flags, plan);
  if (flags.out.empty()) {
    std::cout << workflow;
  } else {
    write_file(flags.out, workflow);
  }
  return 0;
}

}  // namespace sluice::cli
