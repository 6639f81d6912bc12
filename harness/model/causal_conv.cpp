#include "harness/model/causal_conv.h"

#include <string>

#include "bridge/core/error.h"

namespace nhb::harness {

at::Tensor causalConv1dSilu(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  const int64_t time = x.size(1);
  const int64_t channels = x.size(2);
  if (weight.dim() != 3 || weight.size(0) != channels || weight.size(1) != 1) {
    fail(ErrorKind::Internal, "causal conv: weight " + std::string(c10::str(weight.sizes())) +
                                  " does not match " + std::to_string(channels) + " channels");
  }
  const int64_t kernel = weight.size(2);
  // Explicit taps (K is 4 in every checkpoint): exact causal semantics on any device and dtype.
  const at::Tensor padded = at::constant_pad_nd(x.to(at::kFloat), {0, 0, kernel - 1, 0});
  const at::Tensor taps = weight.to(at::kFloat).select(1, 0);  // [C, K]
  at::Tensor acc = bias.defined() ? bias.to(at::kFloat).expand({x.size(0), time, channels}).clone()
                                  : at::zeros({x.size(0), time, channels}, padded.options());
  for (int64_t k = 0; k < kernel; ++k) {
    acc.add_(padded.narrow(1, k, time) * taps.select(1, k));
  }
  return at::silu(acc).to(x.scalar_type());
}

}  // namespace nhb::harness
