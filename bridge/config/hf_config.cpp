#include "bridge/config/hf_config.h"

#include "bridge/config/json_read.h"
#include "bridge/config/pattern.h"
#include "bridge/core/error.h"

namespace nhb::config {

namespace {

// First of `keys` that is present and not null, or "".
std::string firstPresent(const FieldReader& reader, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (reader.has(key)) return key;
  }
  return "";
}

// A layer list (layers_block_type / mtp_layers_block_type) in symbol form.
std::string symbolsFromBlockTypes(const FieldReader& reader, const std::string& key) {
  const Json& list = reader.at(key);
  if (!list.is_array()) reader.fieldError(key, "expected a list of layer type names, got " + jsonTypeName(list));
  std::string symbols;
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_string()) {
      reader.fieldError(key, "entry " + std::to_string(i) + " is " + jsonTypeName(list[i]) + ", expected a string");
    }
    const std::string& name = list[i].get_ref<const std::string&>();
    char symbol = symbolOfBlockType(name);
    if (symbol == 0) {
      reader.fieldError(key, "unknown layer type \"" + name + "\" at position " + std::to_string(i) +
                                 " (expected mamba/attention/mlp/moe or linear_attention/full_attention/mlp/moe)");
    }
    symbols += symbol;
  }
  return symbols;
}

std::string readPatternString(const FieldReader& reader, const std::string& key) {
  std::string pattern = jsonToString(reader.at(key), reader.source() + ": field '" + key + "'");
  validateLayerSymbols(pattern, reader.source() + ": field '" + key + "'");
  return pattern;
}

// The main layer layout from whichever form the file uses; both forms present must agree.
std::string readMainPattern(const FieldReader& reader) {
  std::string fromString, fromList, listKey = firstPresent(reader, {"layers_block_type", "layer_types"});
  if (reader.has("hybrid_override_pattern")) fromString = readPatternString(reader, "hybrid_override_pattern");
  if (!listKey.empty()) fromList = symbolsFromBlockTypes(reader, listKey);
  if (reader.has("hybrid_override_pattern") && !listKey.empty() && fromString != fromList) {
    reader.fieldError(listKey, "layer list (\"" + fromList + "\") disagrees with hybrid_override_pattern (\"" +
                                   fromString + "\")");
  }
  if (reader.has("hybrid_override_pattern")) {
    if (fromString.empty()) reader.fieldError("hybrid_override_pattern", "pattern is empty");
    return fromString;
  }
  if (!listKey.empty()) {
    if (fromList.empty()) reader.fieldError(listKey, "layer list is empty");
    return fromList;
  }
  badInput(reader.source() + ": no layer layout: expected 'hybrid_override_pattern' or 'layers_block_type'");
}

std::string readMtpPattern(const FieldReader& reader) {
  if (reader.has("mtp_hybrid_override_pattern")) return readPatternString(reader, "mtp_hybrid_override_pattern");
  if (reader.has("mtp_layers_block_type")) return symbolsFromBlockTypes(reader, "mtp_layers_block_type");
  return "";
}

int64_t nonNegative(const FieldReader& reader, const std::string& key, int64_t fallback) {
  int64_t value = reader.getInt(key, fallback);
  if (value < 0) reader.fieldError(key, "must not be negative, got " + std::to_string(value));
  return value;
}

int64_t positive(const FieldReader& reader, const std::string& key, int64_t fallback) {
  int64_t value = reader.getInt(key, fallback);
  if (value <= 0) reader.fieldError(key, "must be positive, got " + std::to_string(value));
  return value;
}

// Reads the first present of `keys` (new name first, then legacy aliases) as a positive integer.
int64_t positiveAlias(const FieldReader& reader, std::initializer_list<const char*> keys, int64_t fallback) {
  std::string key = firstPresent(reader, keys);
  return key.empty() ? fallback : positive(reader, key, fallback);
}

std::optional<int64_t> optionalTokenId(const FieldReader& reader, const std::string& key) {
  if (!reader.has(key)) return std::nullopt;
  const Json& value = reader.at(key);
  if (value.is_array()) {  // some configs list several eos ids; the first is the canonical one
    if (value.empty()) return std::nullopt;
    return jsonToInt(value.front(), reader.source() + ": field '" + key + "'[0]");
  }
  return jsonToInt(value, reader.source() + ": field '" + key + "'");
}

void readTimeStepLimit(const FieldReader& reader, HfConfig& config) {
  std::string key = firstPresent(reader, {"time_step_limit", "mamba_dt_limit"});
  if (key.empty()) return;
  const Json& limit = reader.at(key);
  if (!limit.is_array() || limit.size() != 2) {
    reader.fieldError(key, "expected a [min, max] pair, got " + limit.dump());
  }
  config.timeStepLimitMin = jsonToDouble(limit[0], reader.source() + ": field '" + key + "'[0]");
  config.timeStepLimitMax = jsonToDouble(limit[1], reader.source() + ": field '" + key + "'[1]");
  if (!(config.timeStepLimitMin <= config.timeStepLimitMax)) reader.fieldError(key, "min exceeds max");
}

}  // namespace

bool HfConfig::hasMoe() const {
  return pattern.find('E') != std::string::npos || (hasMtp() && mtpPattern.find('E') != std::string::npos);
}

HfConfig parseHfConfig(const Json& json, const std::string& source) {
  if (!json.is_object()) badInput(source + ": expected a JSON object at top level, got " + jsonTypeName(json));
  FieldReader reader(json, source);
  HfConfig config;
  config.raw = json;
  config.source = source;

  config.pattern = readMainPattern(reader);
  const int64_t layers = static_cast<int64_t>(config.pattern.size());
  config.numHiddenLayers = nonNegative(reader, "num_hidden_layers", layers);
  if (config.numHiddenLayers != layers) {
    reader.fieldError("num_hidden_layers", "is " + std::to_string(config.numHiddenLayers) +
                                               " but the layer pattern has " + std::to_string(layers) + " layers");
  }

  config.numNextnPredictLayers = nonNegative(reader, "num_nextn_predict_layers", 0);
  config.mtpPattern = readMtpPattern(reader);
  if (config.numNextnPredictLayers > 0 && config.mtpPattern.empty()) {
    reader.fieldError("num_nextn_predict_layers",
                      "is " + std::to_string(config.numNextnPredictLayers) +
                          " but no MTP pattern is given (mtp_hybrid_override_pattern or mtp_layers_block_type)");
  }

  config.vocabSize = positive(reader, "vocab_size", config.vocabSize);
  config.hiddenSize = positive(reader, "hidden_size", config.hiddenSize);
  if (reader.has("intermediate_size") && reader.at("intermediate_size").is_array()) {
    reader.fieldError("intermediate_size", "per-layer MLP widths (a list) are not supported");
  }
  config.intermediateSize = nonNegative(reader, "intermediate_size", config.intermediateSize);
  config.numAttentionHeads = positive(reader, "num_attention_heads", config.numAttentionHeads);
  config.numKeyValueHeads = positive(reader, "num_key_value_heads", config.numAttentionHeads);
  if (config.numAttentionHeads % config.numKeyValueHeads != 0) {
    reader.fieldError("num_key_value_heads", "num_attention_heads (" + std::to_string(config.numAttentionHeads) +
                                                 ") is not divisible by num_key_value_heads (" +
                                                 std::to_string(config.numKeyValueHeads) + ")");
  }
  config.headDim = positiveAlias(reader, {"head_dim", "attention_head_dim"},
                                 config.hiddenSize / config.numAttentionHeads);
  if (config.headDim <= 0) reader.fieldError("head_dim", "cannot be derived: hidden_size < num_attention_heads");
  config.attentionBias = reader.getBool("attention_bias", false);
  config.mlpBias = reader.getBool("mlp_bias", false);
  config.useBias = reader.getBool("use_bias", false);
  config.tieWordEmbeddings = reader.getBool("tie_word_embeddings", false);

  config.mambaNumHeads = positive(reader, "mamba_num_heads", config.mambaNumHeads);
  config.mambaHeadDim = positive(reader, "mamba_head_dim", config.mambaHeadDim);
  config.nGroups = positiveAlias(reader, {"n_groups", "mamba_n_groups"}, config.nGroups);
  if (config.mambaNumHeads % config.nGroups != 0) {
    std::string key = firstPresent(reader, {"n_groups", "mamba_n_groups"});
    reader.fieldError(key.empty() ? "n_groups" : key,
                      "mamba_num_heads (" + std::to_string(config.mambaNumHeads) +
                          ") is not divisible by n_groups (" + std::to_string(config.nGroups) + ")");
  }
  config.ssmStateSize = positive(reader, "ssm_state_size", config.ssmStateSize);
  config.convKernel = positiveAlias(reader, {"conv_kernel", "mamba_d_conv"}, config.convKernel);
  config.chunkSize = positiveAlias(reader, {"chunk_size", "mamba_chunk_size"}, config.chunkSize);
  {
    std::string key = firstPresent(reader, {"use_conv_bias", "mamba_conv_bias"});
    if (!key.empty()) config.useConvBias = reader.getBool(key, true);
  }
  readTimeStepLimit(reader, config);

  {
    std::string key = firstPresent(reader, {"layer_norm_epsilon", "rms_norm_eps", "norm_eps"});
    if (!key.empty()) {
      config.layerNormEpsilon = reader.getDouble(key, config.layerNormEpsilon);
      if (!(config.layerNormEpsilon > 0)) reader.fieldError(key, "must be positive");
    }
  }

  // MoE: read whenever present, validated only when the pattern uses E.
  {
    std::string key = firstPresent(reader, {"n_routed_experts", "num_local_experts", "num_experts"});
    config.nRoutedExperts = key.empty() ? 0 : nonNegative(reader, key, 0);
  }
  config.nSharedExperts = nonNegative(reader, "n_shared_experts", config.nSharedExperts);
  config.numExpertsPerTok = nonNegative(reader, "num_experts_per_tok", config.numExpertsPerTok);
  config.moeIntermediateSize = nonNegative(reader, "moe_intermediate_size", 0);
  config.moeSharedExpertIntermediateSize = nonNegative(reader, "moe_shared_expert_intermediate_size", 0);
  if (reader.has("moe_latent_size")) config.moeLatentSize = positive(reader, "moe_latent_size", 0);
  config.nGroup = positive(reader, "n_group", 1);
  config.topkGroup = positive(reader, "topk_group", 1);
  config.routedScalingFactor = reader.getDouble("routed_scaling_factor", 1.0);
  config.normTopkProb = reader.getBool("norm_topk_prob", true);
  if (config.hasMoe()) {
    if (config.nRoutedExperts <= 0) reader.fieldError("n_routed_experts", "the pattern has MoE layers (E) but no experts are configured");
    if (config.numExpertsPerTok <= 0 || config.numExpertsPerTok > config.nRoutedExperts) {
      reader.fieldError("num_experts_per_tok", "must be in [1, n_routed_experts=" + std::to_string(config.nRoutedExperts) +
                                                   "], got " + std::to_string(config.numExpertsPerTok));
    }
    if (config.moeIntermediateSize <= 0) reader.fieldError("moe_intermediate_size", "must be positive for MoE layers");
    if (config.nRoutedExperts % config.nGroup != 0) {
      reader.fieldError("n_group", "n_routed_experts (" + std::to_string(config.nRoutedExperts) +
                                       ") is not divisible by n_group (" + std::to_string(config.nGroup) + ")");
    }
    if (config.topkGroup > config.nGroup) reader.fieldError("topk_group", "exceeds n_group");
  }

  {
    std::string key = firstPresent(reader, {"torch_dtype", "dtype"});
    if (!key.empty()) {
      config.torchDtype = reader.getString(key, config.torchDtype);
      if (config.torchDtype.rfind("torch.", 0) == 0) config.torchDtype = config.torchDtype.substr(6);
    }
  }

  config.bosTokenId = optionalTokenId(reader, "bos_token_id");
  config.eosTokenId = optionalTokenId(reader, "eos_token_id");
  config.padTokenId = optionalTokenId(reader, "pad_token_id");
  config.unkTokenId = optionalTokenId(reader, "unk_token_id");
  return config;
}

HfConfig loadHfConfig(const std::filesystem::path& configJsonPath) {
  return parseHfConfig(readConfigFile(configJsonPath), configJsonPath.string());
}

}  // namespace nhb::config
