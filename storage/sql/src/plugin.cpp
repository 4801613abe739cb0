#include <sluice/core/plugin.hpp>
#include <sluice/storage/sql_dataset.hpp>

SLUICE_PLUGIN(registrar) {
  sluice::register_sql(registrar);
}
