// The Nemotron-H forward pass in the Hugging Face layout (NemotronHForCausalLM,
// hf-nemotron-h.md §3, §4), plus the MTP depths HF itself does not run (§3.10).
//
// dtype policy (the "kernel" column of hf-nemotron-h.md §4; bf16 checkpoints run in bf16):
//   * weights, activations, residual stream, projections, conv output, expert outputs: model dtype;
//   * fp32 where the reference kernels compute in fp32: RMSNorm statistics and weight multiply
//     (rounded once), dt/softplus, A, the selective scan and its state, the D skip, the gated
//     norm, q.k^T and the softmax, the router (logits, sigmoid, top-k, weights), the MoE weighted
//     sum, and the logits (returned as fp32);
//   * dt_bias, A_log, D, the router weight and e_score_correction_bias stay in their stored dtype
//     (they are only ever used after an fp32 upcast).
// Device: the model runs wherever its tensors live (CPU now, CUDA later); tokens follow.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/ATen.h>

#include "bridge/config/hf_config.h"
#include "harness/model/tensor_bridge.h"

namespace nhb::harness {

struct ForwardOptions {
  // Record the hidden state after every block, in execution order: "embeddings", "layers.{i}",
  // "norm_f", then per MTP depth d (0-based): "mtp.{d}.eh_proj", "mtp.{d}.layers.{inner}",
  // "mtp.{d}.final_layernorm".
  bool captureLayers = false;
  // MTP depths to run: -1 every stored depth (num_nextn_predict_layers), 0 none; more than stored
  // reuses the last stored depth (Megatron's mtp_use_repeated_layer).
  int64_t mtpDepths = -1;
};

struct ForwardOutput {
  at::Tensor logits;                                            // [B, T, V] fp32
  std::vector<std::pair<std::string, at::Tensor>> layers;       // see ForwardOptions
  std::vector<at::Tensor> mtpLogits;  // per depth d: [B, T, V] fp32, position t predicts token t+d+2
};

struct HfModelOptions {
  // Run in this dtype instead of the checkpoint's (the embedding's) dtype.
  std::optional<at::ScalarType> dtype;
  // Names the weights in error messages (a checkpoint directory, a file).
  std::string source = "HF weights";
};

struct HfModelWeights;  // per-block weight structs, hf_model_weights.h

class HfModel {
 public:
  // `tensors` uses the on-disk names of hf-nemotron-h.md §2 (backbone.layers.{i}.mixer.*,
  // backbone.embeddings.weight, backbone.norm_f.weight, lm_head.weight, mtp.layers.{j}.*).
  // Every tensor the config implies is checked up front: BadInput naming the source and the
  // tensor when one is missing or mis-shaped. Tensors are shared, not copied, unless a dtype
  // conversion is needed.
  HfModel(const config::HfConfig& config, const TensorMap& tensors, const HfModelOptions& options = {});
  ~HfModel();
  HfModel(HfModel&&) noexcept;
  HfModel& operator=(HfModel&&) noexcept;

  // tokens [B, T] integer ids; attentionMask [B, T] (1 real, 0 pad; left padding) or undefined.
  // Logits of padded positions are unspecified (finite).
  ForwardOutput forward(const at::Tensor& tokens, const at::Tensor& attentionMask = at::Tensor(),
                        const ForwardOptions& options = {}) const;

  at::ScalarType dtype() const;
  const config::HfConfig& config() const { return config_; }

 private:
  config::HfConfig config_;
  std::unique_ptr<HfModelWeights> weights_;
};

}  // namespace nhb::harness
