#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include <sluice/core/error.hpp>
#include <sluice/tools/job_graph.hpp>

namespace sluice {
namespace {

// The nodes each node reads from (by index), without repeats.
std::vector<std::vector<std::size_t>> upstream_nodes(const Pipeline& pipeline) {
  std::vector<std::vector<std::size_t>> upstream(pipeline.size());
  for (std::size_t node = 0; node < pipeline.size(); ++node) {
    std::set<std::size_t> producers;
    for (const Pipeline::DatasetId id : pipeline.input_ids(node)) {
      if (const auto producer = pipeline.producer_of(id)) {
        producers.insert(*producer);
      }
    }
    upstream[node].assign(producers.begin(), producers.end());
  }
  return upstream;
}

// A double-quoted YAML scalar.
std::string yaml_quote(const std::string& text) {
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
    }
    quoted += c;
  }
  return quoted + "\"";
}

std::string trim_slashes(std::string text) {
  while (!text.empty() && text.back() == '/') {
    text.pop_back();
  }
  return text;
}

}  // namespace

std::size_t JobGraph::job_of(const std::string& node) const {
  for (std::size_t job = 0; job < jobs.size(); ++job) {
    if (std::find(jobs[job].nodes.begin(), jobs[job].nodes.end(), node) != jobs[job].nodes.end()) {
      return job;
    }
  }
  throw Error(fmt::format("node '{}' is in no job", node));
}

std::size_t JobGraph::levels() const {
  std::vector<std::size_t> level(jobs.size(), 1);
  std::size_t deepest = 0;
  for (std::size_t job = 0; job < jobs.size(); ++job) {
    for (const std::size_t upstream : jobs[job].depends_on) {
      level[job] = std::max(level[job], level[upstream] + 1);
    }
    deepest = std::max(deepest, level[job]);
  }
  return deepest;
}

JobGraph make_job_graph(const Pipeline& pipeline, JobGrouping grouping) {
  const auto upstream = upstream_nodes(pipeline);
  std::vector<std::size_t> downstream_count(pipeline.size(), 0);
  for (const auto& producers : upstream) {
    for (const std::size_t producer : producers) {
      ++downstream_count[producer];
    }
  }
  JobGraph graph;
  std::vector<std::size_t> job_of(pipeline.size());
  for (std::size_t node = 0; node < pipeline.size(); ++node) {
    const std::string& name = pipeline.nodes()[node].name();
    const bool extends_chain = grouping == JobGrouping::chains && upstream[node].size() == 1 &&
                               downstream_count[upstream[node].front()] == 1;
    if (extends_chain) {
      const std::size_t job = job_of[upstream[node].front()];
      job_of[node] = job;
      graph.jobs[job].nodes.push_back(name);
      continue;
    }
    job_of[node] = graph.jobs.size();
    std::set<std::size_t> depends_on;
    for (const std::size_t producer : upstream[node]) {
      depends_on.insert(job_of[producer]);
    }
    graph.jobs.push_back(Job{name, {name}, {depends_on.begin(), depends_on.end()}});
  }
  for (Job& job : graph.jobs) {
    if (job.nodes.size() > 1) {
      job.name = job.nodes.front() + ".." + job.nodes.back();
    }
  }
  std::map<std::string, CrossingDataset> crossing;
  for (std::size_t node = 0; node < pipeline.size(); ++node) {
    for (const Pipeline::DatasetId id : pipeline.input_ids(node)) {
      const auto producer = pipeline.producer_of(id);
      if (!producer || job_of[*producer] == job_of[node]) {
        continue;
      }
      CrossingDataset& entry = crossing[pipeline.dataset_name(id)];
      entry.dataset = pipeline.dataset_name(id);
      entry.producer = pipeline.nodes()[*producer].name();
      entry.consumers.push_back(pipeline.nodes()[node].name());
    }
  }
  for (auto& [name, entry] : crossing) {
    graph.crossing.push_back(std::move(entry));
  }
  return graph;
}

std::vector<CrossingDataset> memory_only_crossings(const JobGraph& graph, const Catalog& catalog) {
  std::vector<CrossingDataset> memory_only;
  for (const CrossingDataset& entry : graph.crossing) {
    if (Catalog::is_parameter(entry.dataset)) {
      continue;
    }
    const auto dataset = catalog.find(entry.dataset);
    if (!dataset || dataset->is_ephemeral()) {
      memory_only.push_back(entry);
    }
  }
  return memory_only;
}

std::string memory_only_error(const std::vector<CrossingDataset>& datasets) {
  std::string list;
  for (const CrossingDataset& entry : datasets) {
    list += fmt::format("{}'{}' (written by node '{}', read by {})", list.empty() ? "" : "; ",
                        entry.dataset, entry.producer,
                        fmt::format("'{}'", fmt::join(entry.consumers, "', '")));
  }
  return fmt::format(
      "{} dataset{} cross{} jobs but {} kept in memory only, so the job reading {} would not "
      "find {}: {}. Give {} a persisted catalog entry (e.g. BinaryDataset on a shared "
      "filesystem, s3:// or RedisDataset), pass --intermediates URL (a shared folder, "
      "s3://bucket/prefix or redis://host:port/db) to put every such dataset there, or use "
      "--group chains so fewer datasets cross jobs",
      datasets.size(), datasets.size() == 1 ? "" : "s", datasets.size() == 1 ? "es" : "",
      datasets.size() == 1 ? "is" : "are", datasets.size() == 1 ? "it" : "them",
      datasets.size() == 1 ? "it" : "them", list, datasets.size() == 1 ? "it" : "them");
}

std::string intermediates_overlay(const std::vector<CrossingDataset>& datasets,
                                  const std::string& url) {
  std::string entries;
  auto file_entry = [&](const std::string& base) {
    for (const CrossingDataset& entry : datasets) {
      entries +=
          fmt::format("{}:\n  type: BinaryDataset\n  filepath: {}\n", yaml_quote(entry.dataset),
                      yaml_quote(base + "/" + entry.dataset + ".bin"));
    }
  };
  if (url.starts_with("redis://")) {
    // redis://host:port/db keeps the keys sluice:<dataset>; redis://host:port/db/prefix uses
    // prefix:<dataset>.
    const std::string rest = trim_slashes(url.substr(8));
    const auto db_slash = rest.find('/');
    const auto prefix_slash =
        db_slash == std::string::npos ? std::string::npos : rest.find('/', db_slash + 1);
    const std::string server = "redis://" + rest.substr(0, prefix_slash);
    const std::string prefix =
        prefix_slash == std::string::npos ? "sluice" : rest.substr(prefix_slash + 1);
    for (const CrossingDataset& entry : datasets) {
      entries += fmt::format("{}:\n  type: RedisDataset\n  url: {}\n  key: {}\n",
                             yaml_quote(entry.dataset), yaml_quote(server),
                             yaml_quote(prefix + ":" + entry.dataset));
    }
  } else if (url.starts_with("s3://")) {
    file_entry(trim_slashes(url));
  } else if (url.starts_with("file://")) {
    file_entry(trim_slashes(url));
  } else if (url.starts_with("/")) {
    file_entry(url == "/" ? "" : trim_slashes(url));
  } else {
    throw ConfigError(fmt::format(
        "--intermediates '{}': expected an absolute folder on a filesystem every job sees "
        "(/shared/run), file:///shared/run, s3://bucket/prefix or redis://host:port/db",
        url));
  }
  return "# Written by `sluice export`: the datasets that cross jobs, on shared storage. Each job\n"
         "# reads it with `sluice run --catalog-overlay <this file>`.\n" +
         entries;
}

}  // namespace sluice
