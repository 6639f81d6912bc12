// Causal depthwise conv1d + SiLU over the xBC channels of a Mamba-2 mixer
// (hf-nemotron-h.md §3.4 step 3; megatron-core-hybrid.md §2.4).
#pragma once

#include <ATen/ATen.h>

namespace nhb::harness {

// x [B, T, C], weight [C, 1, K], bias [C] or undefined. Returns [B, T, C] in x's dtype:
//   out[t, c] = silu(bias[c] + sum_k weight[c, 0, k] * x[t - (K-1) + k, c]),  x[tau < 0] = 0,
// so tap K-1 multiplies the current token. Accumulated in fp32 and rounded once, as the
// causal_conv1d kernel does.
at::Tensor causalConv1dSilu(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);

}  // namespace nhb::harness
