// ProviderConfig <-> the `args` namespace Megatron-LM stores in its checkpoints
// (megatron-core-hybrid.md §5.3). Argument dest names equal TransformerConfig field names except
// for the few translated here: num_experts, group_query_attention, untie_embeddings_and_output_weights,
// squared_relu / swiglu, padded_vocab_size, max_position_embeddings. Older spellings
// (norm_epsilon, disable_bias_linear, hybrid_override_pattern, legacy MTP pattern) are accepted on read.
#pragma once

#include <string>

#include "bridge/config/provider_config.h"

namespace nhb::config {

// Flat JSON object keyed by Megatron argument names. padded_vocab_size is computed for tensor
// parallel size `tensorParallel`. params_dtype is a torch dtype name without "torch." (the pickle
// writer turns it into a torch.dtype).
Json providerToMegatronArgs(const ProviderConfig& provider, int tensorParallel = 1);

// Reads the model fields out of a checkpoint's args (unknown training args are ignored) and
// finalizes the result. BadInput naming `source` and the argument on wrong types or a missing
// layer pattern.
ProviderConfig providerFromMegatronArgs(const Json& args, const std::string& source);

}  // namespace nhb::config
