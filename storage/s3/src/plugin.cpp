#include <sluice/core/plugin.hpp>
#include <sluice/storage/s3_storage.hpp>

SLUICE_PLUGIN(registrar) {
  sluice::s3::register_s3(registrar);
}
