#include "harness/model/moe.h"

#include <limits>
#include <string>

#include "bridge/core/error.h"
#include "harness/model/linear.h"
#include "harness/model/mlp.h"

namespace nhb::harness {

Routing routeTokens(const at::Tensor& x, const at::Tensor& gateWeight, const at::Tensor& correctionBias,
                    const RouterSettings& settings) {
  const int64_t experts = gateWeight.size(0);
  if (settings.topK <= 0 || settings.topK > experts) {
    fail(ErrorKind::Internal, "router: top-k " + std::to_string(settings.topK) + " with " +
                                  std::to_string(experts) + " experts");
  }
  const at::Tensor scores = at::sigmoid(at::linear(x.to(at::kFloat), gateWeight.to(at::kFloat)));
  at::Tensor choice = correctionBias.defined() ? scores + correctionBias.to(at::kFloat) : scores;

  if (settings.nGroup > 1) {
    if (experts % settings.nGroup != 0 || experts / settings.nGroup < 2 ||
        settings.topkGroup <= 0 || settings.topkGroup > settings.nGroup) {
      fail(ErrorKind::Internal, "router: " + std::to_string(experts) + " experts cannot form " +
                                    std::to_string(settings.nGroup) + " groups keeping " +
                                    std::to_string(settings.topkGroup));
    }
    const int64_t tokens = choice.size(0);
    const int64_t perGroup = experts / settings.nGroup;
    const at::Tensor grouped = choice.view({tokens, settings.nGroup, perGroup});
    const at::Tensor groupScore = std::get<0>(grouped.topk(2, -1)).sum(-1);       // [N, nGroup]
    const at::Tensor keptGroups = std::get<1>(groupScore.topk(settings.topkGroup, -1));
    const at::Tensor groupKept = at::zeros_like(groupScore, groupScore.options().dtype(at::kBool))
                                     .scatter(1, keptGroups, true);
    const at::Tensor expertKept = groupKept.unsqueeze(-1).expand({tokens, settings.nGroup, perGroup})
                                      .reshape({tokens, experts});
    choice = choice.masked_fill(expertKept.logical_not(), -std::numeric_limits<float>::infinity());
  }

  const at::Tensor chosen = std::get<1>(choice.topk(settings.topK, -1));
  at::Tensor weights = scores.gather(1, chosen);
  if (settings.normTopkProb) weights = weights / (weights.sum(-1, /*keepdim=*/true) + 1e-20);
  weights = weights * settings.routedScalingFactor;
  return Routing{chosen, weights};
}

at::Tensor moeMixer(const at::Tensor& x, const MoeWeights& weights, const RouterSettings& settings) {
  const int64_t hidden = x.size(-1);
  const at::Tensor tokens = x.reshape({-1, hidden});
  if (static_cast<int64_t>(weights.experts.size()) != weights.gate.size(0)) {
    fail(ErrorKind::Internal, "moe: router has " + std::to_string(weights.gate.size(0)) +
                                  " experts, " + std::to_string(weights.experts.size()) + " given");
  }
  const Routing routing = routeTokens(tokens, weights.gate, weights.correctionBias, settings);

  const bool latent = weights.fc1Latent.defined();
  const at::Tensor expertInput = latent ? applyLinear(tokens, weights.fc1Latent, weights.fc1LatentBias) : tokens;
  at::Tensor routed = at::zeros({tokens.size(0), expertInput.size(-1)}, tokens.options().dtype(at::kFloat));
  for (std::size_t e = 0; e < weights.experts.size(); ++e) {
    // (token, slot) pairs routed to expert e.
    const at::Tensor hits = routing.experts.eq(static_cast<int64_t>(e)).nonzero();
    if (hits.size(0) == 0) continue;
    const at::Tensor tokenIds = hits.select(1, 0);
    const at::Tensor slotIds = hits.select(1, 1);
    const at::Tensor out = relu2Mlp(expertInput.index_select(0, tokenIds), weights.experts[e].up,
                                    weights.experts[e].down);
    const at::Tensor w = routing.weights.index({tokenIds, slotIds}).unsqueeze(-1);
    routed.index_add_(0, tokenIds, out.to(at::kFloat) * w);
  }
  at::Tensor result = routed.to(x.scalar_type());
  if (latent) result = applyLinear(result, weights.fc2Latent, weights.fc2LatentBias);
  if (weights.sharedUp.defined()) {
    result = result + relu2Mlp(tokens, weights.sharedUp, weights.sharedDown, weights.sharedUpBias,
                               weights.sharedDownBias);
  }
  return result.reshape(x.sizes());
}

}  // namespace nhb::harness
