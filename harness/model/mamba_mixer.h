// The Mamba-2 mixer of a Nemotron-H `M` layer (hf-nemotron-h.md §3.4; megatron-core-hybrid.md
// §2.4): in_proj -> z | xBC | dt, causal conv + SiLU, selective scan, D skip, gated group RMSNorm,
// out_proj. Layout-neutral: the caller supplies the tensors under whatever names it loads.
#pragma once

#include <cstdint>
#include <limits>

#include <ATen/ATen.h>

namespace nhb::harness {

struct MambaMixerWeights {
  at::Tensor inProj;       // [2I + 2GN + H, hidden], rows z (I) | x (I) | B (GN) | C (GN) | dt (H)
  at::Tensor inProjBias;   // [2I + 2GN + H] or undefined
  at::Tensor convWeight;   // [I + 2GN, 1, K], channels x | B | C
  at::Tensor convBias;     // [I + 2GN] or undefined
  at::Tensor dtBias;       // [H]
  at::Tensor aLog;         // [H], A = -exp(A_log)
  at::Tensor d;            // [H], skip coefficient per head
  at::Tensor normWeight;   // [I]
  at::Tensor outProj;      // [hidden, I]
  at::Tensor outProjBias;  // [hidden] or undefined
};

struct MambaMixerShape {
  int64_t numHeads = 0;   // H
  int64_t headDim = 0;    // P
  int64_t groups = 0;     // G (B/C groups, also the gated-norm groups)
  int64_t stateSize = 0;  // N
  int64_t chunkSize = 128;
  double normEps = 1e-5;
  double dtMin = 0.0;     // time_step_limit (NOT time_step_min)
  double dtMax = std::numeric_limits<double>::infinity();

  int64_t innerSize() const { return numHeads * headDim; }
  int64_t convDim() const { return innerSize() + 2 * groups * stateSize; }
  int64_t inProjSize() const { return innerSize() + convDim() + numHeads; }
};

// u [B, T, hidden] in the model dtype (the normed block input). paddingMask [B, T] (1 real, 0 pad)
// or undefined: when given, the block input and the conv output are zeroed at padded positions, so
// left padding leaves the state at exactly zero until the first real token. initialState
// [B, H, P, N] continues a previous segment; finalState (if non-null) receives the fp32 state.
//
// dtype policy (the mamba_ssm kernel column of hf-nemotron-h.md §4): in_proj, conv output and
// out_proj in the model dtype (conv accumulated in fp32); dt = softplus(dt_raw + dt_bias), A, the
// scan, its state, the D skip and the gated norm in fp32; one rounding before out_proj.
at::Tensor mambaMixer(const at::Tensor& u, const MambaMixerWeights& weights,
                      const MambaMixerShape& shape, const at::Tensor& paddingMask = at::Tensor(),
                      const at::Tensor& initialState = at::Tensor(), at::Tensor* finalState = nullptr);

}  // namespace nhb::harness
