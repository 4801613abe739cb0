#include <sluice/core/options.hpp>
#include <sluice/runners/builtins.hpp>
#include <sluice/runners/sequential_runner.hpp>

namespace sluice {

void register_builtin_runners(Registrar& registrar) {
  registrar.add_runner("sequential", [](const Param& options) -> std::shared_ptr<Runner> {
    OptionReader(options, "runner 'sequential'").finish();
    return std::make_shared<SequentialRunner>();
  });
}

}  // namespace sluice
