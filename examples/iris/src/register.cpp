// The iris project as a plugin: `sluice run` loads it (sluice.yml names it) and runs
// "__default__".

#include <iris/pipeline.hpp>

#include <sluice/core/plugin.hpp>

SLUICE_PLUGIN(registrar) {
  registrar.add_pipeline("__default__", iris::create_pipeline);
}
