// The parameter inventory of a NemotronHForCausalLM checkpoint: every tensor a config implies,
// with its on-disk (safetensors) name, shape and dtype role, in a stable order. Computed from the
// config alone, so it serves the fixture generator, `inspect` and conversion planning alike.
// See ../shared/reference/hf-nemotron-h.md §2.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bridge/config/hf_config.h"
#include "bridge/core/dtype.h"
#include "bridge/core/tensor_view.h"

namespace nhb::model {

// Which dtype a tensor is stored in: the model dtype (torch_dtype) or always fp32 (the MoE
// router's e_score_correction_bias, HF `_keep_in_fp32_modules_strict`).
enum class DTypeRole { Model, Fp32 };

// Where a tensor lives. Global tensors (embeddings, norm_f, lm_head) have no layer.
enum class LayerSymbol : char {
  None = 0,
  Mamba = 'M',
  Attention = '*',
  Mlp = '-',
  Moe = 'E',
};

struct HfParameter {
  std::string name;
  Shape shape;
  DTypeRole role = DTypeRole::Model;
  LayerSymbol layerSymbol = LayerSymbol::None;
  bool mtp = false;     // lives under mtp.layers.*
  int64_t layer = -1;   // backbone layer index, or flat MTP index (depth*L + inner); -1 if global

  int64_t numel() const { return numelChecked(shape); }
  DType dtype(DType modelDType) const { return role == DTypeRole::Fp32 ? DType::F32 : modelDType; }
};

// Every parameter the config implies: backbone.embeddings, then each backbone layer (norm, mixer
// tensors), backbone.norm_f, lm_head (unless tied), then the flattened MTP layers.
std::vector<HfParameter> hfParameters(const config::HfConfig& config);

// The model dtype named by torch_dtype/dtype; BadInput (naming the value) when it is not a
// floating-point dtype this project knows.
DType modelDType(const config::HfConfig& config);

struct ParameterTotals {
  int64_t tensors = 0;
  int64_t elements = 0;
};
ParameterTotals totals(const std::vector<HfParameter>& parameters);

}  // namespace nhb::model
