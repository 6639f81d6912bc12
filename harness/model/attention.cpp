#include "harness/model/attention.h"

#include <cmath>
#include <string>

#include "bridge/core/error.h"
#include "harness/model/attention_core.h"
#include "harness/model/linear.h"

namespace nhb::harness {

at::Tensor gqaAttention(const at::Tensor& x, const AttentionWeights& weights,
                        const AttentionShape& shape, const at::Tensor& paddingMask) {
  const int64_t batch = x.size(0);
  const int64_t time = x.size(1);
  if (shape.numKvHeads <= 0 || shape.numHeads % shape.numKvHeads != 0) {
    fail(ErrorKind::Internal, "attention: " + std::to_string(shape.numHeads) +
                                  " heads are not a multiple of " + std::to_string(shape.numKvHeads) +
                                  " KV heads");
  }
  const int64_t repeat = shape.numHeads / shape.numKvHeads;
  auto heads = [&](const at::Tensor& w, const at::Tensor& b, int64_t count) {  // -> [B, n, T, d]
    return applyLinear(x, w, b).view({batch, time, count, shape.headDim}).transpose(1, 2);
  };
  const at::Tensor q = heads(weights.q, weights.qBias, shape.numHeads);
  const at::Tensor k = heads(weights.k, weights.kBias, shape.numKvHeads).repeat_interleave(repeat, 1);
  const at::Tensor v = heads(weights.v, weights.vBias, shape.numKvHeads).repeat_interleave(repeat, 1);

  const double scale = 1.0 / std::sqrt(static_cast<double>(shape.headDim));
  const at::Tensor context =
      causalAttention(q, k, v, scale, paddingMask).transpose(1, 2).reshape({batch, time, shape.numHeads * shape.headDim});
  return applyLinear(context, weights.o, weights.oBias);
}

}  // namespace nhb::harness
