// One function per parser of untrusted input; each runs the parser on arbitrary bytes and calls
// reportFuzzFinding (fuzz_support.h) for anything but a clean nhb::Error rejection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace nhb::fuzz {

void fuzzSafetensorsHeader(const uint8_t* data, size_t size);
void fuzzSafetensorsIndex(const uint8_t* data, size_t size);
void fuzzConfigTranslate(const uint8_t* data, size_t size);
void fuzzHybridPattern(const uint8_t* data, size_t size);
void fuzzPickleReader(const uint8_t* data, size_t size);
void fuzzTorchZip(const uint8_t* data, size_t size);
void fuzzTokenizerJson(const uint8_t* data, size_t size);

struct FuzzTarget {
  std::string name;  // as listed by scripts/fuzz.sh --list and used under fuzz/regressions/
  void (*run)(const uint8_t* data, size_t size);
};
const std::vector<FuzzTarget>& fuzzTargets();

}  // namespace nhb::fuzz
