// Fuzzes config.json translation end to end: parse, HF -> provider (finalized), provider -> HF
// with and without the original as reference.
#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nhb::fuzz::fuzzConfigTranslate(data, size);
  return 0;
}
