// The HF-layout weights of a whole Nemotron-H model, grouped per block, as the building blocks
// take them. Internal to HfModel (hf_model_weights.cpp loads, hf_model.cpp runs).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "bridge/config/hf_config.h"
#include "harness/model/attention.h"
#include "harness/model/mamba_mixer.h"
#include "harness/model/moe.h"
#include "harness/model/tensor_bridge.h"

namespace nhb::harness {

struct HfBlockWeights {
  char type = 'M';  // M, *, -, E
  at::Tensor norm;  // pre-norm [hidden]
  MambaMixerWeights mamba;
  AttentionWeights attention;
  at::Tensor mlpUp, mlpDown, mlpUpBias, mlpDownBias;
  MoeWeights moe;
};

struct HfMtpDepthWeights {
  at::Tensor enorm, hnorm, ehProj;  // ehProj [hidden, 2 * hidden] over concat(enorm(e), hnorm(h))
  std::vector<HfBlockWeights> blocks;
  at::Tensor finalLayernorm;
};

struct HfModelWeights {
  at::ScalarType dtype = at::kBFloat16;
  at::Tensor embeddings;  // [V, hidden]
  std::vector<HfBlockWeights> layers;
  at::Tensor normF;
  at::Tensor lmHead;      // [V, hidden]
  std::vector<HfMtpDepthWeights> mtp;
  MambaMixerShape mambaShape;
  AttentionShape attentionShape;
  RouterSettings router;
};

HfModelWeights loadHfModelWeights(const config::HfConfig& config, const TensorMap& tensors,
                                  std::optional<at::ScalarType> dtype, const std::string& source);

}  // namespace nhb::harness
