// Fuzzes the PyTorch zip reader and the torch.save file loader on the same bytes: the input is
// written to a file, listed, every stored entry read, then loaded as a state dict.
#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nhb::fuzz::fuzzTorchZip(data, size);
  return 0;
}
