// The weights of a Megatron-Core hybrid (Nemotron-H) model exactly as the per-rank legacy files
// hold them: every TP-sharded tensor stays a list of per-rank shards (local shapes), experts stay
// with their EP rank and ETP shards. Nothing is re-assembled into the HF layout; the forward
// (megatron_model.cpp) simulates the ranks instead. Internal to MegatronModel.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>

#include "bridge/config/provider_config.h"
#include "bridge/io/megatron_legacy.h"
#include "harness/model/mamba_mixer.h"

namespace nhb::harness {

// Shapes Megatron derives from its config (megatron-core-hybrid.md §0), for the whole model.
struct MegatronDims {
  int64_t tp = 1, pp = 1, ep = 1, etp = 1;
  int64_t hidden = 0;
  int64_t vocab = 0;        // real vocab (logits are sliced to it)
  int64_t paddedVocab = 0;  // rows of the (gathered) embedding / output layer
  double eps = 1e-5;        // layernorm_epsilon
  // Mamba (global sizes; a rank holds H/tp heads and G/tp groups).
  int64_t mambaHeads = 0, mambaHeadDim = 0, mambaGroups = 0, mambaState = 0, convKernel = 4;
  int64_t chunkSize = 128;  // MambaMixer's constructor default; the scan is chunk-size invariant
  // Attention.
  int64_t heads = 0, queryGroups = 0, headDim = 0;
  // MLP / MoE.
  int64_t ffn = 0;
  int64_t experts = 0, topK = 0, moeFfn = 0, sharedFfn = 0, latent = 0;
  int64_t routerGroups = 0, routerGroupTopK = 0;
  double routerScaling = 1.0;
  bool routerFp32 = true;  // moe_router_dtype == "fp32"
};

// One TP rank's share of a Mamba mixer: Megatron's local tensors, with the mixer run on the
// rank's H/tp heads and G/tp groups.
using MegatronMambaShard = MambaMixerWeights;

struct MegatronAttentionShard {
  at::Tensor qkv;   // [(A + 2Q) * dh / tp, h], rows grouped per query group (§2.5)
  at::Tensor proj;  // [h, A * dh / tp] (row parallel)
};

struct MegatronMlpShard {
  at::Tensor fc1;  // [F / tp, h] (column parallel)
  at::Tensor fc2;  // [h, F / tp] (row parallel)
};

struct MegatronExpert {
  int64_t epRank = 0;                    // the EP rank holding it (global id = epRank * El + local)
  std::vector<MegatronMlpShard> shards;  // one per ETP rank: fc1 [Fm/etp, hin], fc2 [hin, Fm/etp]
};

struct MegatronMoeWeights {
  at::Tensor router;      // [E, h] replicated
  at::Tensor routerBias;  // [E] or undefined (add_bias_linear)
  at::Tensor expertBias;  // [E] fp32 or undefined
  std::vector<MegatronExpert> experts;   // global expert order
  std::vector<MegatronMlpShard> shared;  // per TP rank; empty without a shared expert
  at::Tensor sharedGate;                 // [1, h] or undefined
  at::Tensor fc1Latent, fc2Latent;       // [Lt, h], [h, Lt] or undefined
};

struct MegatronLayerWeights {
  char type = 'M';
  // The pre-norm: the TE spec fuses it into the first linear (`*.layer_norm_weight`), the local
  // spec stores a separate norm module; the math is the same RMSNorm.
  at::Tensor norm;
  std::vector<MegatronMambaShard> mamba;          // per TP rank
  std::vector<MegatronAttentionShard> attention;  // per TP rank
  std::vector<MegatronMlpShard> mlp;              // per TP rank
  MegatronMoeWeights moe;
};

struct MegatronMtpDepthWeights {
  at::Tensor enorm, hnorm;
  std::vector<at::Tensor> ehProj;  // per TP rank [h/tp, 2h]; columns 0..h-1 take enorm(embedding)
  std::vector<MegatronLayerWeights> layers;
  at::Tensor finalLayernorm;
};

struct MegatronModelWeights {
  MegatronDims dims;
  at::ScalarType dtype = at::kBFloat16;
  std::vector<at::Tensor> embedding;     // first stage, per TP rank [V/tp, h]
  std::vector<at::Tensor> mtpEmbedding;  // the last stage's own copy (MTP with pp > 1), else empty
  std::vector<MegatronLayerWeights> layers;  // global layer order (stages concatenated)
  std::vector<int64_t> stageFirstLayer;      // size pp + 1
  at::Tensor finalNorm;
  std::vector<at::Tensor> output;        // last stage, per TP rank [V/tp, h]; empty when tied
  std::vector<MegatronMtpDepthWeights> mtp;  // stored MTP layers (last stage)
  int64_t mtpForwardDepths = 0;              // mtp_num_layers (repeats the last stored layer)
  std::string mtpPattern;
  std::string pattern;                       // main layer symbols
  // The mapped rank files: loaded tensors may alias their bytes.
  std::vector<std::shared_ptr<const io::MegatronRankState>> files;
};

struct MegatronLoadSettings {
  std::optional<at::ScalarType> dtype;  // default: the embedding's stored dtype
  at::Device device = at::kCPU;
};

// Reads every rank file of `checkpoint`; `provider` is the model config (from the files' args or
// megatron_config.json). BadInput naming the rank file and the key for a missing, None or
// mis-shaped tensor, and for layers whose keys disagree with the pattern.
MegatronModelWeights loadMegatronWeights(const io::MegatronLegacyCheckpoint& checkpoint,
                                         const config::ProviderConfig& provider,
                                         const MegatronLoadSettings& settings);

}  // namespace nhb::harness
