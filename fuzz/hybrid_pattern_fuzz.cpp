// Fuzzes the hybrid layer pattern parser and the helpers that re-split a parsed pattern.
#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nhb::fuzz::fuzzHybridPattern(data, size);
  return 0;
}
