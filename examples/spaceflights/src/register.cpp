// The spaceflights project as a plugin. It registers no __default__: `sluice run` runs the sum of
// its pipelines, as Kedro's find_pipelines() does.

#include <spaceflights/pipeline.hpp>

#include <sluice/core/plugin.hpp>

SLUICE_PLUGIN(registrar) {
  registrar.add_pipeline("data_processing", spaceflights::create_data_processing);
  registrar.add_pipeline("data_science", spaceflights::create_data_science);
  registrar.add_pipeline("reporting", spaceflights::create_reporting);
}
