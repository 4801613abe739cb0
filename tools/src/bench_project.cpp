#include "bench_project.hpp"

#include <atomic>

#include <fmt/format.h>
#include <unistd.h>

#include <sluice/core/error.hpp>
#include <sluice/core/node.hpp>

#include "data_folder.hpp"

namespace sluice {
namespace fs = std::filesystem;

namespace {

// A folder removed with its contents when the last run using it is done.
std::shared_ptr<void> scratch_folder(fs::path& path) {
  static std::atomic<unsigned> counter{0};
  path = fs::temp_directory_path() / fmt::format("sluice-bench-{}-{}", ::getpid(), ++counter);
  fs::remove_all(path);
  fs::create_directories(path);
  return {new fs::path(path), [](fs::path* folder) {
            std::error_code ignored;
            fs::remove_all(*folder, ignored);
            delete folder;
          }};
}

}  // namespace

bench::WorkloadFactory project_workload(const Session& session, const std::string& pipeline_name) {
  const Pipeline pipeline = session.pipeline(pipeline_name);  // errors now, not per point
  return [&session, pipeline](const bench::ScenarioOptions& options, const Clock& clock) {
    bench::Workload workload;
    if (options.compute > Clock::duration::zero()) {
      std::vector<Node> nodes;
      for (const Node& node : pipeline.nodes()) {
        nodes.push_back(node.with_function(Node::Body(
            [node, &clock, options](const std::vector<Value>& inputs,
                                    const std::vector<std::string>&, std::vector<Value>& outputs) {
              bench::spend_compute(clock, options.compute, options.mode);
              node.run(inputs, outputs);
            })));
      }
      workload.pipeline = Pipeline(std::move(nodes));
    } else {
      workload.pipeline = pipeline;
    }
    workload.make_catalog = [&session, pipeline](const Clock& run_clock) {
      bench::RunCatalog run;
      fs::path folder;
      run.keep_alive = scratch_folder(folder);
      run.catalog = session.make_catalog_at(folder, run_clock, &pipeline);
      const Catalog project = session.make_catalog_at(session.project().root, run_clock, &pipeline);
      for (const auto& input : pipeline.inputs()) {
        if (auto dataset = project.find(input); dataset && !Catalog::is_parameter(input)) {
          run.catalog.add(input, std::move(dataset), true);
        }
      }
      return run;
    };
    return workload;
  };
}

fs::path iris_project() {
  const fs::path folder = cli::data_folder() / "examples" / "iris";
  if (!fs::is_regular_file(folder / "sluice.yml")) {
    throw ConfigError(fmt::format(
        "the iris scenario runs the iris example installed with sluice, which is not at '{}' "
        "(reinstall sluice, or in a build tree build the 'sluice' target); or run a generated "
        "scenario (--scenario chain:8) or your project (--scenario project --project DIR)",
        folder.string()));
  }
  return folder;
}

}  // namespace sluice
