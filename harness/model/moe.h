// The mixture-of-experts mixer of a Nemotron-H `E` layer (hf-nemotron-h.md §3.8;
// megatron-core-hybrid.md §2.7): fp32 sigmoid router with an aux-free correction bias used only
// to choose experts, optional group-limited top-k, squared-ReLU experts (optionally in a latent
// width), one shared expert on the full hidden size.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

namespace nhb::harness {

struct RouterSettings {
  int64_t topK = 2;          // num_experts_per_tok
  int64_t nGroup = 1;        // router groups of E / nGroup experts
  int64_t topkGroup = 1;     // groups kept per token
  bool normTopkProb = true;  // renormalise the k chosen scores to sum to 1
  double routedScalingFactor = 1.0;
};

struct Routing {
  at::Tensor experts;  // [N, k] int64, chosen expert ids (order irrelevant)
  at::Tensor weights;  // [N, k] fp32, the matching combine weights
};

// x [N, hidden]; gateWeight [E, hidden]; correctionBias [E] or undefined. In fp32:
//   s = sigmoid(x . W^T); choice = s + bias; with nGroup > 1 a group scores the sum of its two
//   best choices and only the topkGroup best groups stay eligible (others -inf, the HF in-library
//   rule); experts = topk(choice); weights = s at those experts (bias-free), / (sum + 1e-20) when
//   normTopkProb, * routedScalingFactor.
Routing routeTokens(const at::Tensor& x, const at::Tensor& gateWeight, const at::Tensor& correctionBias,
                    const RouterSettings& settings);

struct ExpertWeights {
  at::Tensor up;    // [F, Din]
  at::Tensor down;  // [Din, F]
};

struct MoeWeights {
  at::Tensor gate;            // [E, hidden]
  at::Tensor correctionBias;  // [E] (e_score_correction_bias / expert_bias) or undefined
  std::vector<ExpertWeights> experts;
  at::Tensor sharedUp, sharedDown;      // [Fs, hidden], [hidden, Fs]; undefined: no shared expert
  at::Tensor sharedUpBias, sharedDownBias;
  at::Tensor fc1Latent, fc2Latent;      // [Dl, hidden], [hidden, Dl]; undefined: no latent width
  at::Tensor fc1LatentBias, fc2LatentBias;
};

// x [..., hidden] (normed block input), returns the same shape and dtype:
//   routed = sum_k w_k * down_e(relu(up_e(xr))^2),  xr = fc1_latent(x) or x
//   out    = fc2_latent(routed) (or routed) + shared_down(relu(shared_up(x))^2)
// Expert outputs in the model dtype, the weighted sum accumulated in fp32 and rounded once; the
// latent fc2 is applied once, to the weighted sum.
at::Tensor moeMixer(const at::Tensor& x, const MoeWeights& weights, const RouterSettings& settings);

}  // namespace nhb::harness
