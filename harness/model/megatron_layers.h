// The layers of a Megatron-Core hybrid model run with Megatron's tensor/expert-parallel semantics,
// every rank simulated in this process (megatron-core-hybrid.md §2): column-parallel outputs are
// concatenated over TP ranks, row-parallel partial outputs summed (the all-reduce), the vocab-
// parallel embedding looks each id up on the rank owning it, experts run on their EP rank (and
// ETP shards) under one global routing decision.
//
// dtype policy (a bf16 Megatron run): activations, weights and the residual stream in the model
// dtype; the RMSNorms, dt/softplus, the scan and its state, the gated norm, q.k^T and softmax and
// the fp32 router in fp32 (as the kernels); partial sums over ranks and the MoE scatter-add in the
// activation dtype (NCCL all-reduce / unpermute); expert probabilities multiply act(fc1) in fp32
// and are rounded to the activation dtype before fc2 (weighted_squared_relu).
#pragma once

#include <vector>

#include <ATen/ATen.h>

#include "harness/model/megatron_weights.h"

namespace nhb::harness {

// VocabParallelEmbedding: rank r looks up ids in [r*V/tp, (r+1)*V/tp) in its shard, zero rows
// elsewhere; the rank outputs are summed. tokens [B, T] int64 -> [B, T, h].
at::Tensor vocabParallelEmbedding(const std::vector<at::Tensor>& shards, const at::Tensor& tokens);

// ColumnParallelLinear with gather_output: the per-rank outputs x.W_r^T concatenated on the last dim.
at::Tensor columnParallelGathered(const at::Tensor& x, const std::vector<at::Tensor>& shards);

// One decoder layer (any of M * - E): residual + mixer(norm(x)). paddingMask [B, T] bool or
// undefined (Mamba and attention honour it exactly as the HF forward does).
at::Tensor megatronLayer(const MegatronLayerWeights& layer, const MegatronDims& dims, const at::Tensor& x,
                         const at::Tensor& paddingMask);

// The mixers alone, on the normed input xn [B, T, h].
at::Tensor megatronMamba(const std::vector<MegatronMambaShard>& shards, const MegatronDims& dims,
                         const at::Tensor& xn, const at::Tensor& paddingMask);
at::Tensor megatronAttention(const std::vector<MegatronAttentionShard>& shards, const MegatronDims& dims,
                             const at::Tensor& xn, const at::Tensor& paddingMask);
at::Tensor megatronMlp(const std::vector<MegatronMlpShard>& shards, const at::Tensor& xn);
at::Tensor megatronMoe(const MegatronMoeWeights& moe, const MegatronDims& dims, const at::Tensor& xn);

// TopKRouter with the sigmoid score function (moe_utils topk_routing_with_score_function):
// selection on sigmoid(logits) + expert_bias (group-limited when routerGroups > 1: a group scores
// the sum of its topK/groupTopK best), probabilities = the unbiased scores, normalised when
// topK > 1, times the scaling factor. xn [N, h]; returns experts [N, k] int64, probs [N, k] fp32.
struct MegatronRouting {
  at::Tensor experts;
  at::Tensor probs;
};
MegatronRouting megatronRoute(const MegatronMoeWeights& moe, const MegatronDims& dims, const at::Tensor& xn);

}  // namespace nhb::harness
