#include "harness/model/mamba_mixer.h"

#include <cmath>
#include <string>

#include "bridge/core/error.h"
#include "harness/model/causal_conv.h"
#include "harness/model/linear.h"
#include "harness/model/norms.h"
#include "harness/model/ssd_scan.h"

namespace nhb::harness {

at::Tensor mambaMixer(const at::Tensor& u, const MambaMixerWeights& weights,
                      const MambaMixerShape& shape, const at::Tensor& paddingMask,
                      const at::Tensor& initialState, at::Tensor* finalState) {
  const int64_t batch = u.size(0);
  const int64_t time = u.size(1);
  const int64_t inner = shape.innerSize();
  const int64_t groupState = shape.groups * shape.stateSize;
  const at::Tensor mask = paddingMask.defined()
                              ? paddingMask.to(u.scalar_type()).unsqueeze(-1)
                              : at::Tensor();

  const at::Tensor input = mask.defined() ? u * mask : u;
  const at::Tensor zxbcdt = applyLinear(input, weights.inProj, weights.inProjBias);
  if (zxbcdt.size(-1) != shape.inProjSize()) {
    fail(ErrorKind::Internal, "mamba mixer: in_proj gives " + std::to_string(zxbcdt.size(-1)) +
                                  " features, the shape needs " + std::to_string(shape.inProjSize()));
  }
  const at::Tensor z = zxbcdt.narrow(-1, 0, inner);
  const at::Tensor xBC = zxbcdt.narrow(-1, inner, shape.convDim());
  const at::Tensor dtRaw = zxbcdt.narrow(-1, inner + shape.convDim(), shape.numHeads);

  at::Tensor conv = causalConv1dSilu(xBC, weights.convWeight, weights.convBias);
  if (mask.defined()) conv = conv * mask;
  const at::Tensor x = conv.narrow(-1, 0, inner).reshape({batch, time, shape.numHeads, shape.headDim});
  const at::Tensor B = conv.narrow(-1, inner, groupState).reshape({batch, time, shape.groups, shape.stateSize});
  const at::Tensor C = conv.narrow(-1, inner + groupState, groupState)
                           .reshape({batch, time, shape.groups, shape.stateSize});

  // fp32 from here on (kernel behaviour): softplus with threshold 20, clamp to time_step_limit.
  at::Tensor dt = at::softplus(dtRaw.to(at::kFloat) + weights.dtBias.to(at::kFloat), 1, 20);
  if (shape.dtMin > 0.0 || std::isfinite(shape.dtMax)) dt = at::clamp(dt, shape.dtMin, shape.dtMax);
  const at::Tensor A = -at::exp(weights.aLog.to(at::kFloat));

  ScanResult scan = ssdChunkedScan(x, dt, A, B, C, shape.chunkSize, initialState);
  if (finalState != nullptr) *finalState = scan.finalState;
  const at::Tensor y = scan.y + weights.d.to(at::kFloat).view({1, 1, shape.numHeads, 1}) * x.to(at::kFloat);

  const at::Tensor normed = gatedGroupRmsNorm(y.reshape({batch, time, inner}), z, weights.normWeight,
                                              shape.groups, shape.normEps, u.scalar_type());
  return applyLinear(normed, weights.outProj, weights.outProjBias);
}

}  // namespace nhb::harness
