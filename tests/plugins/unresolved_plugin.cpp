// Refers to a symbol nothing defines, so loading it with RTLD_NOW fails in the dynamic loader.

extern "C" int sluice_test_symbol_that_does_not_exist();

extern "C" __attribute__((visibility("default"))) int call_missing() {
  return sluice_test_symbol_that_does_not_exist();
}
