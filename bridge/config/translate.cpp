#include "bridge/config/translate.h"

#include <map>
#include <set>

#include "bridge/config/json_read.h"
#include "bridge/config/pattern.h"
#include "bridge/core/error.h"

namespace nhb::config {

namespace {

// HF keys whose value every NemotronHConfig class exposes as an attribute (hasattr is true even when
// config.json omits the key), with the value HfConfig resolved from the new name or its legacy alias.
std::optional<Json> alwaysPresentAttribute(const HfConfig& hf, const std::string& key) {
  if (key == "num_hidden_layers") return Json(hf.numHiddenLayers);
  if (key == "hidden_size") return Json(hf.hiddenSize);
  if (key == "intermediate_size") return Json(hf.intermediateSize);
  if (key == "num_attention_heads") return Json(hf.numAttentionHeads);
  if (key == "num_key_value_heads") return Json(hf.numKeyValueHeads);
  if (key == "vocab_size") return Json(hf.vocabSize);
  if (key == "tie_word_embeddings") return Json(hf.tieWordEmbeddings);
  if (key == "attention_bias") return Json(hf.attentionBias);
  if (key == "mlp_bias") return Json(hf.mlpBias);
  if (key == "use_bias") return Json(hf.useBias);
  if (key == "mamba_head_dim") return Json(hf.mambaHeadDim);
  if (key == "mamba_num_heads") return Json(hf.mambaNumHeads);
  if (key == "chunk_size") return Json(hf.chunkSize);
  if (key == "n_groups") return Json(hf.nGroups);
  if (key == "ssm_state_size") return Json(hf.ssmStateSize);
  if (key == "hybrid_override_pattern") return Json(hf.pattern);  // also the list form's property
  // layer_norm_epsilon is a constructor argument of every version; HfConfig folds norm_eps into it.
  if (key == "layer_norm_epsilon") return Json(hf.layerNormEpsilon);
  return std::nullopt;
}

// hasattr(hf_config, key) and its value; null values count as absent.
std::optional<Json> hfAttribute(const HfConfig& hf, const std::string& key) {
  if (auto value = alwaysPresentAttribute(hf, key)) return value;
  auto it = hf.raw.find(key);
  if (it == hf.raw.end() || it->is_null()) return std::nullopt;
  return *it;
}

int64_t largestPowerOfTwoDivisor(int64_t vocab) {
  int64_t base = 128;
  while (base > 1 && vocab % base != 0) base /= 2;
  return base;
}

void applyDtype(const HfConfig& hf, ProviderConfig& provider, const std::string& source) {
  const bool present = hf.raw.contains("torch_dtype") ? !hf.raw["torch_dtype"].is_null()
                                                      : hf.raw.contains("dtype") && !hf.raw["dtype"].is_null();
  std::string dtype = present ? hf.torchDtype : "float32";  // dtype_from_hf default
  if (dtype == "float") dtype = "float32";
  if (dtype == "half") dtype = "float16";
  if (dtype != "float32" && dtype != "bfloat16" && dtype != "float16") {
    fail(ErrorKind::Unsupported, source + ": field 'torch_dtype': unsupported dtype \"" + dtype +
                                     "\" (expected bfloat16, float16 or float32)");
  }
  provider.params_dtype = dtype;
  provider.bf16 = dtype == "bfloat16";
  provider.fp16 = dtype == "float16";
}

bool rawBool(const HfConfig& hf, const std::string& key, bool fallback, const std::string& source) {
  FieldReader reader(hf.raw, source);
  return reader.getBool(key, fallback);
}

// §1.4: MTP fields from the HF config.
void applyMtp(const HfConfig& hf, ProviderConfig& provider, const std::string& source) {
  const int64_t depth = hf.numNextnPredictLayers;
  if (depth < 0) badInput(source + ": field 'num_nextn_predict_layers': must not be negative");
  provider.mtp_num_layers = 0;
  provider.mtp_hybrid_override_pattern.reset();
  provider.mtp_use_repeated_layer = false;
  provider.keep_mtp_spec_in_bf16 = false;
  if (depth == 0) return;  // MTP fully disabled
  if (hf.mtpPattern.empty()) {
    badInput(source + ": num_nextn_predict_layers = " + std::to_string(depth) +
             " but the config does not define mtp_hybrid_override_pattern");
  }
  provider.mtp_num_layers = depth;
  provider.mtp_hybrid_override_pattern = hf.mtpPattern;
  provider.mtp_use_repeated_layer = rawBool(hf, "mtp_use_repeated_layer", true, source);
  provider.keep_mtp_spec_in_bf16 = rawBool(hf, "keep_mtp_spec_in_bf16", true, source);
  provider.mtp_loss_scaling_factor = FieldReader(hf.raw, source).getDouble("mtp_loss_scaling_factor", 0.3);
}

// §1.3 fixed overrides.
void applyNemotronHOverrides(const HfConfig& hf, ProviderConfig& provider, const std::string& source) {
  provider.position_embedding_type = "none";
  provider.activation_func = "squared_relu";
  provider.masked_softmax_fusion = true;
  provider.apply_query_key_layer_scaling = false;
  provider.persist_layer_norm = true;
  provider.attention_softmax_in_fp32 = false;
  provider.first_last_layers_bf16 = true;
  provider.is_hybrid_model = true;
  if (hf.raw.contains("head_dim") && !hf.raw["head_dim"].is_null()) provider.kv_channels = hf.headDim;
  else if (hf.raw.contains("attention_head_dim") && !hf.raw["attention_head_dim"].is_null()) provider.kv_channels = hf.headDim;
  provider.moe_aux_loss_coeff = 0.0001;
  provider.moe_router_score_function = "sigmoid";
  provider.moe_router_enable_expert_bias = true;
  provider.moe_router_load_balancing_type = "seq_aux_loss";
  provider.moe_router_dtype = "fp32";
  provider.moe_grouped_gemm = true;
  provider.moe_token_dispatcher_type = "alltoall";
  provider.moe_permute_fusion = true;
  provider.moe_shared_expert_overlap = rawBool(hf, "moe_shared_expert_overlap", true, source);
  provider.moe_latent_size = hf.moeLatentSize;
}

Json sortedObject(const Json& object) {
  std::map<std::string, Json> sorted;
  for (const auto& [key, value] : object.items()) sorted[key] = value;
  Json out = Json::object();
  for (auto& [key, value] : sorted) out[key] = std::move(value);
  return out;
}

// Physical MTP depth stored in an HF checkpoint (Megatron-Bridge #5946 fix): one block for
// repeated-layer MTP, mtp_num_layers otherwise.
int64_t physicalMtpDepth(const ProviderConfig& provider, const HybridPattern& pattern) {
  const int64_t depth = provider.mtp_num_layers > 0 ? provider.mtp_num_layers : pattern.mtpDepths;
  if (depth <= 0 || !pattern.hasMtp()) return 0;
  return provider.mtp_use_repeated_layer ? 1 : depth;
}

// Which layers_block_type naming scheme a reference list uses.
BlockTypeScheme schemeOf(const Json& list) {
  if (list.is_array()) {
    for (const auto& name : list) {
      if (name.is_string() && (name == "linear_attention" || name == "full_attention")) {
        return BlockTypeScheme::LinearFullAttention;
      }
      if (name.is_string() && (name == "mamba" || name == "attention")) return BlockTypeScheme::MambaAttention;
    }
  }
  return BlockTypeScheme::LinearFullAttention;
}

Json blockTypeList(const std::string& symbols, BlockTypeScheme scheme) {
  Json list = Json::array();
  for (char symbol : symbols) list.push_back(blockTypeName(symbol, scheme));
  return list;
}

// Keeps the reference's number form (integer vs float) for equal numeric values.
Json matchNumberForm(const Json& value, const Json& reference) {
  if (value.is_number_float() && reference.is_number_integer()) {
    double d = value.get<double>();
    if (d == static_cast<double>(static_cast<int64_t>(d))) return Json(static_cast<int64_t>(d));
  }
  if (value.is_number_integer() && reference.is_number_float()) return Json(value.get<double>());
  return value;
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& configMapping() {
  // Megatron-Bridge CONFIG_MAPPING (base, MB:L458-498) followed by the Nemotron-H extras
  // (NHB:L255-268). MLA keys are left out: HybridModelProvider has no MLA fields, so they are
  // dropped on import and never written on export.
  static const std::vector<std::pair<std::string, std::string>> mapping = {
      {"num_hidden_layers", "num_layers"},
      {"hidden_size", "hidden_size"},
      {"intermediate_size", "ffn_hidden_size"},
      {"num_attention_heads", "num_attention_heads"},
      {"num_key_value_heads", "num_query_groups"},
      {"head_dim", "kv_channels"},
      {"vocab_size", "vocab_size"},
      {"max_position_embeddings", "seq_length"},
      {"rms_norm_eps", "layernorm_epsilon"},
      {"initializer_range", "init_method_std"},
      {"attention_dropout", "attention_dropout"},
      {"hidden_dropout", "hidden_dropout"},
      {"tie_word_embeddings", "share_embeddings_and_output_weights"},
      {"attention_bias", "add_qkv_bias"},
      {"mlp_bias", "add_bias_linear"},
      {"use_qk_norm", "qk_layernorm"},
      {"rope_theta", "rotary_base"},
      {"partial_rotary_factor", "rotary_percent"},
      {"num_experts", "num_moe_experts"},
      {"num_local_experts", "num_moe_experts"},
      {"n_routed_experts", "num_moe_experts"},
      {"num_experts_per_tok", "moe_router_topk"},
      {"moe_intermediate_size", "moe_ffn_hidden_size"},
      {"aux_loss_alpha", "moe_aux_loss_coeff"},
      {"router_aux_loss_coef", "moe_aux_loss_coeff"},
      {"scoring_func", "moe_router_score_function"},
      {"n_group", "moe_router_num_groups"},
      {"topk_group", "moe_router_group_topk"},
      {"routed_scaling_factor", "moe_router_topk_scaling_factor"},
      {"num_nextn_predict_layers", "mtp_num_layers"},
      {"mtp_num_hidden_layers", "mtp_num_layers"},
      // Nemotron-H extras
      {"mamba_head_dim", "mamba_head_dim"},
      {"mamba_num_heads", "mamba_num_heads"},
      {"chunk_size", "mamba_chunk_size"},
      {"n_groups", "mamba_num_groups"},
      {"ssm_state_size", "mamba_state_dim"},
      {"hybrid_override_pattern", "hybrid_layer_pattern"},
      {"residual_in_fp32", "fp32_residual_connection"},
      {"use_bias", "add_bias_linear"},
      {"layer_norm_epsilon", "layernorm_epsilon"},
      {"moe_shared_expert_intermediate_size", "moe_shared_expert_intermediate_size"},
  };
  return mapping;
}

void finalizeProvider(ProviderConfig& provider, const std::string& context) {
  if (provider.mamba_chunk_size < 1) {
    badInput(context + ": mamba_chunk_size must be >= 1, got " + std::to_string(provider.mamba_chunk_size));
  }
  if (provider.hybrid_layer_pattern.empty()) badInput(context + ": hybrid_layer_pattern is not set");
  const std::string patternContext = context + ": field 'hybrid_layer_pattern'";
  if (provider.mtp_hybrid_override_pattern && !provider.mtp_hybrid_override_pattern->empty()) {
    validateLayerSymbols(*provider.mtp_hybrid_override_pattern, context + ": field 'mtp_hybrid_override_pattern'");
    const int64_t copies = provider.mtp_use_repeated_layer ? std::max<int64_t>(1, provider.mtp_num_layers)
                                                           : provider.mtp_num_layers;
    provider.hybrid_layer_pattern =
        buildUnifiedPattern(provider.hybrid_layer_pattern, *provider.mtp_hybrid_override_pattern, copies);
    HybridPattern parsed = parseHybridPattern(provider.hybrid_layer_pattern, patternContext);
    if (provider.mtp_num_layers == 0 || !provider.mtp_use_repeated_layer) provider.mtp_num_layers = parsed.mtpDepths;
  } else {
    // A unified pattern that already carries `/` parts defines the MTP pattern and depth itself.
    HybridPattern parsed = parseHybridPattern(provider.hybrid_layer_pattern, patternContext);
    if (parsed.hasMtp()) {
      provider.mtp_hybrid_override_pattern = parsed.mtp;
      if (provider.mtp_num_layers == 0) provider.mtp_num_layers = parsed.mtpDepths;
    }
  }
  HybridPattern parsed = parseHybridPattern(provider.hybrid_layer_pattern, patternContext);
  if (provider.num_layers != 0 && provider.num_layers != parsed.numLayers()) {
    badInput(context + ": num_layers is " + std::to_string(provider.num_layers) +
             " but hybrid_layer_pattern has " + std::to_string(parsed.numLayers()) + " layers");
  }
  provider.num_layers = parsed.numLayers();
}

ProviderConfig hfToProvider(const HfConfig& hf, const ToProviderOptions& options) {
  const std::string source = hf.source.empty() ? std::string("HF config") : hf.source;
  ProviderConfig provider;
  std::set<std::string> assigned;
  for (const auto& [hfKey, megatronField] : configMapping()) {
    if (assigned.count(megatronField)) continue;  // first present HF key wins
    std::optional<Json> value = hfAttribute(hf, hfKey);
    if (!value) continue;
    const ProviderField* field = findProviderField(megatronField);
    if (!field) fail(ErrorKind::Internal, "CONFIG_MAPPING names unknown Megatron field " + megatronField);
    field->set(provider, *value, source + ": HF key '" + hfKey + "'");
    assigned.insert(megatronField);
  }
  provider.make_vocab_size_divisible_by = largestPowerOfTwoDivisor(provider.vocab_size);
  applyDtype(hf, provider, source);
  applyNemotronHOverrides(hf, provider, source);
  applyMtp(hf, provider, source);
  finalizeProvider(provider, source);
  if (options.pipelineParallel > 1) {
    provider.hybrid_layer_pattern =
        withPipelineSeparators(provider.hybrid_layer_pattern, options.pipelineParallel, source);
  }
  return provider;
}

Json providerToHfJson(const ProviderConfig& provider) {
  const std::string context = "Megatron config";
  Json hf = Json::object();
  for (const auto& [hfKey, megatronField] : configMapping()) {
    const ProviderField* field = findProviderField(megatronField);
    if (!field) fail(ErrorKind::Internal, "CONFIG_MAPPING names unknown Megatron field " + megatronField);
    hf[hfKey] = field->get(provider);
  }
  if (provider.activation_func == "squared_relu") hf["hidden_act"] = "relu2";
  else hf["hidden_act"] = provider.activation_func;
  hf["torch_dtype"] = provider.bf16 ? "bfloat16" : provider.fp16 ? "float16" : "float32";
  hf["architectures"] = Json::array({"NemotronHForCausalLM"});
  hf["model_type"] = "nemotron_h";
  // nhbridge addition: expert shapes depend on the latent size, so it is written when set.
  if (provider.moe_latent_size) hf["moe_latent_size"] = *provider.moe_latent_size;

  // Nemotron-H post-processing (§1.7).
  const std::string unified = provider.hybrid_layer_pattern;
  hf.erase("hybrid_override_pattern");
  if (!unified.empty()) {
    HybridPattern parsed = parseHybridPattern(unified, context + ": field 'hybrid_layer_pattern'");
    if (parsed.hasMtp()) hf["mtp_hybrid_override_pattern"] = parsed.mtp;
    hf["hybrid_override_pattern"] = parsed.layers;
    hf["num_nextn_predict_layers"] = physicalMtpDepth(provider, parsed);
  } else {
    hf["num_nextn_predict_layers"] = 0;
  }
  hf["auto_map"] = Json{{"AutoConfig", "configuration_nemotron_h.NemotronHConfig"},
                        {"AutoModel", "modeling_nemotron_h.NemotronHForCausalLM"},
                        {"AutoModelForCausalLM", "modeling_nemotron_h.NemotronHForCausalLM"}};
  if (hf["n_group"].is_null()) hf["n_group"] = 1;  // HF modeling crashes on None
  if (hf["topk_group"].is_null()) hf["topk_group"] = 1;
  return sortedObject(hf);  // transformers writes config.json with sorted keys
}

Json conformToReference(const Json& exported, const Json& reference) {
  if (!reference.is_object()) return reference;
  Json out = Json::object();
  for (const auto& [key, refValue] : reference.items()) {
    auto it = exported.find(key);
    if (it == exported.end()) {
      out[key] = refValue;
    } else if (refValue.is_object() && it->is_object()) {
      out[key] = conformToReference(*it, refValue);
    } else {
      out[key] = matchNumberForm(*it, refValue);
    }
  }
  return out;
}

Json providerToHfJson(const ProviderConfig& provider, const Json& reference) {
  if (!reference.is_object()) badInput("reference config.json: expected a JSON object");
  Json exported = providerToHfJson(provider);
  auto has = [&](const char* key) { return reference.contains(key); };
  // Carry Megatron's values into the reference's spelling of the same quantity.
  for (const char* listKey : {"layers_block_type", "layer_types"}) {
    if (has(listKey) && reference[listKey].is_array() && exported.contains("hybrid_override_pattern")) {
      exported[listKey] = blockTypeList(exported["hybrid_override_pattern"].get<std::string>(),
                                        schemeOf(reference[listKey]));
    }
  }
  if (has("mtp_layers_block_type") && exported.contains("mtp_hybrid_override_pattern")) {
    const Json& schemeSource = reference["mtp_layers_block_type"].is_array() && !reference["mtp_layers_block_type"].empty()
                                   ? reference["mtp_layers_block_type"]
                                   : reference.value("layers_block_type", Json::array());
    exported["mtp_layers_block_type"] =
        blockTypeList(exported["mtp_hybrid_override_pattern"].get<std::string>(), schemeOf(schemeSource));
  }
  auto alias = [&](const char* referenceKey, const char* exportedKey) {
    if (has(referenceKey) && exported.contains(exportedKey) && !exported[exportedKey].is_null()) {
      exported[referenceKey] = exported[exportedKey];
    }
  };
  alias("attention_head_dim", "head_dim");
  alias("norm_eps", "layer_norm_epsilon");
  alias("dtype", "torch_dtype");
  alias("mamba_n_groups", "n_groups");
  alias("mamba_chunk_size", "chunk_size");
  return conformToReference(exported, reference);
}

Json hfTokenizerKwargs() { return Json{{"use_fast", true}}; }

}  // namespace nhb::config
