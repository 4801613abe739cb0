#include <sluice/core/plugin.hpp>
#include <sluice/storage/redis_dataset.hpp>

SLUICE_PLUGIN(registrar) {
  sluice::register_redis(registrar);
}
