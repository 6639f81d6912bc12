// The Nemotron-H forward pass in Megatron-Core's hybrid layout (HybridModel, megatron-core-hybrid.md
// §2, MTP §4), read from a legacy `torch` checkpoint (§5.1) of any TP/PP/EP/ETP, TE or local
// naming. Ranks are simulated in one process: every TP shard, pipeline stage and EP rank keeps its
// own tensors, and the forward combines them the way Megatron's collectives do (megatron_layers.h).
// This is an independent witness of the HF forward: it never calls the converter's mapping code.
//
// Forward semantics beyond Megatron's own: a left-padded batch with an attention mask is handled
// as the HF forward does (Mamba inputs and conv outputs zeroed at pads, pad keys masked), so the
// two forwards agree on padded batches; MTP runs at inference too (Megatron runs it only in
// training) so its logits can be compared.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <ATen/ATen.h>

#include "bridge/config/provider_config.h"
#include "harness/model/hf_model.h"  // ForwardOptions, ForwardOutput

namespace nhb::harness {

struct MegatronModelOptions {
  std::optional<at::ScalarType> dtype;  // default: the checkpoint's (the embedding's) dtype
  at::Device device = at::kCPU;
};

struct MegatronModelWeights;

class MegatronModel {
 public:
  // `dir` is the Megatron --save directory (tracker file + iter_*/release) or an iteration
  // directory. The model config comes from the rank files' `args` (as Megatron's
  // --use-checkpoint-args), else from megatron_config.json next to the tracker. BadInput naming
  // the file and the key for anything missing or mis-shaped.
  static MegatronModel load(const std::filesystem::path& dir, const MegatronModelOptions& options = {});

  ~MegatronModel();
  MegatronModel(MegatronModel&&) noexcept;
  MegatronModel& operator=(MegatronModel&&) noexcept;

  // Same contract as HfModel::forward: tokens [B, T] integer ids, attentionMask [B, T] (1 real,
  // 0 pad; left padding) or undefined. Logits [B, T, vocab] fp32 with the Megatron vocab padding
  // sliced off; captured layers use the HF names ("embeddings", "layers.{i}" with global i,
  // "norm_f", "mtp.{d}.eh_proj", "mtp.{d}.layers.{j}", "mtp.{d}.final_layernorm").
  ForwardOutput forward(const at::Tensor& tokens, const at::Tensor& attentionMask = at::Tensor(),
                        const ForwardOptions& options = {}) const;

  at::ScalarType dtype() const;
  at::Device device() const;
  int64_t vocabSize() const;        // real vocab
  int64_t paddedVocabSize() const;  // embedding rows over all TP ranks
  const config::ProviderConfig& config() const { return config_; }

 private:
  MegatronModel(config::ProviderConfig config, std::unique_ptr<MegatronModelWeights> weights);

  config::ProviderConfig config_;
  std::unique_ptr<MegatronModelWeights> weights_;
};

}  // namespace nhb::harness
