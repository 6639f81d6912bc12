// Causal grouped-query self-attention of a Nemotron-H `*` layer (hf-nemotron-h.md §3.6;
// megatron-core-hybrid.md §2.5): no RoPE, no QK-norm, scale d^-0.5.
#pragma once

#include <cstdint>

#include <ATen/ATen.h>

namespace nhb::harness {

struct AttentionWeights {
  at::Tensor q;  // [nH * d, hidden]
  at::Tensor k;  // [nKV * d, hidden]
  at::Tensor v;  // [nKV * d, hidden]
  at::Tensor o;  // [hidden, nH * d]
  at::Tensor qBias, kBias, vBias, oBias;  // undefined unless attention_bias
};

struct AttentionShape {
  int64_t numHeads = 0;    // nH
  int64_t numKvHeads = 0;  // nKV; KV head j serves query heads j*rep .. j*rep+rep-1
  int64_t headDim = 0;     // d
};

// x [B, T, hidden] (normed block input). paddingMask [B, T] (1 real, 0 pad) or undefined: padded
// keys are excluded; a query with no visible key (a left-pad row) gets a uniform, finite, unused
// output rather than NaN.
// dtype policy: projections and p.v in the model dtype; q.k^T, the mask and the softmax in fp32
// (as flash/SDPA kernels accumulate), probabilities rounded to the model dtype before p.v.
at::Tensor gqaAttention(const at::Tensor& x, const AttentionWeights& weights,
                        const AttentionShape& shape, const at::Tensor& paddingMask = at::Tensor());

}  // namespace nhb::harness
