#include "harness/model/hf_model_weights.h"

#include <string>
#include <vector>

#include "bridge/core/error.h"

namespace nhb::harness {
namespace {

// Looks tensors up by name, checks shapes and brings matrices to the model dtype. Every error
// names the source and the tensor.
class WeightReader {
 public:
  WeightReader(const TensorMap& tensors, std::string source, at::ScalarType dtype)
      : tensors_(tensors), source_(std::move(source)), dtype_(dtype) {}

  // A tensor used in the model dtype.
  at::Tensor require(const std::string& name, std::vector<int64_t> shape) const {
    return toModelDtype(find(name, shape, /*required=*/true));
  }
  // A tensor only ever used after an fp32 upcast: kept in its stored dtype.
  at::Tensor requireStored(const std::string& name, std::vector<int64_t> shape) const {
    return find(name, shape, /*required=*/true);
  }
  at::Tensor optionalStored(const std::string& name, std::vector<int64_t> shape) const {
    return find(name, shape, /*required=*/false);
  }
  // Present iff `expected` (a bias switched on by the config).
  at::Tensor requireIf(bool expected, const std::string& name, std::vector<int64_t> shape) const {
    return expected ? require(name, std::move(shape)) : at::Tensor();
  }
  bool has(const std::string& name) const { return tensors_.count(name) != 0; }

 private:
  at::Tensor find(const std::string& name, const std::vector<int64_t>& shape, bool required) const {
    const auto it = tensors_.find(name);
    if (it == tensors_.end()) {
      if (!required) return at::Tensor();
      badInput(source_ + ": missing tensor " + name + " (expected shape " +
               c10::str(at::IntArrayRef(shape)) + ")");
    }
    const at::Tensor& tensor = it->second;
    if (tensor.sizes() != at::IntArrayRef(shape)) {
      badInput(source_ + ": tensor " + name + " has shape " + c10::str(tensor.sizes()) +
               ", expected " + c10::str(at::IntArrayRef(shape)));
    }
    if (!at::isFloatingType(tensor.scalar_type())) {
      badInput(source_ + ": tensor " + name + " has dtype " + std::string(c10::toString(tensor.scalar_type())) +
               ", expected a floating-point type");
    }
    return tensor;
  }
  at::Tensor toModelDtype(const at::Tensor& tensor) const { return tensor.to(dtype_); }

  const TensorMap& tensors_;
  std::string source_;
  at::ScalarType dtype_;
};

HfBlockWeights readBlock(const WeightReader& reader, const config::HfConfig& c, char type,
                         const std::string& prefix) {
  const int64_t hidden = c.hiddenSize;
  HfBlockWeights block;
  block.type = type;
  block.norm = reader.require(prefix + "norm.weight", {hidden});
  const std::string m = prefix + "mixer.";
  switch (type) {
    case 'M': {
      const int64_t inner = c.mambaInnerSize();
      const int64_t heads = c.mambaNumHeads;
      MambaMixerWeights& w = block.mamba;
      w.inProj = reader.require(m + "in_proj.weight", {c.mambaInProjSize(), hidden});
      w.inProjBias = reader.requireIf(c.useBias, m + "in_proj.bias", {c.mambaInProjSize()});
      w.convWeight = reader.require(m + "conv1d.weight", {c.mambaConvDim(), 1, c.convKernel});
      w.convBias = reader.requireIf(c.useConvBias, m + "conv1d.bias", {c.mambaConvDim()});
      w.dtBias = reader.requireStored(m + "dt_bias", {heads});
      w.aLog = reader.requireStored(m + "A_log", {heads});
      w.d = reader.requireStored(m + "D", {heads});
      w.normWeight = reader.require(m + "norm.weight", {inner});
      w.outProj = reader.require(m + "out_proj.weight", {hidden, inner});
      w.outProjBias = reader.requireIf(c.useBias, m + "out_proj.bias", {hidden});
      break;
    }
    case '*': {
      const int64_t qDim = c.numAttentionHeads * c.headDim;
      const int64_t kvDim = c.numKeyValueHeads * c.headDim;
      AttentionWeights& w = block.attention;
      w.q = reader.require(m + "q_proj.weight", {qDim, hidden});
      w.k = reader.require(m + "k_proj.weight", {kvDim, hidden});
      w.v = reader.require(m + "v_proj.weight", {kvDim, hidden});
      w.o = reader.require(m + "o_proj.weight", {hidden, qDim});
      w.qBias = reader.requireIf(c.attentionBias, m + "q_proj.bias", {qDim});
      w.kBias = reader.requireIf(c.attentionBias, m + "k_proj.bias", {kvDim});
      w.vBias = reader.requireIf(c.attentionBias, m + "v_proj.bias", {kvDim});
      w.oBias = reader.requireIf(c.attentionBias, m + "o_proj.bias", {hidden});
      break;
    }
    case '-': {
      block.mlpUp = reader.require(m + "up_proj.weight", {c.intermediateSize, hidden});
      block.mlpDown = reader.require(m + "down_proj.weight", {hidden, c.intermediateSize});
      block.mlpUpBias = reader.requireIf(c.mlpBias, m + "up_proj.bias", {c.intermediateSize});
      block.mlpDownBias = reader.requireIf(c.mlpBias, m + "down_proj.bias", {hidden});
      break;
    }
    case 'E': {
      const int64_t experts = c.nRoutedExperts;
      const int64_t expertIn = c.expertInputSize();
      const int64_t width = c.moeIntermediateSize;
      const int64_t sharedWidth = c.moeSharedExpertIntermediateSize;
      MoeWeights& w = block.moe;
      w.gate = reader.requireStored(m + "gate.weight", {experts, hidden});
      w.correctionBias = reader.optionalStored(m + "gate.e_score_correction_bias", {experts});
      w.experts.reserve(static_cast<std::size_t>(experts));
      for (int64_t e = 0; e < experts; ++e) {
        const std::string ep = m + "experts." + std::to_string(e) + ".";
        w.experts.push_back({reader.require(ep + "up_proj.weight", {width, expertIn}),
                             reader.require(ep + "down_proj.weight", {expertIn, width})});
      }
      if (c.nSharedExperts > 0) {
        w.sharedUp = reader.require(m + "shared_experts.up_proj.weight", {sharedWidth, hidden});
        w.sharedDown = reader.require(m + "shared_experts.down_proj.weight", {hidden, sharedWidth});
        w.sharedUpBias = reader.requireIf(c.mlpBias, m + "shared_experts.up_proj.bias", {sharedWidth});
        w.sharedDownBias = reader.requireIf(c.mlpBias, m + "shared_experts.down_proj.bias", {hidden});
      }
      if (c.moeLatentSize) {
        const int64_t latent = *c.moeLatentSize;
        w.fc1Latent = reader.require(m + "fc1_latent_proj.weight", {latent, hidden});
        w.fc2Latent = reader.require(m + "fc2_latent_proj.weight", {hidden, latent});
        w.fc1LatentBias = reader.requireIf(c.mlpBias, m + "fc1_latent_proj.bias", {latent});
        w.fc2LatentBias = reader.requireIf(c.mlpBias, m + "fc2_latent_proj.bias", {hidden});
      }
      break;
    }
    default:
      badInput("config: unknown layer symbol '" + std::string(1, type) + "' in the pattern");
  }
  return block;
}

// Config values the building blocks divide by or index with; checked once so a bad config.json
// fails with the field's name rather than deep inside a kernel.
void validateConfig(const config::HfConfig& c, const std::string& source) {
  auto require = [&](bool ok, const std::string& what) {
    if (!ok) badInput(source + ": config: " + what);
  };
  const std::string all = c.pattern + (c.hasMtp() ? c.mtpPattern : std::string());
  auto uses = [&](char type) { return all.find(type) != std::string::npos; };
  require(c.hiddenSize > 0, "hidden_size must be positive");
  require(c.vocabSize > 0, "vocab_size must be positive");
  if (uses('M')) {
    require(c.mambaNumHeads > 0 && c.mambaHeadDim > 0 && c.ssmStateSize > 0,
            "mamba_num_heads, mamba_head_dim and ssm_state_size must be positive");
    require(c.nGroups > 0 && c.mambaNumHeads % c.nGroups == 0,
            "mamba_num_heads " + std::to_string(c.mambaNumHeads) + " is not a multiple of n_groups " +
                std::to_string(c.nGroups));
    require(c.convKernel > 0, "conv_kernel must be positive");
    require(c.chunkSize > 0, "chunk_size must be positive");
  }
  if (uses('*')) {
    require(c.numAttentionHeads > 0 && c.numKeyValueHeads > 0 && c.headDim > 0,
            "num_attention_heads, num_key_value_heads and head_dim must be positive");
    require(c.numAttentionHeads % c.numKeyValueHeads == 0,
            "num_attention_heads " + std::to_string(c.numAttentionHeads) +
                " is not a multiple of num_key_value_heads " + std::to_string(c.numKeyValueHeads));
  }
  if (uses('E')) {
    require(c.nRoutedExperts > 0, "n_routed_experts must be positive");
    require(c.numExpertsPerTok > 0 && c.numExpertsPerTok <= c.nRoutedExperts,
            "num_experts_per_tok " + std::to_string(c.numExpertsPerTok) + " must be in [1, n_routed_experts " +
                std::to_string(c.nRoutedExperts) + "]");
    require(c.nGroup >= 1 && c.nRoutedExperts % c.nGroup == 0 && (c.nGroup == 1 || c.nRoutedExperts / c.nGroup >= 2),
            "n_group " + std::to_string(c.nGroup) + " must split n_routed_experts " +
                std::to_string(c.nRoutedExperts) + " into groups of at least 2");
    require(c.topkGroup >= 1 && c.topkGroup <= c.nGroup,
            "topk_group " + std::to_string(c.topkGroup) + " must be in [1, n_group]");
  }
}

at::ScalarType chooseDtype(const TensorMap& tensors, std::optional<at::ScalarType> requested,
                           const std::string& source) {
  if (requested) return *requested;
  for (const char* name : {"backbone.embeddings.weight", "backbone.embedding.weight"}) {
    const auto it = tensors.find(name);
    if (it != tensors.end()) return it->second.scalar_type();
  }
  badInput(source + ": missing tensor backbone.embeddings.weight");
}

}  // namespace

HfModelWeights loadHfModelWeights(const config::HfConfig& c, const TensorMap& tensors,
                                  std::optional<at::ScalarType> dtype, const std::string& source) {
  if (c.pattern.empty()) badInput(source + ": config has an empty layer pattern");
  validateConfig(c, source);
  HfModelWeights weights;
  weights.dtype = chooseDtype(tensors, dtype, source);
  if (!at::isFloatingType(weights.dtype)) {
    badInput(source + ": model dtype " + std::string(c10::toString(weights.dtype)) + " is not floating point");
  }
  const WeightReader reader(tensors, source, weights.dtype);
  const int64_t hidden = c.hiddenSize;
  const int64_t vocab = c.vocabSize;

  // Very old checkpoints spell the embedding in the singular (R1 load hook renames it).
  const std::string embeddingName =
      !reader.has("backbone.embeddings.weight") && reader.has("backbone.embedding.weight")
          ? "backbone.embedding.weight" : "backbone.embeddings.weight";
  weights.embeddings = reader.require(embeddingName, {vocab, hidden});
  for (std::size_t i = 0; i < c.pattern.size(); ++i) {
    weights.layers.push_back(readBlock(reader, c, c.pattern[i], "backbone.layers." + std::to_string(i) + "."));
  }
  weights.normF = reader.require("backbone.norm_f.weight", {hidden});
  weights.lmHead = c.tieWordEmbeddings && !reader.has("lm_head.weight")
                       ? weights.embeddings
                       : reader.require("lm_head.weight", {vocab, hidden});

  if (c.hasMtp()) {
    const int64_t perDepth = static_cast<int64_t>(c.mtpPattern.size());
    for (int64_t depth = 0; depth < c.numNextnPredictLayers; ++depth) {
      HfMtpDepthWeights mtp;
      for (int64_t inner = 0; inner < perDepth; ++inner) {
        const std::string prefix = "mtp.layers." + std::to_string(depth * perDepth + inner) + ".";
        if (inner == 0) {
          mtp.enorm = reader.require(prefix + "enorm.weight", {hidden});
          mtp.hnorm = reader.require(prefix + "hnorm.weight", {hidden});
          mtp.ehProj = reader.require(prefix + "eh_proj.weight", {hidden, 2 * hidden});
        }
        mtp.blocks.push_back(readBlock(reader, c, c.mtpPattern[static_cast<std::size_t>(inner)], prefix));
        if (inner == perDepth - 1) mtp.finalLayernorm = reader.require(prefix + "final_layernorm.weight", {hidden});
      }
      weights.mtp.push_back(std::move(mtp));
    }
  }

  weights.mambaShape = MambaMixerShape{c.mambaNumHeads, c.mambaHeadDim, c.nGroups, c.ssmStateSize,
                                       c.chunkSize, c.layerNormEpsilon, c.timeStepLimitMin,
                                       c.timeStepLimitMax};
  weights.attentionShape = AttentionShape{c.numAttentionHeads, c.numKeyValueHeads, c.headDim};
  weights.router = RouterSettings{c.numExpertsPerTok, c.nGroup, c.topkGroup, c.normTopkProb,
                                  c.routedScalingFactor};
  return weights;
}

}  // namespace nhb::harness
