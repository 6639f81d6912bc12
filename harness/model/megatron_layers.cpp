#include "harness/model/megatron_layers.h"

#include <cmath>
#include <limits>
#include <string>

#include "bridge/core/error.h"
#include "harness/model/attention_core.h"
#include "harness/model/linear.h"
#include "harness/model/mamba_mixer.h"
#include "harness/model/mlp.h"
#include "harness/model/norms.h"

namespace nhb::harness {
namespace {

// Sums per-rank partial outputs in their dtype, the way an all-reduce over TP ranks does.
template <class Shards, class Fn>
at::Tensor allReduceSum(const Shards& shards, Fn&& partial) {
  at::Tensor sum;
  for (const auto& shard : shards) {
    at::Tensor out = partial(shard);
    sum = sum.defined() ? sum + out : out;
  }
  return sum;
}

}  // namespace

at::Tensor vocabParallelEmbedding(const std::vector<at::Tensor>& shards, const at::Tensor& tokens) {
  const at::Tensor flat = tokens.reshape({-1});
  at::Tensor sum;
  int64_t start = 0;
  for (const at::Tensor& shard : shards) {
    const int64_t rows = shard.size(0);
    const at::Tensor outside = flat.lt(start).logical_or(flat.ge(start + rows));
    const at::Tensor local = (flat - start).masked_fill(outside, 0);
    const at::Tensor rowsOut = shard.index_select(0, local).masked_fill(outside.unsqueeze(-1), 0);
    sum = sum.defined() ? sum + rowsOut : rowsOut;
    start += rows;
  }
  return sum.view({tokens.size(0), tokens.size(1), sum.size(-1)});
}

at::Tensor columnParallelGathered(const at::Tensor& x, const std::vector<at::Tensor>& shards) {
  std::vector<at::Tensor> outputs;
  for (const at::Tensor& shard : shards) outputs.push_back(applyLinear(x, shard));
  return at::cat(outputs, -1);
}

at::Tensor megatronMamba(const std::vector<MegatronMambaShard>& shards, const MegatronDims& d,
                         const at::Tensor& xn, const at::Tensor& paddingMask) {
  // Each rank's in_proj yields [z_r | x_r | B_r | C_r | dt_r] for its H/tp heads and G/tp groups;
  // conv, scan and the gated norm (group size Di/G, TP-invariant) stay on the rank; out_proj is
  // row parallel.
  MambaMixerShape local;
  local.numHeads = d.mambaHeads / d.tp;
  local.headDim = d.mambaHeadDim;
  local.groups = d.mambaGroups / d.tp;
  local.stateSize = d.mambaState;
  local.chunkSize = d.chunkSize;
  local.normEps = 1e-5;  // RMSNormGated eps is hard-coded in MambaMixer
  return allReduceSum(shards, [&](const MegatronMambaShard& shard) {
    return mambaMixer(xn, shard, local, paddingMask);
  });
}

at::Tensor megatronAttention(const std::vector<MegatronAttentionShard>& shards, const MegatronDims& d,
                             const at::Tensor& xn, const at::Tensor& paddingMask) {
  const int64_t batch = xn.size(0);
  const int64_t time = xn.size(1);
  const int64_t groups = d.queryGroups / d.tp;      // ng
  const int64_t heads = d.heads / d.tp;             // np
  const int64_t perGroup = heads / groups;          // query heads per KV group
  const int64_t dh = d.headDim;
  const double scale = 1.0 / std::sqrt(static_cast<double>(dh));

  return allReduceSum(shards, [&](const MegatronAttentionShard& shard) {
    // linear_qkv output viewed per query group: [ (np/ng)*dh query | dh key | dh value ].
    const at::Tensor mixed = applyLinear(xn, shard.qkv).view({batch, time, groups, (perGroup + 2) * dh});
    const at::Tensor q = mixed.narrow(-1, 0, perGroup * dh).reshape({batch, time, heads, dh}).transpose(1, 2);
    const at::Tensor k = mixed.narrow(-1, perGroup * dh, dh).transpose(1, 2).repeat_interleave(perGroup, 1);
    const at::Tensor v = mixed.narrow(-1, (perGroup + 1) * dh, dh).transpose(1, 2).repeat_interleave(perGroup, 1);

    const at::Tensor context =
        causalAttention(q, k, v, scale, paddingMask).transpose(1, 2).reshape({batch, time, heads * dh});
    return applyLinear(context, shard.proj);  // row parallel: partial over this rank's heads
  });
}

at::Tensor megatronMlp(const std::vector<MegatronMlpShard>& shards, const at::Tensor& xn) {
  return allReduceSum(shards, [&](const MegatronMlpShard& s) { return relu2Mlp(xn, s.fc1, s.fc2); });
}

MegatronRouting megatronRoute(const MegatronMoeWeights& moe, const MegatronDims& d, const at::Tensor& xn) {
  const int64_t experts = moe.router.size(0);
  if (d.topK <= 0 || d.topK > experts) {
    badInput("router: moe_router_topk " + std::to_string(d.topK) + " with " + std::to_string(experts) + " experts");
  }
  const at::Tensor logits = d.routerFp32
                                ? at::linear(xn.to(at::kFloat), moe.router.to(at::kFloat),
                                             moe.routerBias.defined() ? moe.routerBias.to(at::kFloat) : at::Tensor())
                                : applyLinear(xn, moe.router, moe.routerBias);
  const at::Tensor scores = at::sigmoid(logits.to(at::kFloat));
  at::Tensor choice = moe.expertBias.defined() ? scores + moe.expertBias.to(at::kFloat) : scores;
  if (d.routerGroups > 1) {
    const int64_t groups = d.routerGroups;
    if (experts % groups != 0 || d.routerGroupTopK <= 0 || d.routerGroupTopK > groups || d.topK % d.routerGroupTopK != 0) {
      badInput("router: " + std::to_string(experts) + " experts in " + std::to_string(groups) + " groups keeping " +
               std::to_string(d.routerGroupTopK) + " with top-k " + std::to_string(d.topK));
    }
    const int64_t tokens = choice.size(0);
    const int64_t perGroup = experts / groups;
    const at::Tensor grouped = choice.view({tokens, groups, perGroup});
    const at::Tensor groupScore = std::get<0>(grouped.topk(d.topK / d.routerGroupTopK, -1)).sum(-1);
    const at::Tensor kept = std::get<1>(groupScore.topk(d.routerGroupTopK, -1));
    const at::Tensor groupMask = at::zeros_like(groupScore, groupScore.options().dtype(at::kBool)).scatter(1, kept, true);
    const at::Tensor expertMask = groupMask.unsqueeze(-1).expand({tokens, groups, perGroup}).reshape({tokens, experts});
    choice = choice.masked_fill(expertMask.logical_not(), -std::numeric_limits<float>::infinity());
  }
  const at::Tensor chosen = std::get<1>(choice.topk(d.topK, -1));
  at::Tensor probs = scores.gather(1, chosen);
  if (d.topK > 1) probs = probs / (probs.sum(-1, /*keepdim=*/true) + 1e-20);
  probs = (probs * d.routerScaling).to(logits.scalar_type());
  return {chosen, probs};
}

at::Tensor megatronMoe(const MegatronMoeWeights& moe, const MegatronDims& d, const at::Tensor& xn) {
  const at::Tensor tokens = xn.reshape({-1, xn.size(-1)});
  const at::ScalarType type = xn.scalar_type();
  const MegatronRouting routing = megatronRoute(moe, d, tokens);

  const bool latent = moe.fc1Latent.defined();
  const at::Tensor expertInput = latent ? applyLinear(tokens, moe.fc1Latent) : tokens;
  at::Tensor routed = at::zeros({tokens.size(0), expertInput.size(-1)}, expertInput.options());
  // Dispatch: each EP rank runs its experts on the tokens routed to them; ETP shards of one
  // expert give partial fc2 outputs that are summed; the combine is a scatter-add.
  for (int64_t epRank = 0; epRank < d.ep; ++epRank) {
    for (std::size_t e = 0; e < moe.experts.size(); ++e) {
      const MegatronExpert& expert = moe.experts[e];
      if (expert.epRank != epRank) continue;
      const at::Tensor hits = routing.experts.eq(static_cast<int64_t>(e)).nonzero();
      if (hits.size(0) == 0) continue;
      const at::Tensor tokenIds = hits.select(1, 0);
      const at::Tensor prob = routing.probs.index({tokenIds, hits.select(1, 1)}).to(at::kFloat).unsqueeze(-1);
      const at::Tensor input = expertInput.index_select(0, tokenIds);
      const at::Tensor out = allReduceSum(expert.shards, [&](const MegatronMlpShard& shard) {
        const at::Tensor act = at::relu(applyLinear(input, shard.fc1)).pow(2);
        return applyLinear((act.to(at::kFloat) * prob).to(type), shard.fc2);
      });
      routed.index_add_(0, tokenIds, out);
    }
  }
  if (latent) routed = applyLinear(routed, moe.fc2Latent);
  if (!moe.shared.empty()) {
    at::Tensor shared = megatronMlp(moe.shared, tokens);
    if (moe.sharedGate.defined()) shared = shared * at::sigmoid(applyLinear(tokens, moe.sharedGate));
    routed = routed + shared;
  }
  return routed.view(xn.sizes());
}

at::Tensor megatronLayer(const MegatronLayerWeights& layer, const MegatronDims& dims, const at::Tensor& x,
                         const at::Tensor& paddingMask) {
  const at::Tensor xn = rmsNorm(x, layer.norm, dims.eps);
  at::Tensor y;
  switch (layer.type) {
    case 'M': y = megatronMamba(layer.mamba, dims, xn, paddingMask); break;
    case '*': y = megatronAttention(layer.attention, dims, xn, paddingMask); break;
    case '-': y = megatronMlp(layer.mlp, xn); break;
    case 'E': y = megatronMoe(layer.moe, dims, xn); break;
    default: fail(ErrorKind::Internal, std::string("unknown layer symbol ") + layer.type);
  }
  return x + y;  // bias-dropout-add with no bias and dropout off
}

}  // namespace nhb::harness
