// Fuzzes the non-executing pickle reader with tight limits so hostile inputs hit the caps fast.
#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nhb::fuzz::fuzzPickleReader(data, size);
  return 0;
}
