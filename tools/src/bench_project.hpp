#pragma once

#include <filesystem>
#include <string>

#include <sluice/bench/harness.hpp>
#include <sluice/tools/session.hpp>

namespace sluice {

/// The `project` (and `iris`) scenario of `sluice bench`: a pipeline of the session's project
/// with its own catalog. Each run happens in a scratch folder: free inputs are read where the
/// project keeps them, whatever the pipeline writes goes to the scratch folder (removed after
/// the run), so benchmarking never touches the project's data. A scenario's compute (`--compute`)
/// is added to each node's own work. The session must outlive the factory.
bench::WorkloadFactory project_workload(const Session& session, const std::string& pipeline_name);

/// The iris example project, the default scenario of `sluice bench`: `examples/iris` of
/// sluice's data folder (installed with it, see data_folder.hpp). ConfigError saying what to do
/// when it is not there.
std::filesystem::path iris_project();

}  // namespace sluice
