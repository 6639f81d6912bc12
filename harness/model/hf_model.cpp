#include "harness/model/hf_model.h"

#include <algorithm>
#include <string>

#include "bridge/core/error.h"
#include "harness/model/attention.h"
#include "harness/model/hf_model_weights.h"
#include "harness/model/linear.h"
#include "harness/model/mamba_mixer.h"
#include "harness/model/mlp.h"
#include "harness/model/moe.h"
#include "harness/model/norms.h"

namespace nhb::harness {
namespace {

// One pre-norm residual block (hf-nemotron-h.md §3.2): h + Mixer(RMSNorm(h)). The residual stays
// in the model dtype (residual_in_fp32 = False in every checkpoint).
at::Tensor runBlock(const HfBlockWeights& block, const HfModelWeights& weights, const at::Tensor& h,
                    const at::Tensor& paddingMask, double eps) {
  const at::Tensor x = rmsNorm(h, block.norm, eps);
  at::Tensor out;
  switch (block.type) {
    case 'M': out = mambaMixer(x, block.mamba, weights.mambaShape, paddingMask); break;
    case '*': out = gqaAttention(x, block.attention, weights.attentionShape, paddingMask); break;
    case '-': out = relu2Mlp(x, block.mlpUp, block.mlpDown, block.mlpUpBias, block.mlpDownBias); break;
    case 'E': out = moeMixer(x, block.moe, weights.router); break;
    default: fail(ErrorKind::Internal, std::string("unknown block type ") + block.type);
  }
  return h + out;
}

at::Tensor embed(const HfModelWeights& weights, const at::Tensor& tokens) {
  return weights.embeddings.index_select(0, tokens.reshape({-1}))
      .view({tokens.size(0), tokens.size(1), weights.embeddings.size(1)});
}

}  // namespace

HfModel::HfModel(const config::HfConfig& config, const TensorMap& tensors, const HfModelOptions& options)
    : config_(config),
      weights_(std::make_unique<HfModelWeights>(
          loadHfModelWeights(config, tensors, options.dtype, options.source))) {}

HfModel::~HfModel() = default;
HfModel::HfModel(HfModel&&) noexcept = default;
HfModel& HfModel::operator=(HfModel&&) noexcept = default;

at::ScalarType HfModel::dtype() const { return weights_->dtype; }

ForwardOutput HfModel::forward(const at::Tensor& tokensIn, const at::Tensor& attentionMask,
                               const ForwardOptions& options) const {
  const HfModelWeights& w = *weights_;
  const double eps = config_.layerNormEpsilon;
  const at::Device device = w.embeddings.device();

  if (!tokensIn.defined() || tokensIn.dim() != 2 || at::isFloatingType(tokensIn.scalar_type()) ||
      tokensIn.scalar_type() == at::kBool) {
    badInput("forward: tokens must be an integer tensor [batch, time]");
  }
  const at::Tensor tokens = tokensIn.to(device, at::kLong);
  if (tokens.numel() > 0) {
    const int64_t low = tokens.min().item<int64_t>();
    const int64_t high = tokens.max().item<int64_t>();
    if (low < 0 || high >= config_.vocabSize) {
      badInput("forward: token id " + std::to_string(low < 0 ? low : high) + " is outside the vocabulary [0, " +
               std::to_string(config_.vocabSize) + ")");
    }
  }
  at::Tensor mask;  // bool [B, T], undefined when nothing is padded
  if (attentionMask.defined()) {
    if (attentionMask.sizes() != tokens.sizes()) {
      badInput("forward: attention mask " + std::string(c10::str(attentionMask.sizes())) +
               " does not match tokens " + c10::str(tokens.sizes()));
    }
    const at::Tensor real = attentionMask.to(device).ne(0);
    if (!real.all().item<bool>()) mask = real;
  }

  int64_t mtpDepths = options.mtpDepths < 0 ? static_cast<int64_t>(w.mtp.size()) : options.mtpDepths;
  if (mtpDepths > 0 && w.mtp.empty()) {
    badInput("forward: " + std::to_string(mtpDepths) + " MTP depths requested, the model has none");
  }

  ForwardOutput out;
  auto capture = [&](std::string name, const at::Tensor& value) {
    if (options.captureLayers) out.layers.emplace_back(std::move(name), value);
  };

  at::Tensor h = embed(w, tokens);
  capture("embeddings", h);
  for (std::size_t i = 0; i < w.layers.size(); ++i) {
    h = runBlock(w.layers[i], w, h, mask, eps);
    capture("layers." + std::to_string(i), h);
  }
  at::Tensor hidden = rmsNorm(h, w.normF, eps);
  capture("norm_f", hidden);
  out.logits = applyLinear(hidden, w.lmHead).to(at::kFloat);

  // MTP (hf-nemotron-h.md §3.10): depth d sees the tokens shifted left by d+1 (vacated slots get
  // id 0, as Megatron's roll) and the previous depth's output (depth 0: the main hidden after
  // norm_f); input = eh_proj(concat[enorm(embedding), hnorm(hidden)]).
  at::Tensor shifted = tokens;
  for (int64_t d = 0; d < mtpDepths; ++d) {
    const HfMtpDepthWeights& depth = w.mtp[static_cast<std::size_t>(std::min<int64_t>(d, w.mtp.size() - 1))];
    shifted = at::cat({shifted.narrow(1, 1, shifted.size(1) - 1), at::zeros({shifted.size(0), 1}, shifted.options())}, 1);
    const std::string prefix = "mtp." + std::to_string(d) + ".";
    at::Tensor u = applyLinear(at::cat({rmsNorm(embed(w, shifted), depth.enorm, eps), rmsNorm(hidden, depth.hnorm, eps)}, -1),
                          depth.ehProj);
    capture(prefix + "eh_proj", u);
    for (std::size_t inner = 0; inner < depth.blocks.size(); ++inner) {
      u = runBlock(depth.blocks[inner], w, u, mask, eps);
      capture(prefix + "layers." + std::to_string(inner), u);
    }
    hidden = rmsNorm(u, depth.finalLayernorm, eps);
    capture(prefix + "final_layernorm", hidden);
    out.mtpLogits.push_back(applyLinear(hidden, w.lmHead).to(at::kFloat));
  }
  return out;
}

}  // namespace nhb::harness
