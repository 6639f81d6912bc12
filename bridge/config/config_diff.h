// What an HF -> Megatron -> HF config round trip changes, key by key, and why. The documented
// differences are a table in config_diff.cpp, each with its reason; anything else is a real
// discrepancy (documented == false).
//
// Over the ten published config.json files, the round trip WITHOUT a reference gives exactly:
//   dropped (on purpose): attention_head_dim, norm_eps, dtype, mlp_hidden_act (re-spelled as
//     head_dim, layer_norm_epsilon/rms_norm_eps, torch_dtype, hidden_act); conv_kernel, expand,
//     mamba_hidden_act, mamba_proj_bias, use_conv_bias, n_shared_experts, norm_topk_prob,
//     rescale_prenorm_residual, time_step_{min,max,floor}, sliding_window, moe_shared_expert_overlap,
//     a null moe_latent_size (not mapped / fixed by the Megatron layer spec); bos/eos/pad_token_id,
//     num_logits_to_keep, use_cache, use_mamba_kernels, mamba_ssm_cache_dtype, transformers_version
//     (tokenizer, runtime and metadata keys);
//   default-filled: every CONFIG_MAPPING alias (num_experts, num_local_experts, n_routed_experts,
//     num_experts_per_tok, moe_intermediate_size, moe_shared_expert_intermediate_size,
//     routed_scaling_factor, aux_loss_alpha, router_aux_loss_coef, scoring_func, use_qk_norm,
//     rope_theta, partial_rotary_factor, rms_norm_eps, head_dim, num_nextn_predict_layers,
//     mtp_num_hidden_layers), n_group/topk_group (1), hidden_act, torch_dtype;
//   value-changed: auto_map only (gains the AutoModel entry).
// WITH the reference, nothing changes (tests/bridge/config_diff_test.cpp, config_translate_test.cpp).
#pragma once

#include <string>
#include <vector>

#include "bridge/config/hf_config.h"

namespace nhb::config {

enum class DifferenceKind {
  Renamed,           // carried through a Megatron field (possibly of the same name), value preserved
  FromReference,     // not carried by Megatron; restored from the reference config.json
  DroppedOnPurpose,  // HF-only key the exporter does not write (with the reason)
  DefaultFilled,     // key the exporter adds that the original lacked
  ValueChanged,      // present on both sides with different values
};

const char* differenceKindName(DifferenceKind kind);  // "renamed", "from-reference", ...

struct ConfigDifference {
  std::string hfKey;
  std::string megatronField;  // carrying field, "" when none
  DifferenceKind kind = DifferenceKind::Renamed;
  Json before;                // original value; null when absent
  Json after;                 // round-tripped value; null when absent
  bool documented = false;    // an expected, explained difference
  std::string reason;
};

// The Megatron field that carries an HF key on the way through ("" when none).
std::string megatronFieldForHfKey(const std::string& hfKey);

// Classifies every key of `before` and `after` (before's order, then keys only in after).
// `withReference`: `after` was conformed to `before`, so uncarried keys count as FromReference.
std::vector<ConfigDifference> diffHfConfigs(const Json& before, const Json& after, bool withReference);

// HF -> provider -> HF (conformed to the original when `withReference`), then diffHfConfigs.
std::vector<ConfigDifference> diffRoundTrip(const HfConfig& original, bool withReference);

// True when every entry is documented.
bool onlyDocumentedDifferences(const std::vector<ConfigDifference>& differences);

// The kinds that are changes (everything except Renamed and FromReference).
bool isChange(DifferenceKind kind);

}  // namespace nhb::config
