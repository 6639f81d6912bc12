// Megatron-side model config: the fields of Megatron-Bridge's HybridModelProvider (Megatron-Core
// TransformerConfig / HybridConfig) that a Nemotron-H model uses. Field names are Megatron's own,
// snake_case on purpose, so code reads like megatron-bridge-conversion.md §1.2-1.5.
// Defaults are the values the Nemotron-H bridge produces (provider defaults + the fixed overrides of
// §1.3), so a ProviderConfig built field by field describes a Nemotron-H model.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/config/pattern.h"

namespace nhb::config {

using Json = nlohmann::ordered_json;

struct ProviderConfig {
  // ---- transformer geometry (generic CONFIG_MAPPING) ----
  int64_t num_layers = 0;                     // main decoder layers (finalize: == pattern length)
  int64_t hidden_size = 0;
  int64_t ffn_hidden_size = 0;                // dense `-` MLP width
  int64_t num_attention_heads = 1;
  std::optional<int64_t> num_query_groups;    // GQA groups (HF num_key_value_heads)
  std::optional<int64_t> kv_channels;         // attention head dim
  int64_t vocab_size = 0;
  int64_t make_vocab_size_divisible_by = 128;
  bool should_pad_vocab = false;              // HybridModelProvider default: vocab kept unpadded
  int64_t seq_length = 8192;
  double layernorm_epsilon = 1e-5;
  double init_method_std = 0.02;
  double attention_dropout = 0.0;
  double hidden_dropout = 0.0;
  bool share_embeddings_and_output_weights = false;
  bool add_qkv_bias = false;
  bool add_bias_linear = false;
  bool qk_layernorm = false;
  double rotary_base = 10000.0;
  double rotary_percent = 1.0;
  bool fp32_residual_connection = false;
  std::string params_dtype = "bfloat16";      // torch dtype name without "torch."
  bool bf16 = true;
  bool fp16 = false;

  // ---- Mamba-2 ----
  std::optional<int64_t> mamba_num_heads;
  int64_t mamba_head_dim = 64;
  int64_t mamba_num_groups = 8;
  int64_t mamba_state_dim = 128;
  int64_t mamba_chunk_size = 128;

  // ---- layer layout: finalized unified pattern (`|` pipeline segments, `/` MTP depths) ----
  std::string hybrid_layer_pattern;

  // ---- MTP (§1.4) ----
  int64_t mtp_num_layers = 0;                 // forward repetitions (Megatron), not physical depth
  std::optional<std::string> mtp_hybrid_override_pattern;
  bool mtp_use_repeated_layer = false;
  bool keep_mtp_spec_in_bf16 = false;
  double mtp_loss_scaling_factor = 0.1;       // MCore default; 0.3 from the bridge when MTP is on

  // ---- MoE ----
  std::optional<int64_t> num_moe_experts;
  int64_t moe_router_topk = 2;
  std::optional<int64_t> moe_ffn_hidden_size;
  std::optional<int64_t> moe_shared_expert_intermediate_size;
  std::optional<int64_t> moe_latent_size;
  std::optional<int64_t> moe_router_num_groups;
  std::optional<int64_t> moe_router_group_topk;
  std::optional<double> moe_router_topk_scaling_factor;

  // ---- fixed Nemotron-H overrides (§1.3) ----
  std::string position_embedding_type = "none";
  std::string activation_func = "squared_relu";
  std::string normalization = "RMSNorm";
  bool gated_linear_unit = false;
  bool masked_softmax_fusion = true;
  bool apply_query_key_layer_scaling = false;
  bool persist_layer_norm = true;
  bool attention_softmax_in_fp32 = false;
  bool first_last_layers_bf16 = true;
  bool is_hybrid_model = true;
  double moe_aux_loss_coeff = 0.0001;
  std::string moe_router_score_function = "sigmoid";
  bool moe_router_enable_expert_bias = true;
  std::string moe_router_load_balancing_type = "seq_aux_loss";
  std::string moe_router_dtype = "fp32";
  bool moe_grouped_gemm = true;
  std::string moe_token_dispatcher_type = "alltoall";
  bool moe_permute_fusion = true;
  bool moe_shared_expert_overlap = true;

  // Keys of a megatron_config.json this struct does not know, kept verbatim for the round trip.
  Json extra = Json::object();

  // Parsed hybrid_layer_pattern (BadInput when malformed).
  HybridPattern pattern() const;
  // Attention head dim: kv_channels, or hidden/heads as Megatron derives it.
  int64_t headDim() const;
  // Mamba heads: mamba_num_heads, or (2*hidden)/head_dim as MambaMixer derives it (expand 2).
  int64_t mambaHeads() const;
  int64_t queryGroups() const { return num_query_groups.value_or(num_attention_heads); }
  // Vocab rows of the Megatron embedding for tensor-parallel size tp: vocab_size unless
  // should_pad_vocab, then rounded up to a multiple of make_vocab_size_divisible_by * tp.
  int64_t paddedVocabSize(int tp = 1) const;
};

bool operator==(const ProviderConfig& a, const ProviderConfig& b);
inline bool operator!=(const ProviderConfig& a, const ProviderConfig& b) { return !(a == b); }

// One row of the field table: the Megatron field name, a getter to JSON (null for an empty
// optional) and a setter from JSON (BadInput naming `context` and the field on a wrong type).
struct ProviderField {
  std::string name;
  std::function<Json(const ProviderConfig&)> get;
  std::function<void(ProviderConfig&, const Json&, const std::string& context)> set;
};

// Every field, in declaration order above (also the key order of megatron_config.json).
const std::vector<ProviderField>& providerFields();
const ProviderField* findProviderField(std::string_view name);

// megatron_config.json: a flat JSON object keyed by Megatron field names (+ `extra`).
Json providerToJson(const ProviderConfig& config);
// Missing fields keep their defaults; unknown keys go to `extra`. Errors name `source` and the field.
ProviderConfig providerFromJson(const Json& json, const std::string& source);
ProviderConfig loadProviderConfig(const std::filesystem::path& path);
// Writes to a temporary name next to `path`, then renames.
void saveProviderConfig(const ProviderConfig& config, const std::filesystem::path& path);

}  // namespace nhb::config
