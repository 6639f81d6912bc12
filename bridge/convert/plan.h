// A conversion plan: every entry of every Megatron rank's state dict with the HF source(s) and
// blocks it is cut from, computed from the model sizes and the layout alone (no weights). The
// same plan drives HF -> Megatron (gather blocks into shards) and Megatron -> HF (scatter them
// back), see /work/shared/design.md.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bridge/convert/layout.h"
#include "bridge/mapping/registry.h"
#include "bridge/mapping/shard_blocks.h"

namespace nhb::convert {

struct PlanEntry {
  std::string key;                       // local Megatron key in this rank's state dict
  mapping::EntryValue value = mapping::EntryValue::Tensor;
  // Tensor entries only:
  std::string globalName;                // global layer number and expert id
  std::vector<std::string> sources;      // HF tensor names
  std::vector<Shape> sourceShapes;
  std::vector<mapping::Block> blocks;
  Shape shape;                           // local shape on this rank
  bool castToFp32 = false;               // A_log / D with Layout::aLogDFp32
  bool exportDuplicate = false;          // a copy that export ignores (tied output on the last stage)
};

struct RankPlan {
  Rank rank;
  std::vector<PlanEntry> entries;        // state-dict order
};

struct Plan {
  mapping::ModelDims dims;
  Layout layout;
  int64_t megatronVocab = 0;             // padded vocab rows
  PipelineStages stages;
  std::vector<RankPlan> ranks;           // ordered by (pp, ep, tp)

  std::size_t tensorCount() const;
};

// HF -> Megatron plan; throws BadInput (naming `source`) for layouts the model does not allow.
Plan planConversion(const mapping::ModelDims& dims, const Layout& layout, const std::string& source);

// Megatron -> HF: one task per HF tensor group (one tensor, or q/k/v) listing the shards that hold
// its blocks; replicas (identical blocks on several ranks) are listed once, the lowest rank first.
struct ShardRef {
  std::size_t rankIndex = 0;             // index into Plan::ranks
  std::size_t entryIndex = 0;            // index into RankPlan::entries
};
struct ExportTask {
  std::vector<std::string> targets;      // HF names
  std::vector<Shape> targetShapes;
  std::vector<ShardRef> shards;
  bool castFromFp32 = false;
};
std::vector<ExportTask> planExport(const Plan& plan);

}  // namespace nhb::convert
