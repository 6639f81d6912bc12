// The Nemotron-H mapping registry: every Megatron state-dict entry (global names) with its HF
// source(s) and mapping, built from the model's sizes. Tables follow
// megatron-bridge-conversion.md §2.3-2.5 and megatron-core-hybrid.md §3.2-3.3, §4.3.
#pragma once

#include <cstdint>

#include "bridge/mapping/model_dims.h"
#include "bridge/mapping/registry.h"

namespace nhb::mapping {

// te: Transformer Engine spec (norms fused into linears as `layer_norm_weight`, uint8 extra
// state); local: ModelOpt local spec (separate norms, None extra state).
enum class Naming { TransformerEngine, Local };
// current: `mixer.conv1d_weight` / `conv1d_bias`; legacy: the `nn.Conv1d` submodule names
// `mixer.conv1d.weight` / `conv1d.bias` of checkpoints written before 2026-06.
enum class Conv1dNaming { Current, Legacy };
// grouped: TEGroupedMLP `experts.linear_fc1.weight{e}`; sequential: `experts.local_experts.{e}.…`.
enum class ExpertStorage { Grouped, Sequential };

struct RegistryOptions {
  Naming naming = Naming::TransformerEngine;
  Conv1dNaming conv1d = Conv1dNaming::Current;
  ExpertStorage experts = ExpertStorage::Grouped;
  int64_t paddedVocab = 0;  // Megatron vocab rows when padded; 0 = HF vocab_size
};

Registry buildNemotronHRegistry(const ModelDims& dims, const RegistryOptions& options = {});

}  // namespace nhb::mapping
