#include "harness/model/norms.h"

#include <string>
#include <vector>

#include "bridge/core/error.h"

namespace nhb::harness {

at::Tensor rmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  const at::Tensor xf = x.to(at::kFloat);
  const at::Tensor inverseRms = at::rsqrt(xf.pow(2).mean({-1}, /*keepdim=*/true) + eps);
  return (weight.to(at::kFloat) * (xf * inverseRms)).to(x.scalar_type());
}

at::Tensor gatedGroupRmsNorm(const at::Tensor& y, const at::Tensor& gate, const at::Tensor& weight,
                             int64_t groups, double eps, at::ScalarType outDtype) {
  const int64_t width = y.size(-1);
  if (groups <= 0 || width % groups != 0) {
    fail(ErrorKind::Internal, "gated norm: width " + std::to_string(width) +
                                  " is not divisible into " + std::to_string(groups) + " groups");
  }
  const at::Tensor gated = y.to(at::kFloat) * at::silu(gate.to(at::kFloat));
  std::vector<int64_t> grouped(gated.sizes().begin(), gated.sizes().end());
  grouped.back() = groups;
  grouped.push_back(width / groups);
  const at::Tensor g = gated.reshape(grouped);
  const at::Tensor normed = (g * at::rsqrt(g.pow(2).mean({-1}, /*keepdim=*/true) + eps)).reshape(y.sizes());
  return (weight.to(at::kFloat) * normed).to(outDtype);
}

}  // namespace nhb::harness
