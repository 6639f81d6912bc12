#include "harness/model/mlp.h"

#include "harness/model/linear.h"

namespace nhb::harness {

at::Tensor relu2Mlp(const at::Tensor& x, const at::Tensor& up, const at::Tensor& down,
                    const at::Tensor& upBias, const at::Tensor& downBias) {
  return applyLinear(at::relu(applyLinear(x, up, upBias)).square(), down, downBias);
}

}  // namespace nhb::harness
