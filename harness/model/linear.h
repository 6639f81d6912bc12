// x . W^T (+ b) with the weight brought to the activation dtype (a no-op when they already
// match, which HfModel arranges at load time). Linear weights follow PyTorch's [out, in].
#pragma once

#include <ATen/ATen.h>

namespace nhb::harness {

inline at::Tensor applyLinear(const at::Tensor& x, const at::Tensor& weight,
                         const at::Tensor& bias = at::Tensor()) {
  const at::ScalarType type = x.scalar_type();
  if (bias.defined()) return at::linear(x, weight.to(type), bias.to(type));
  return at::linear(x, weight.to(type));
}

}  // namespace nhb::harness
