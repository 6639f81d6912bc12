// Fuzzes model.safetensors.index.json: the input is written as the index next to one small valid
// shard ("a.safetensors" holding tensor "w") and the directory is opened as a checkpoint.
#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nhb::fuzz::fuzzSafetensorsIndex(data, size);
  return 0;
}
