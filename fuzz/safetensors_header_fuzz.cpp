// Fuzzes the safetensors JSON header parser. The first 8 bytes pick the data-section size so the
// offset checks see both fitting and overflowing layouts; the rest is the header JSON.
#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nhb::fuzz::fuzzSafetensorsHeader(data, size);
  return 0;
}
