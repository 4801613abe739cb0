// The plugin `mpi_runner`: the runner "mpi" (Open MPI). `sluice run --runner mpi` loads it on
// demand, so a run with another runner never loads libmpi.
//
// Options (runner options; `sluice run --async` and `--keep-inputs` set the first two):
//   async_io:           load a node's inputs, and save its outputs, concurrently
//   keep_inputs:        keep free inputs for the whole run
//   max_message_bytes:  the largest single MPI message of a transfer (default 1 GiB)

#include <fmt/format.h>

#include <sluice/core/error.hpp>
#include <sluice/core/options.hpp>
#include <sluice/core/plugin.hpp>
#include <sluice/runners/mpi/mpi_runner.hpp>

SLUICE_PLUGIN(registrar) {
  const sluice::CodecRegistry& codecs = registrar.registry().codecs;
  registrar.add_runner(
      "mpi", [&codecs](const sluice::Param& options) -> std::shared_ptr<sluice::Runner> {
        sluice::OptionReader reader(options, "runner 'mpi'");
        const bool async_io = reader.flag("async_io", false);
        const bool keep_inputs = reader.flag("keep_inputs", false);
        const std::uint64_t max_message_bytes =
            reader.bytes("max_message_bytes", sluice::mpi::kMaxMessageBytes);
        if (options.is_map() && options.find("max_workers") != nullptr) {
          throw sluice::ConfigError(
              "runner 'mpi': --max-workers does not apply: each rank but rank 0 runs one node "
              "at a time; choose the number of ranks with mpirun -np N");
        }
        reader.finish();
        if (max_message_bytes == 0) {
          throw sluice::ConfigError(fmt::format("{}: must be at least 1 (got {})",
                                                reader.where("max_message_bytes"),
                                                max_message_bytes));
        }
        auto runner = std::make_shared<sluice::MpiRunner>(
            codecs, async_io, static_cast<std::size_t>(max_message_bytes));
        runner->set_keep_inputs(keep_inputs);
        return runner;
      });
}
