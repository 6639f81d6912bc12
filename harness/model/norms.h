// RMS normalisations of Nemotron-H (hf-nemotron-h.md §3.3, §3.5; megatron-core-hybrid.md §2.4, §2.8).
#pragma once

#include <cstdint>

#include <ATen/ATen.h>

namespace nhb::harness {

// y = (weight * x * rsqrt(mean(x^2, -1) + eps)) over the last dim. Statistics, normalisation and
// the weight multiply are fp32; the result is rounded once to x's dtype (the R1 / Transformer
// Engine variant; HF in-library rounds before the multiply, a <= 1 ulp difference).
at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps);

// Gated group RMSNorm with norm_before_gate = False (Zamba2RMSNormGated / mamba_ssm rmsnorm_fn):
//   g = y * silu(z); each contiguous group of y.size(-1) / groups channels is RMS-normalised;
//   out = weight * g.
// Everything in fp32 (as the kernel), one rounding to outDtype at the end.
at::Tensor gatedGroupRmsNorm(const at::Tensor& y, const at::Tensor& gate, const at::Tensor& weight,
                             int64_t groups, double eps, at::ScalarType outDtype);

}  // namespace nhb::harness
