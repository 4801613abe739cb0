// Claims a plugin ABI version this sluice does not have.

#include <cstdint>

namespace sluice {
class Registrar;
}

extern "C" __attribute__((visibility("default"))) std::uint32_t sluice_plugin_abi_version() {
  return 999;
}
extern "C" __attribute__((visibility("default"))) void sluice_plugin_register(sluice::Registrar&) {}
