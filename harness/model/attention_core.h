// The softmax(q.k^T * scale) v core of causal self-attention, shared by the HF-layout and the
// Megatron-layout attention (each does its own projections and head layout). Queries are taken in
// blocks, each against only the keys it can see, so the fp32 score matrix never holds more than a
// few million entries: at T = 4096 a full [B, H, T, T] matrix would be gigabytes.
#pragma once

#include <ATen/ATen.h>

namespace nhb::harness {

// q, k, v [B, H, T, d] (k and v already repeated to the query heads). paddingMask [B, T] (1 real,
// 0 pad) or undefined: padded keys are excluded; a query that sees no key gets a uniform, finite,
// unused output rather than NaN. Scores and softmax in fp32; the probabilities are rounded to v's
// dtype before p.v (as flash/SDPA kernels do). Returns [B, H, T, d] in v's dtype.
at::Tensor causalAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale,
                           const at::Tensor& paddingMask);

}  // namespace nhb::harness
