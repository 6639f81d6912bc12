// Fuzzes tokenizer.json parsing (vocabulary, merges, added tokens, pre/post-processors).
#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nhb::fuzz::fuzzTokenizerJson(data, size);
  return 0;
}
