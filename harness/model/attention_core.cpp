#include "harness/model/attention_core.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace nhb::harness {
namespace {

// Score entries per query block: 8M fp32 values (32 MB) keeps the working set small without
// making the blocks so short that per-block overhead shows.
constexpr int64_t kScoresPerBlock = int64_t{1} << 23;

}  // namespace

at::Tensor causalAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale,
                           const at::Tensor& paddingMask) {
  const int64_t batch = q.size(0), heads = q.size(1), time = q.size(2);
  const int64_t rowsPerBlock = std::clamp<int64_t>(kScoresPerBlock / std::max<int64_t>(1, batch * heads * time), 1, time);
  const at::Tensor qf = q.to(at::kFloat);
  const at::Tensor kf = k.to(at::kFloat);
  const at::Tensor keyOk = paddingMask.defined() ? paddingMask.to(q.device()).ne(0).view({batch, 1, 1, time}) : at::Tensor();
  const auto indexOptions = q.options().dtype(at::kLong);

  std::vector<at::Tensor> blocks;
  for (int64_t start = 0; start < time; start += rowsPerBlock) {
    const int64_t rows = std::min(rowsPerBlock, time - start);
    const int64_t visible = start + rows;  // causal: no query of this block sees a later key
    at::Tensor scores = at::matmul(qf.narrow(2, start, rows), kf.narrow(2, 0, visible).transpose(-1, -2)).mul_(scale);
    at::Tensor allowed = at::arange(visible, indexOptions).view({1, visible})
                             .le(at::arange(start, visible, indexOptions).view({rows, 1}))
                             .view({1, 1, rows, visible});
    if (keyOk.defined()) allowed = allowed.logical_and(keyOk.narrow(3, 0, visible));
    scores.masked_fill_(allowed.logical_not(), std::numeric_limits<float>::lowest());
    const at::Tensor probabilities = at::softmax(scores, -1).to(v.scalar_type());
    blocks.push_back(at::matmul(probabilities, v.narrow(2, 0, visible)));
  }
  return blocks.size() == 1 ? blocks.front() : at::cat(blocks, 2);
}

}  // namespace nhb::harness
