// The safetensors header (peers-and-formats.md §3.1): an 8-byte little-endian length, a JSON
// object {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, then the data section.
// Parsing validates everything the reference reader does and more; serialising is deterministic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/core/dtype.h"
#include "bridge/core/tensor_view.h"

namespace nhb::io {

using Json = nlohmann::ordered_json;

// Upper bound on the JSON header, as in the reference implementation.
inline constexpr std::uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

// What a writer is told about a tensor before its bytes arrive.
struct TensorSpec {
  std::string name;
  DType dtype = DType::U8;
  Shape shape;

  std::size_t nbytes() const;  // numel * itemSize, overflow-checked (BadInput)
};

// One tensor of a safetensors file; offsets are relative to the start of the data section.
struct SafetensorsEntry {
  std::string name;
  DType dtype = DType::U8;
  Shape shape;
  std::uint64_t dataBegin = 0;
  std::uint64_t dataEnd = 0;

  std::uint64_t nbytes() const { return dataEnd - dataBegin; }
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;  // sorted by file offset
  Json metadata = Json::object();         // "__metadata__" (string -> string), empty when absent
};

// Parses and validates the JSON header of a file whose data section is `dataSize` bytes long.
// Errors (BadInput) start with `source` (the file) and name the tensor or field at fault.
SafetensorsHeader parseSafetensorsHeader(std::string_view headerJson, std::uint64_t dataSize,
                                         const std::string& source);

// Stable sort by descending item size: laid out back to back after an 8-aligned header, every
// tensor is then naturally aligned (what the reference writer achieves by sorting on dtype).
void sortForNaturalAlignment(std::vector<TensorSpec>& specs);

// The complete file prefix (8-byte length + JSON padded with spaces to a multiple of 8) for
// tensors laid out back to back in the given order. `metadata` must be an object of strings; it
// is written first as "__metadata__" unless empty.
std::string serializeSafetensorsHeader(const std::vector<TensorSpec>& specs, const Json& metadata);

}  // namespace nhb::io
