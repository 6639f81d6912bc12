#include "bridge/config/provider_config.h"

#include <algorithm>

#include "bridge/config/json_read.h"
#include "bridge/core/error.h"

namespace nhb::config {

namespace {

template <class T>
struct JsonCodec;

template <>
struct JsonCodec<int64_t> {
  static Json encode(int64_t value) { return value; }
  static int64_t decode(const Json& json, const std::string& where) { return jsonToInt(json, where); }
};
template <>
struct JsonCodec<double> {
  static Json encode(double value) { return value; }
  static double decode(const Json& json, const std::string& where) { return jsonToDouble(json, where); }
};
template <>
struct JsonCodec<bool> {
  static Json encode(bool value) { return value; }
  static bool decode(const Json& json, const std::string& where) { return jsonToBool(json, where); }
};
template <>
struct JsonCodec<std::string> {
  static Json encode(const std::string& value) { return value; }
  static std::string decode(const Json& json, const std::string& where) { return jsonToString(json, where); }
};
template <class T>
struct JsonCodec<std::optional<T>> {
  static Json encode(const std::optional<T>& value) { return value ? JsonCodec<T>::encode(*value) : Json(nullptr); }
  static std::optional<T> decode(const Json& json, const std::string& where) {
    if (json.is_null()) return std::nullopt;
    return JsonCodec<T>::decode(json, where);
  }
};

template <class T>
ProviderField field(const char* name, T ProviderConfig::*member) {
  std::string fieldName = name;
  return ProviderField{
      fieldName,
      [member](const ProviderConfig& config) { return JsonCodec<T>::encode(config.*member); },
      [member, fieldName](ProviderConfig& config, const Json& json, const std::string& context) {
        config.*member = JsonCodec<T>::decode(json, context + ": field '" + fieldName + "'");
      }};
}

#define NHB_FIELD(name) field(#name, &ProviderConfig::name)

std::vector<ProviderField> makeFields() {
  return {
      NHB_FIELD(num_layers),
      NHB_FIELD(hidden_size),
      NHB_FIELD(ffn_hidden_size),
      NHB_FIELD(num_attention_heads),
      NHB_FIELD(num_query_groups),
      NHB_FIELD(kv_channels),
      NHB_FIELD(vocab_size),
      NHB_FIELD(make_vocab_size_divisible_by),
      NHB_FIELD(should_pad_vocab),
      NHB_FIELD(seq_length),
      NHB_FIELD(layernorm_epsilon),
      NHB_FIELD(init_method_std),
      NHB_FIELD(attention_dropout),
      NHB_FIELD(hidden_dropout),
      NHB_FIELD(share_embeddings_and_output_weights),
      NHB_FIELD(add_qkv_bias),
      NHB_FIELD(add_bias_linear),
      NHB_FIELD(qk_layernorm),
      NHB_FIELD(rotary_base),
      NHB_FIELD(rotary_percent),
      NHB_FIELD(fp32_residual_connection),
      NHB_FIELD(params_dtype),
      NHB_FIELD(bf16),
      NHB_FIELD(fp16),
      NHB_FIELD(mamba_num_heads),
      NHB_FIELD(mamba_head_dim),
      NHB_FIELD(mamba_num_groups),
      NHB_FIELD(mamba_state_dim),
      NHB_FIELD(mamba_chunk_size),
      NHB_FIELD(hybrid_layer_pattern),
      NHB_FIELD(mtp_num_layers),
      NHB_FIELD(mtp_hybrid_override_pattern),
      NHB_FIELD(mtp_use_repeated_layer),
      NHB_FIELD(keep_mtp_spec_in_bf16),
      NHB_FIELD(mtp_loss_scaling_factor),
      NHB_FIELD(num_moe_experts),
      NHB_FIELD(moe_router_topk),
      NHB_FIELD(moe_ffn_hidden_size),
      NHB_FIELD(moe_shared_expert_intermediate_size),
      NHB_FIELD(moe_latent_size),
      NHB_FIELD(moe_router_num_groups),
      NHB_FIELD(moe_router_group_topk),
      NHB_FIELD(moe_router_topk_scaling_factor),
      NHB_FIELD(position_embedding_type),
      NHB_FIELD(activation_func),
      NHB_FIELD(normalization),
      NHB_FIELD(gated_linear_unit),
      NHB_FIELD(masked_softmax_fusion),
      NHB_FIELD(apply_query_key_layer_scaling),
      NHB_FIELD(persist_layer_norm),
      NHB_FIELD(attention_softmax_in_fp32),
      NHB_FIELD(first_last_layers_bf16),
      NHB_FIELD(is_hybrid_model),
      NHB_FIELD(moe_aux_loss_coeff),
      NHB_FIELD(moe_router_score_function),
      NHB_FIELD(moe_router_enable_expert_bias),
      NHB_FIELD(moe_router_load_balancing_type),
      NHB_FIELD(moe_router_dtype),
      NHB_FIELD(moe_grouped_gemm),
      NHB_FIELD(moe_token_dispatcher_type),
      NHB_FIELD(moe_permute_fusion),
      NHB_FIELD(moe_shared_expert_overlap),
  };
}

#undef NHB_FIELD

}  // namespace

const std::vector<ProviderField>& providerFields() {
  static const std::vector<ProviderField> fields = makeFields();
  return fields;
}

const ProviderField* findProviderField(std::string_view name) {
  for (const auto& f : providerFields()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

HybridPattern ProviderConfig::pattern() const {
  return parseHybridPattern(hybrid_layer_pattern, "Megatron config: field 'hybrid_layer_pattern'");
}

int64_t ProviderConfig::headDim() const {
  if (kv_channels) return *kv_channels;
  return num_attention_heads > 0 ? hidden_size / num_attention_heads : 0;
}

int64_t ProviderConfig::mambaHeads() const {
  if (mamba_num_heads) return *mamba_num_heads;
  return mamba_head_dim > 0 ? 2 * hidden_size / mamba_head_dim : 0;
}

int64_t ProviderConfig::paddedVocabSize(int tp) const {
  if (!should_pad_vocab) return vocab_size;
  const int64_t multiple = make_vocab_size_divisible_by * std::max(tp, 1);
  return (vocab_size + multiple - 1) / multiple * multiple;
}

bool operator==(const ProviderConfig& a, const ProviderConfig& b) {
  for (const auto& f : providerFields()) {
    if (f.get(a) != f.get(b)) return false;
  }
  return a.extra == b.extra;
}

Json providerToJson(const ProviderConfig& config) {
  Json json = Json::object();
  for (const auto& f : providerFields()) json[f.name] = f.get(config);
  for (const auto& [key, value] : config.extra.items()) {
    if (!json.contains(key)) json[key] = value;
  }
  return json;
}

ProviderConfig providerFromJson(const Json& json, const std::string& source) {
  if (!json.is_object()) badInput(source + ": expected a JSON object of Megatron config fields, got " + jsonTypeName(json));
  ProviderConfig config;
  for (const auto& [key, value] : json.items()) {
    if (const ProviderField* f = findProviderField(key)) {
      f->set(config, value, source);
    } else {
      config.extra[key] = value;
    }
  }
  if (!config.hybrid_layer_pattern.empty()) {
    parseHybridPattern(config.hybrid_layer_pattern, source + ": field 'hybrid_layer_pattern'");
  }
  return config;
}

ProviderConfig loadProviderConfig(const std::filesystem::path& path) {
  return providerFromJson(readConfigFile(path), path.string());
}

void saveProviderConfig(const ProviderConfig& config, const std::filesystem::path& path) {
  writeConfigFileAtomically(path, dumpConfigJson(providerToJson(config), 2) + "\n");
}

}  // namespace nhb::config
