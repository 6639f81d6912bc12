#include "harness/model/megatron_model.h"

#include <algorithm>
#include <string>
#include <utility>

#include "bridge/config/megatron_args.h"
#include "bridge/core/error.h"
#include "bridge/io/megatron_legacy.h"
#include "harness/model/megatron_layers.h"
#include "harness/model/megatron_weights.h"
#include "harness/model/norms.h"

namespace nhb::harness {
namespace {

// The provider config Megatron would build: from the checkpoint args, else megatron_config.json
// (looked for in `dir` and its parent, for an iteration directory given directly).
config::ProviderConfig modelConfig(const io::MegatronLegacyCheckpoint& checkpoint, const std::filesystem::path& dir) {
  if (!checkpoint.args().is_null()) {
    return config::providerFromMegatronArgs(checkpoint.args(), checkpoint.iterationDir().string() + " args");
  }
  for (const std::filesystem::path& candidate : {dir / "megatron_config.json", dir.parent_path() / "megatron_config.json"}) {
    if (std::filesystem::exists(candidate)) return config::loadProviderConfig(candidate);
  }
  badInput(dir.string() + ": the rank files carry no args and there is no megatron_config.json, so the model config is unknown");
}

}  // namespace

MegatronModel::MegatronModel(config::ProviderConfig config, std::unique_ptr<MegatronModelWeights> weights)
    : config_(std::move(config)), weights_(std::move(weights)) {}
MegatronModel::~MegatronModel() = default;
MegatronModel::MegatronModel(MegatronModel&&) noexcept = default;
MegatronModel& MegatronModel::operator=(MegatronModel&&) noexcept = default;

MegatronModel MegatronModel::load(const std::filesystem::path& dir, const MegatronModelOptions& options) {
  const io::MegatronLegacyCheckpoint checkpoint = io::MegatronLegacyCheckpoint::open(dir);
  config::ProviderConfig provider = modelConfig(checkpoint, dir);
  MegatronLoadSettings settings;
  settings.dtype = options.dtype;
  settings.device = options.device;
  auto weights = std::make_unique<MegatronModelWeights>(loadMegatronWeights(checkpoint, provider, settings));
  return MegatronModel(std::move(provider), std::move(weights));
}

at::ScalarType MegatronModel::dtype() const { return weights_->dtype; }
at::Device MegatronModel::device() const { return weights_->embedding.front().device(); }
int64_t MegatronModel::vocabSize() const { return weights_->dims.vocab; }
int64_t MegatronModel::paddedVocabSize() const { return weights_->dims.paddedVocab; }

ForwardOutput MegatronModel::forward(const at::Tensor& tokensIn, const at::Tensor& attentionMask,
                                     const ForwardOptions& options) const {
  const MegatronModelWeights& w = *weights_;
  const MegatronDims& d = w.dims;
  if (!tokensIn.defined() || tokensIn.dim() != 2 || at::isFloatingType(tokensIn.scalar_type()) ||
      tokensIn.scalar_type() == at::kBool) {
    badInput("forward: tokens must be an integer tensor [batch, time]");
  }
  const at::Tensor tokens = tokensIn.to(device(), at::kLong);
  if (tokens.numel() > 0) {
    const int64_t low = tokens.min().item<int64_t>();
    const int64_t high = tokens.max().item<int64_t>();
    if (low < 0 || high >= d.vocab) {
      badInput("forward: token id " + std::to_string(low < 0 ? low : high) + " is outside the vocabulary [0, " +
               std::to_string(d.vocab) + ")");
    }
  }
  at::Tensor mask;
  if (attentionMask.defined()) {
    if (attentionMask.sizes() != tokens.sizes()) {
      badInput("forward: attention mask " + std::string(c10::str(attentionMask.sizes())) +
               " does not match tokens " + c10::str(tokens.sizes()));
    }
    const at::Tensor real = attentionMask.to(device()).ne(0);
    if (!real.all().item<bool>()) mask = real;
  }
  const int64_t stored = static_cast<int64_t>(w.mtp.size());
  const int64_t mtpDepths = options.mtpDepths < 0 ? w.mtpForwardDepths : options.mtpDepths;
  if (mtpDepths > 0 && stored == 0) {
    badInput("forward: " + std::to_string(mtpDepths) + " MTP depths requested, the model has none");
  }

  ForwardOutput out;
  auto capture = [&](std::string name, const at::Tensor& value) {
    if (options.captureLayers) out.layers.emplace_back(std::move(name), value);
  };
  // Megatron computes [s, b, h]; batch-first here is the same arithmetic per token.
  at::Tensor h = vocabParallelEmbedding(w.embedding, tokens);
  capture("embeddings", h);
  // Pipeline stages in order; each stage's layers were mapped back to global indices at load.
  for (std::size_t stage = 0; stage + 1 < w.stageFirstLayer.size(); ++stage) {
    for (int64_t g = w.stageFirstLayer[stage]; g < w.stageFirstLayer[stage + 1]; ++g) {
      h = megatronLayer(w.layers[static_cast<std::size_t>(g)], d, h, mask);
      capture("layers." + std::to_string(g), h);
    }
  }
  // Last stage: final_norm, then the vocab-parallel output layer gathered over TP ranks and the
  // padding rows sliced off.
  at::Tensor hidden = rmsNorm(h, w.finalNorm, d.eps);
  capture("norm_f", hidden);
  auto logitsOf = [&](const at::Tensor& x) {
    return columnParallelGathered(x, w.output).narrow(-1, 0, d.vocab).to(at::kFloat);
  };
  out.logits = logitsOf(hidden);

  // MTP (§4.2): ids rolled left once per depth (last position 0), the last stage's embedding,
  // x = eh_proj(cat[enorm(e), hnorm(H_{d-1})]) gathered over TP, the depth's layers,
  // final_layernorm, the shared output layer.
  const std::vector<at::Tensor>& mtpEmbedding = w.mtpEmbedding.empty() ? w.embedding : w.mtpEmbedding;
  at::Tensor ids = tokens;
  for (int64_t depth = 0; depth < mtpDepths; ++depth) {
    const MegatronMtpDepthWeights& m = w.mtp[static_cast<std::size_t>(std::min(depth, stored - 1))];
    ids = at::cat({ids.narrow(1, 1, ids.size(1) - 1), at::zeros({ids.size(0), 1}, ids.options())}, 1);
    const std::string prefix = "mtp." + std::to_string(depth) + ".";
    const at::Tensor e = vocabParallelEmbedding(mtpEmbedding, ids);
    at::Tensor x = columnParallelGathered(at::cat({rmsNorm(e, m.enorm, d.eps), rmsNorm(hidden, m.hnorm, d.eps)}, -1),
                                          m.ehProj);
    capture(prefix + "eh_proj", x);
    for (std::size_t j = 0; j < m.layers.size(); ++j) {
      x = megatronLayer(m.layers[j], d, x, mask);
      capture(prefix + "layers." + std::to_string(j), x);
    }
    hidden = rmsNorm(x, m.finalLayernorm, d.eps);
    capture(prefix + "final_layernorm", hidden);
    out.mtpLogits.push_back(logitsOf(hidden));
  }
  return out;
}

}  // namespace nhb::harness
