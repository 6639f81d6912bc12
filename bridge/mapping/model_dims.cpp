#include "bridge/mapping/model_dims.h"

#include "bridge/core/error.h"

namespace nhb::mapping {

bool ModelDims::has(char symbol) const {
  return pattern.find(symbol) != std::string::npos ||
         (mtpDepths > 0 && mtpPattern.find(symbol) != std::string::npos);
}

ModelDims dimsFromHfConfig(const config::HfConfig& c, const std::string& source) {
  auto unsupported = [&](const char* field) {
    fail(ErrorKind::Unsupported, source + ": " + field + "=true is not supported (no Nemotron-H checkpoint has it)");
  };
  if (c.attentionBias) unsupported("attention_bias");
  if (c.mlpBias) unsupported("mlp_bias");
  if (c.useBias) unsupported("use_bias");

  ModelDims d;
  d.pattern = c.pattern;
  d.mtpPattern = c.numNextnPredictLayers > 0 ? c.mtpPattern : std::string();
  d.mtpDepths = d.mtpPattern.empty() ? 0 : c.numNextnPredictLayers;
  d.vocab = c.vocabSize;
  d.hidden = c.hiddenSize;
  d.ffn = c.intermediateSize;
  d.heads = c.numAttentionHeads;
  d.queryGroups = c.numKeyValueHeads;
  d.headDim = c.headDim;
  d.mambaHeads = c.mambaNumHeads;
  d.mambaHeadDim = c.mambaHeadDim;
  d.mambaGroups = c.nGroups;
  d.mambaState = c.ssmStateSize;
  d.convKernel = c.convKernel;
  d.convBias = c.useConvBias;
  d.tiedEmbeddings = c.tieWordEmbeddings;
  if (d.has('E')) {
    d.experts = c.nRoutedExperts;
    d.moeFfn = c.moeIntermediateSize;
    d.sharedFfn = c.nSharedExperts > 0 ? c.moeSharedExpertIntermediateSize * c.nSharedExperts : 0;
    d.latent = c.moeLatentSize.value_or(0);
    if (d.experts <= 0) badInput(source + ": n_routed_experts must be positive for a pattern with E layers");
  }
  for (char symbol : d.pattern + d.mtpPattern) {
    if (std::string("M*-E").find(symbol) == std::string::npos) {
      fail(ErrorKind::Unsupported, source + ": layer symbol '" + std::string(1, symbol) + "' is not a Nemotron-H layer");
    }
  }
  return d;
}

ModelDims dimsFromProvider(const config::ProviderConfig& p, const std::string& source) {
  if (p.add_bias_linear) fail(ErrorKind::Unsupported, source + ": add_bias_linear=true is not supported");
  if (p.add_qkv_bias) fail(ErrorKind::Unsupported, source + ": add_qkv_bias=true is not supported");
  if (p.gated_linear_unit) fail(ErrorKind::Unsupported, source + ": gated_linear_unit=true is not supported");
  if (p.qk_layernorm) fail(ErrorKind::Unsupported, source + ": qk_layernorm=true is not supported");
  const config::HybridPattern pattern = p.pattern();
  ModelDims d;
  d.pattern = pattern.layers;
  d.mtpPattern = pattern.mtp;
  d.mtpDepths = pattern.mtp.empty() ? 0 : (p.mtp_use_repeated_layer ? 1 : pattern.mtpDepths);
  d.vocab = p.vocab_size;
  d.hidden = p.hidden_size;
  d.ffn = p.ffn_hidden_size;
  d.heads = p.num_attention_heads;
  d.queryGroups = p.queryGroups();
  d.headDim = p.headDim();
  d.mambaHeads = p.mambaHeads();
  d.mambaHeadDim = p.mamba_head_dim;
  d.mambaGroups = p.mamba_num_groups;
  d.mambaState = p.mamba_state_dim;
  d.tiedEmbeddings = p.share_embeddings_and_output_weights;
  if (d.has('E')) {
    d.experts = p.num_moe_experts.value_or(0);
    d.moeFfn = p.moe_ffn_hidden_size.value_or(p.ffn_hidden_size);
    d.sharedFfn = p.moe_shared_expert_intermediate_size.value_or(0);
    d.latent = p.moe_latent_size.value_or(0);
    if (d.experts <= 0) badInput(source + ": num_moe_experts must be positive for a pattern with E layers");
  }
  return d;
}

}  // namespace nhb::mapping
