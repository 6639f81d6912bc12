// Non-gated squared-ReLU MLP: dense `-` layers, routed experts and the shared expert
// (hf-nemotron-h.md §3.7).
#pragma once

#include <ATen/ATen.h>

namespace nhb::harness {

// down(relu(up(x))^2), all in x's dtype. up [F, in], down [out, F]; biases optional (mlp_bias).
at::Tensor relu2Mlp(const at::Tensor& x, const at::Tensor& up, const at::Tensor& down,
                    const at::Tensor& upBias = at::Tensor(), const at::Tensor& downBias = at::Tensor());

}  // namespace nhb::harness
