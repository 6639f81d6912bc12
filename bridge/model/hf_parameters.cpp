#include "bridge/model/hf_parameters.h"

#include <string>
#include <utility>

#include "bridge/core/error.h"

namespace nhb::model {
namespace {

// Appends the tensors of one layer (or one MTP layer) under a common prefix.
class LayerBuilder {
 public:
  LayerBuilder(std::vector<HfParameter>& out, std::string prefix, LayerSymbol symbol, bool mtp,
               int64_t layer)
      : out_(out), prefix_(std::move(prefix)), symbol_(symbol), mtp_(mtp), layer_(layer) {}

  void add(const std::string& suffix, Shape shape, DTypeRole role = DTypeRole::Model) {
    out_.push_back(HfParameter{prefix_ + suffix, std::move(shape), role, symbol_, mtp_, layer_});
  }

  // A Linear: weight [out, in], bias [out] when `bias`.
  void linear(const std::string& name, int64_t outFeatures, int64_t inFeatures, bool bias) {
    add(name + ".weight", {outFeatures, inFeatures});
    if (bias) add(name + ".bias", {outFeatures});
  }

 private:
  std::vector<HfParameter>& out_;
  std::string prefix_;
  LayerSymbol symbol_;
  bool mtp_;
  int64_t layer_;
};

void addMamba(LayerBuilder& b, const config::HfConfig& c) {
  const int64_t heads = c.mambaNumHeads;
  b.linear("mixer.in_proj", c.mambaInProjSize(), c.hiddenSize, c.useBias);
  b.add("mixer.conv1d.weight", {c.mambaConvDim(), 1, c.convKernel});
  if (c.useConvBias) b.add("mixer.conv1d.bias", {c.mambaConvDim()});
  b.add("mixer.dt_bias", {heads});
  b.add("mixer.A_log", {heads});
  b.add("mixer.D", {heads});
  b.add("mixer.norm.weight", {c.mambaInnerSize()});
  b.linear("mixer.out_proj", c.hiddenSize, c.mambaInnerSize(), c.useBias);
}

void addAttention(LayerBuilder& b, const config::HfConfig& c) {
  const int64_t qDim = c.numAttentionHeads * c.headDim;
  const int64_t kvDim = c.numKeyValueHeads * c.headDim;
  b.linear("mixer.q_proj", qDim, c.hiddenSize, c.attentionBias);
  b.linear("mixer.k_proj", kvDim, c.hiddenSize, c.attentionBias);
  b.linear("mixer.v_proj", kvDim, c.hiddenSize, c.attentionBias);
  b.linear("mixer.o_proj", c.hiddenSize, qDim, c.attentionBias);
}

void addMlp(LayerBuilder& b, const config::HfConfig& c) {
  b.linear("mixer.up_proj", c.intermediateSize, c.hiddenSize, c.mlpBias);
  b.linear("mixer.down_proj", c.hiddenSize, c.intermediateSize, c.mlpBias);
}

void addMoe(LayerBuilder& b, const config::HfConfig& c) {
  const int64_t experts = c.nRoutedExperts;
  const int64_t expertIn = c.expertInputSize();
  const int64_t width = c.moeIntermediateSize;
  b.add("mixer.gate.weight", {experts, c.hiddenSize});
  b.add("mixer.gate.e_score_correction_bias", {experts}, DTypeRole::Fp32);
  // Routed experts never carry biases (hf-nemotron-h.md §3.8).
  for (int64_t e = 0; e < experts; ++e) {
    const std::string expert = "mixer.experts." + std::to_string(e);
    b.add(expert + ".up_proj.weight", {width, expertIn});
    b.add(expert + ".down_proj.weight", {expertIn, width});
  }
  // HF builds exactly one shared expert whatever n_shared_experts says.
  const int64_t sharedWidth = c.moeSharedExpertIntermediateSize;
  b.linear("mixer.shared_experts.up_proj", sharedWidth, c.hiddenSize, c.mlpBias);
  b.linear("mixer.shared_experts.down_proj", c.hiddenSize, sharedWidth, c.mlpBias);
  if (c.moeLatentSize) {
    b.linear("mixer.fc1_latent_proj", *c.moeLatentSize, c.hiddenSize, c.mlpBias);
    b.linear("mixer.fc2_latent_proj", c.hiddenSize, *c.moeLatentSize, c.mlpBias);
  }
}

LayerSymbol symbolOf(char symbol, const std::string& where) {
  switch (symbol) {
    case 'M': return LayerSymbol::Mamba;
    case '*': return LayerSymbol::Attention;
    case '-': return LayerSymbol::Mlp;
    case 'E': return LayerSymbol::Moe;
  }
  badInput(where + ": unknown layer symbol '" + std::string(1, symbol) + "'");
}

void addMixer(LayerBuilder& b, LayerSymbol symbol, const config::HfConfig& c) {
  switch (symbol) {
    case LayerSymbol::Mamba: addMamba(b, c); return;
    case LayerSymbol::Attention: addAttention(b, c); return;
    case LayerSymbol::Mlp: addMlp(b, c); return;
    case LayerSymbol::Moe: addMoe(b, c); return;
    case LayerSymbol::None: break;
  }
  fail(ErrorKind::Internal, "addMixer called without a layer symbol");
}

}  // namespace

std::vector<HfParameter> hfParameters(const config::HfConfig& c) {
  std::vector<HfParameter> out;
  const int64_t hidden = c.hiddenSize;
  auto global = [&](std::string name, Shape shape) {
    out.push_back(HfParameter{std::move(name), std::move(shape)});
  };

  global("backbone.embeddings.weight", {c.vocabSize, hidden});
  for (std::size_t i = 0; i < c.pattern.size(); ++i) {
    const auto layer = static_cast<int64_t>(i);
    const LayerSymbol symbol = symbolOf(c.pattern[i], "hybrid_override_pattern position " + std::to_string(i));
    LayerBuilder b(out, "backbone.layers." + std::to_string(i) + ".", symbol, false, layer);
    b.add("norm.weight", {hidden});
    addMixer(b, symbol, c);
  }
  global("backbone.norm_f.weight", {hidden});
  if (!c.tieWordEmbeddings) global("lm_head.weight", {c.vocabSize, hidden});

  if (c.hasMtp()) {
    const auto depthLayers = static_cast<int64_t>(c.mtpPattern.size());
    for (int64_t depth = 0; depth < c.numNextnPredictLayers; ++depth) {
      for (int64_t inner = 0; inner < depthLayers; ++inner) {
        const int64_t flat = depth * depthLayers + inner;
        const LayerSymbol symbol = symbolOf(c.mtpPattern[static_cast<std::size_t>(inner)],
                                            "mtp pattern position " + std::to_string(inner));
        LayerBuilder b(out, "mtp.layers." + std::to_string(flat) + ".", symbol, true, flat);
        if (inner == 0) {
          b.add("enorm.weight", {hidden});
          b.add("hnorm.weight", {hidden});
          b.add("eh_proj.weight", {hidden, 2 * hidden});
        }
        b.add("norm.weight", {hidden});
        addMixer(b, symbol, c);
        if (inner == depthLayers - 1) b.add("final_layernorm.weight", {hidden});
      }
    }
  }
  return out;
}

DType modelDType(const config::HfConfig& config) {
  auto dtype = dtypeFromUserName(config.torchDtype);
  if (!dtype || !isFloatingPoint(*dtype))
    badInput("torch_dtype: \"" + config.torchDtype + "\" is not a floating-point dtype");
  return *dtype;
}

ParameterTotals totals(const std::vector<HfParameter>& parameters) {
  ParameterTotals result;
  for (const auto& p : parameters) {
    ++result.tensors;
    result.elements += p.numel();
  }
  return result;
}

}  // namespace nhb::model
