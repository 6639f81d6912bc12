// Config translation HF <-> Megatron, following megatron-bridge-conversion.md §1 exactly:
// HF -> provider (§1.2 generic CONFIG_MAPPING in list order, first present HF key wins; Nemotron-H
// extras; §1.3 fixed overrides; §1.4 MTP; §1.5 finalize) and provider -> HF (§1.7 base + Nemotron-H
// post-processing, with the #5946 fix: num_nextn_predict_layers is the physical MTP depth).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "bridge/config/hf_config.h"
#include "bridge/config/provider_config.h"

namespace nhb::config {

struct ToProviderOptions {
  // > 1: split the main pattern into this many even pipeline segments joined by `|`.
  int pipelineParallel = 1;
};

// HF -> Megatron provider, finalized. Errors (BadInput) name the config source and field.
ProviderConfig hfToProvider(const HfConfig& hf, const ToProviderOptions& options = {});

// §1.5 finalize: chunk size >= 1, unified pattern with `/` MTP parts, num_layers check (BadInput
// when num_layers is set and differs from the main pattern length). Idempotent.
void finalizeProvider(ProviderConfig& provider, const std::string& context);

// The generic CONFIG_MAPPING + Nemotron-H extras, in list order: (HF key, Megatron field).
const std::vector<std::pair<std::string, std::string>>& configMapping();

// Provider -> HF config.json (§1.7) without a reference: every CONFIG_MAPPING alias is written,
// plus hidden_act, torch_dtype, architectures, model_type, auto_map, n_group/topk_group defaults.
Json providerToHfJson(const ProviderConfig& provider);

// Provider -> HF config.json conformed to a reference config.json (the source checkpoint's):
// the reference's key set, key order and form are kept (layers_block_type stays a list in its naming
// scheme, `dtype` vs `torch_dtype`, integer vs float), values Megatron carries come from the
// provider, keys Megatron does not carry come from the reference. HF -> Megatron -> HF with the
// reference gives back the original config.json (as JSON values).
Json providerToHfJson(const ProviderConfig& provider, const Json& reference);

// conform_config_to_reference (conversion/utils.py): keep only reference keys (recursing into
// objects), fill missing ones from the reference. Exposed for tests.
Json conformToReference(const Json& exported, const Json& reference);

// tokenizer_config kwargs the bridge uses when saving the tokenizer.
Json hfTokenizerKwargs();

}  // namespace nhb::config
