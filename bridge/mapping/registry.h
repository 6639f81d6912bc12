// An ordered table of (Megatron pattern, HF pattern(s), mapping) rows with lookups in both
// directions: registration order, first match wins (megatron-bridge-conversion.md §2.1).
// Rows also carry what the planner needs (HF shapes, placement, extra-state entries), so that one
// registry describes a whole Megatron state dict and nothing else has to know key names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bridge/core/tensor_view.h"
#include "bridge/mapping/mapping_kind.h"
#include "bridge/mapping/name_pattern.h"

namespace nhb::mapping {

// Where an entry lives in the pipeline: the first stage holds the embedding, the last the final
// norm, output layer and MTP block; decoder layers live on the stage that owns their index.
enum class Section { Embedding, Decoder, FinalNorm, Output, Mtp };

// What the Megatron state dict stores under the key: a tensor converted from HF, an empty uint8
// tensor (Transformer Engine `_extra_state` without FP8) or None (Megatron linear `_extra_state`).
enum class EntryValue { Tensor, EmptyBytes, None };

struct MappingRow {
  NamePattern megatron;          // global layer numbers and global expert ids
  std::vector<NamePattern> hf;   // 1 source, or q/k/v for Qkv; empty for `_extra_state` entries
  std::vector<Shape> hfShapes;   // shape of each HF source (the same for every instance)
  MappingSpec spec;
  EntryValue value = EntryValue::Tensor;
  Section section = Section::Decoder;
  int64_t layer = -1;            // global decoder layer (Decoder) or MTP depth (Mtp)
  int64_t instances = 0;         // > 0: the row's single `*` runs over 0..instances-1 (expert ids)
  bool expert = false;           // the `*` capture is a global routed-expert id
  bool fp32Candidate = false;    // A_log / D: may be stored as fp32 in Megatron (layout option)
};

struct ResolvedMapping {
  const MappingRow* row = nullptr;
  std::size_t rowIndex = 0;
  Captures captures;
  std::string megatron;
  std::vector<std::string> hf;
};

class Registry {
 public:
  void add(MappingRow row);
  const std::vector<MappingRow>& rows() const { return rows_; }

  // Lookups over rows that have HF sources; for Qkv rows any of q/k/v finds the whole mapping.
  std::optional<ResolvedMapping> megatronToHf(std::string_view megatronName) const;
  std::optional<ResolvedMapping> hfToMegatron(std::string_view hfName) const;

  // The row resolved for one capture tuple (used to enumerate instances).
  ResolvedMapping resolve(std::size_t rowIndex, const Captures& captures) const;

  // Every concrete entry in registration order (wildcard rows expanded over their instances).
  std::vector<ResolvedMapping> expand() const;

 private:
  std::vector<MappingRow> rows_;
  // Exact-name indexes for wildcard-free rows; wildcard rows are scanned in order.
  std::unordered_map<std::string, std::size_t> exactMegatron_, exactHf_;
  std::vector<std::size_t> wildcardRows_;
};

}  // namespace nhb::mapping
