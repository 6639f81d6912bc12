#include "bridge/config/config_diff.h"

#include <map>

#include "bridge/config/translate.h"

namespace nhb::config {

namespace {

struct Documented {
  DifferenceKind kind;
  const char* reason;
};

// Documented differences of the round trip without a reference, keyed by HF key.
const std::map<std::string, Documented>& documentedTable() {
  using K = DifferenceKind;
  static const std::map<std::string, Documented> table = {
      // HF-only keys, dropped on purpose (megatron-bridge-conversion.md §1.3, NHB:L382-384).
      {"conv_kernel", {K::DroppedOnPurpose, "not mapped on purpose: conv_kernel fixed by the layer spec (MCore d_conv=4)"}},
      {"mamba_d_conv", {K::DroppedOnPurpose, "not mapped on purpose: conv kernel fixed by the layer spec (MCore d_conv=4)"}},
      {"time_step_min", {K::DroppedOnPurpose, "not mapped on purpose: dt_bias initialization only"}},
      {"time_step_max", {K::DroppedOnPurpose, "not mapped on purpose: dt_bias initialization only"}},
      {"time_step_floor", {K::DroppedOnPurpose, "not mapped on purpose: dt_bias initialization only"}},
      {"time_step_limit", {K::DroppedOnPurpose, "not mapped on purpose: Megatron MambaMixer uses its own dt limit ((0, inf): no clamp)"}},
      {"mamba_dt_limit", {K::DroppedOnPurpose, "not mapped on purpose: Megatron MambaMixer uses its own dt limit"}},
      {"mamba_hidden_act", {K::DroppedOnPurpose, "not mapped on purpose: MambaMixer always uses SiLU"}},
      {"n_shared_experts", {K::DroppedOnPurpose, "not mapped on purpose: exactly one shared expert of width moe_shared_expert_intermediate_size"}},
      {"norm_topk_prob", {K::DroppedOnPurpose, "not mapped on purpose: the sigmoid router always renormalizes the top-k weights"}},
      {"expand", {K::DroppedOnPurpose, "not mapped on purpose: Mamba width is mamba_num_heads * mamba_head_dim"}},
      {"mamba_expand", {K::DroppedOnPurpose, "not mapped on purpose: Mamba width is mamba_num_heads * mamba_head_dim"}},
      {"use_conv_bias", {K::DroppedOnPurpose, "not mapped on purpose: MambaMixer always has a conv1d bias"}},
      {"mamba_conv_bias", {K::DroppedOnPurpose, "not mapped on purpose: MambaMixer always has a conv1d bias"}},
      {"mamba_proj_bias", {K::DroppedOnPurpose, "not mapped on purpose: unused by HF modeling; MambaMixer asserts no in/out_proj bias"}},
      {"rescale_prenorm_residual", {K::DroppedOnPurpose, "not mapped on purpose: initialization only"}},
      {"mlp_hidden_act", {K::DroppedOnPurpose, "activation fixed to squared_relu; exported as hidden_act = \"relu2\""}},
      {"attention_head_dim", {K::DroppedOnPurpose, "legacy spelling: carried as kv_channels, exported as head_dim"}},
      {"norm_eps", {K::DroppedOnPurpose, "alias: carried as layernorm_epsilon, exported as layer_norm_epsilon and rms_norm_eps"}},
      {"dtype", {K::DroppedOnPurpose, "carried as params_dtype, exported as torch_dtype"}},
      {"mamba_n_groups", {K::DroppedOnPurpose, "legacy spelling: carried as mamba_num_groups, exported as n_groups"}},
      {"mamba_chunk_size", {K::DroppedOnPurpose, "legacy spelling: carried as mamba_chunk_size, exported as chunk_size"}},
      {"layers_block_type", {K::DroppedOnPurpose, "list form: carried as hybrid_layer_pattern, exported as the hybrid_override_pattern string"}},
      {"layer_types", {K::DroppedOnPurpose, "list form: carried as hybrid_layer_pattern, exported as the hybrid_override_pattern string"}},
      {"mtp_layers_block_type", {K::DroppedOnPurpose, "list form: carried in hybrid_layer_pattern, exported as mtp_hybrid_override_pattern"}},
      {"bos_token_id", {K::DroppedOnPurpose, "tokenizer id: not part of the Megatron model config"}},
      {"eos_token_id", {K::DroppedOnPurpose, "tokenizer id: not part of the Megatron model config"}},
      {"pad_token_id", {K::DroppedOnPurpose, "tokenizer id: not part of the Megatron model config"}},
      {"unk_token_id", {K::DroppedOnPurpose, "tokenizer id: not part of the Megatron model config"}},
      {"num_logits_to_keep", {K::DroppedOnPurpose, "HF generation option, not a model property"}},
      {"use_cache", {K::DroppedOnPurpose, "HF runtime option, not a model property"}},
      {"use_mamba_kernels", {K::DroppedOnPurpose, "HF runtime option, not a model property"}},
      {"mamba_ssm_cache_dtype", {K::DroppedOnPurpose, "HF runtime option (recurrent cache dtype), not a model property"}},
      {"transformers_version", {K::DroppedOnPurpose, "metadata of the library that wrote the file"}},
      {"_name_or_path", {K::DroppedOnPurpose, "metadata of the library that wrote the file"}},
      {"sliding_window", {K::DroppedOnPurpose, "not mapped: Nemotron-H attention has no sliding window (always null)"}},
      {"moe_shared_expert_overlap", {K::DroppedOnPurpose, "read into moe_shared_expert_overlap (performance flag) but not written back"}},
      {"mtp_use_repeated_layer", {K::DroppedOnPurpose, "Megatron training option read by the bridge, not written back"}},
      {"keep_mtp_spec_in_bf16", {K::DroppedOnPurpose, "Megatron training option read by the bridge, not written back"}},
      {"mtp_loss_scaling_factor", {K::DroppedOnPurpose, "Megatron training option read by the bridge, not written back"}},
      {"moe_latent_size", {K::DroppedOnPurpose, "a null latent size (no latent MoE) is not written"}},
      // Keys the exporter adds.
      {"hidden_act", {K::DefaultFilled, "activation written as hidden_act (squared_relu -> \"relu2\")"}},
      {"torch_dtype", {K::DefaultFilled, "params dtype written as torch_dtype"}},
      {"architectures", {K::DefaultFilled, "always [\"NemotronHForCausalLM\"]"}},
      {"model_type", {K::DefaultFilled, "always \"nemotron_h\""}},
      {"n_group", {K::DefaultFilled, "written as 1 when unset: HF modeling crashes on None"}},
      {"topk_group", {K::DefaultFilled, "written as 1 when unset: HF modeling crashes on None"}},
      // Values the exporter rewrites.
      {"auto_map", {K::ValueChanged, "exported auto_map lists AutoConfig, AutoModel and AutoModelForCausalLM"}},
  };
  return table;
}

// Keys written by the exporter itself rather than through a Megatron field.
bool isExporterConstant(const std::string& key) {
  return key == "architectures" || key == "model_type" || key == "auto_map";
}

}  // namespace

const char* differenceKindName(DifferenceKind kind) {
  switch (kind) {
    case DifferenceKind::Renamed: return "renamed";
    case DifferenceKind::FromReference: return "from-reference";
    case DifferenceKind::DroppedOnPurpose: return "dropped";
    case DifferenceKind::DefaultFilled: return "default-filled";
    case DifferenceKind::ValueChanged: return "value-changed";
  }
  return "?";
}

bool isChange(DifferenceKind kind) {
  return kind != DifferenceKind::Renamed && kind != DifferenceKind::FromReference;
}

std::string megatronFieldForHfKey(const std::string& hfKey) {
  for (const auto& [hf, megatron] : configMapping()) {
    if (hf == hfKey) return megatron;
  }
  static const std::map<std::string, std::string> extras = {
      {"attention_head_dim", "kv_channels"},
      {"norm_eps", "layernorm_epsilon"},
      {"dtype", "params_dtype"},
      {"torch_dtype", "params_dtype"},
      {"layers_block_type", "hybrid_layer_pattern"},
      {"layer_types", "hybrid_layer_pattern"},
      {"mtp_hybrid_override_pattern", "hybrid_layer_pattern"},
      {"mtp_layers_block_type", "hybrid_layer_pattern"},
      {"moe_latent_size", "moe_latent_size"},
      {"hidden_act", "activation_func"},
      {"mamba_n_groups", "mamba_num_groups"},
      {"mamba_chunk_size", "mamba_chunk_size"},
  };
  auto it = extras.find(hfKey);
  return it == extras.end() ? "" : it->second;
}

std::vector<ConfigDifference> diffHfConfigs(const Json& before, const Json& after, bool withReference) {
  std::vector<ConfigDifference> out;
  auto classify = [&](const std::string& key) {
    ConfigDifference d;
    d.hfKey = key;
    d.megatronField = megatronFieldForHfKey(key);
    const bool inBefore = before.contains(key), inAfter = after.contains(key);
    d.before = inBefore ? before[key] : Json(nullptr);
    d.after = inAfter ? after[key] : Json(nullptr);
    auto documented = documentedTable().find(key);
    if (inBefore && inAfter && d.before == d.after) {
      if (!d.megatronField.empty()) {
        d.kind = DifferenceKind::Renamed;
        d.documented = true;
        d.reason = d.megatronField == key ? "carried under the same name" : "carried as " + d.megatronField;
      } else if (isExporterConstant(key)) {
        d.kind = DifferenceKind::Renamed;
        d.documented = true;
        d.reason = "written by the exporter";
      } else {
        d.kind = withReference ? DifferenceKind::FromReference : DifferenceKind::Renamed;
        d.documented = true;
        d.reason = withReference ? "not carried by Megatron; kept from the reference config.json"
                                 : "written by the exporter";
      }
    } else if (inBefore && !inAfter) {
      d.kind = DifferenceKind::DroppedOnPurpose;
      if (documented != documentedTable().end() && documented->second.kind == DifferenceKind::DroppedOnPurpose &&
          (key != "moe_latent_size" || d.before.is_null())) {
        d.documented = true;
        d.reason = documented->second.reason;
      } else {
        d.reason = "dropped: not carried by Megatron and not documented";
      }
    } else if (!inBefore && inAfter) {
      d.kind = DifferenceKind::DefaultFilled;
      if (documented != documentedTable().end() && documented->second.kind == DifferenceKind::DefaultFilled) {
        d.documented = true;
        d.reason = documented->second.reason;
      } else if (!d.megatronField.empty()) {
        d.documented = true;
        d.reason = "megatron_to_hf_config writes every CONFIG_MAPPING alias: " + d.megatronField + " = " + d.after.dump();
      } else if (key == "mtp_hybrid_override_pattern") {
        d.documented = true;
        d.reason = "MTP part of hybrid_layer_pattern";
      } else {
        d.reason = "added by the exporter, not documented";
      }
    } else {
      d.kind = DifferenceKind::ValueChanged;
      if (documented != documentedTable().end() && documented->second.kind == DifferenceKind::ValueChanged) {
        d.documented = true;
        d.reason = documented->second.reason;
      } else {
        d.reason = "value changed: a real discrepancy";
      }
    }
    out.push_back(std::move(d));
  };
  for (const auto& [key, value] : before.items()) classify(key);
  for (const auto& [key, value] : after.items()) {
    if (!before.contains(key)) classify(key);
  }
  return out;
}

std::vector<ConfigDifference> diffRoundTrip(const HfConfig& original, bool withReference) {
  ProviderConfig provider = hfToProvider(original);
  Json after = withReference ? providerToHfJson(provider, original.raw) : providerToHfJson(provider);
  return diffHfConfigs(original.raw, after, withReference);
}

bool onlyDocumentedDifferences(const std::vector<ConfigDifference>& differences) {
  for (const auto& d : differences) {
    if (!d.documented) return false;
  }
  return true;
}

}  // namespace nhb::config
