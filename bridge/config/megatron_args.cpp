#include "bridge/config/megatron_args.h"

#include <set>

#include "bridge/config/json_read.h"
#include "bridge/config/translate.h"
#include "bridge/core/error.h"

namespace nhb::config {

namespace {

// Provider fields that are not argument names as they stand (translated below) or not arguments.
const std::set<std::string>& translatedFields() {
  static const std::set<std::string> fields = {
      "num_moe_experts", "num_query_groups", "share_embeddings_and_output_weights", "activation_func",
      "should_pad_vocab", "mtp_hybrid_override_pattern"};
  return fields;
}

}  // namespace

Json providerToMegatronArgs(const ProviderConfig& provider, int tensorParallel) {
  Json args = Json::object();
  for (const auto& field : providerFields()) {
    if (!translatedFields().count(field.name)) args[field.name] = field.get(provider);
  }
  args["num_experts"] = provider.num_moe_experts ? Json(*provider.num_moe_experts) : Json(nullptr);
  args["group_query_attention"] = provider.num_query_groups.has_value();
  args["num_query_groups"] = provider.num_query_groups ? Json(*provider.num_query_groups) : Json(nullptr);
  args["untie_embeddings_and_output_weights"] = !provider.share_embeddings_and_output_weights;
  args["squared_relu"] = provider.activation_func == "squared_relu";
  args["swiglu"] = provider.activation_func == "swiglu";
  args["padded_vocab_size"] = provider.paddedVocabSize(tensorParallel);
  args["max_position_embeddings"] = provider.seq_length;
  args["apply_layernorm_1p"] = false;
  args["moe_router_pre_softmax"] = false;
  args["moe_shared_expert_gate"] = false;
  return args;
}

ProviderConfig providerFromMegatronArgs(const Json& args, const std::string& source) {
  if (!args.is_object()) badInput(source + ": expected Megatron args as a JSON object, got " + jsonTypeName(args));
  FieldReader reader(args, source);
  ProviderConfig provider;
  provider.num_layers = 0;  // re-derived from the pattern by finalize
  for (const auto& field : providerFields()) {
    if (translatedFields().count(field.name) || field.name == "num_layers") continue;
    if (!reader.hasKey(field.name)) continue;
    const Json& value = args.at(field.name);
    if (value.is_null() && !field.get(provider).is_null()) continue;  // None: keep a non-optional default
    field.set(provider, value, source + ": args");
  }
  if (auto layers = reader.optInt("num_layers")) provider.num_layers = *layers;

  // Older spellings.
  if (!reader.has("layernorm_epsilon") && reader.has("norm_epsilon")) {
    provider.layernorm_epsilon = *reader.optDouble("norm_epsilon");
  }
  if (!reader.has("add_bias_linear") && reader.has("disable_bias_linear")) {
    provider.add_bias_linear = !*reader.optBool("disable_bias_linear");
  }
  if (!reader.has("hybrid_layer_pattern") && reader.has("hybrid_override_pattern")) {
    provider.hybrid_layer_pattern = *reader.optString("hybrid_override_pattern");
  }
  if (reader.has("mtp_hybrid_override_pattern")) {
    provider.mtp_hybrid_override_pattern = *reader.optString("mtp_hybrid_override_pattern");
    if (provider.hybrid_layer_pattern.find('/') != std::string::npos) provider.mtp_hybrid_override_pattern.reset();
  }
  if (!reader.has("seq_length") && reader.has("max_position_embeddings")) {
    provider.seq_length = *reader.optInt("max_position_embeddings");
  }

  // Translated arguments.
  provider.num_moe_experts = reader.optInt("num_experts");
  if (reader.getBool("group_query_attention", reader.has("num_query_groups"))) {
    provider.num_query_groups = reader.optInt("num_query_groups");
  } else {
    provider.num_query_groups.reset();  // Megatron: num_query_groups = None without GQA
  }
  if (auto untie = reader.optBool("untie_embeddings_and_output_weights")) {
    provider.share_embeddings_and_output_weights = !*untie;
  }
  if (reader.getBool("swiglu", false)) {
    provider.activation_func = "swiglu";
    provider.gated_linear_unit = true;
  } else if (reader.getBool("squared_relu", true)) {
    provider.activation_func = "squared_relu";
  } else {
    badInput(source + ": args: neither squared_relu nor swiglu is set; Nemotron-H uses squared_relu");
  }
  const std::optional<int64_t> vocab = reader.optInt("vocab_size");
  const std::optional<int64_t> padded = reader.optInt("padded_vocab_size");
  if (!vocab && !padded) badInput(source + ": args: neither vocab_size nor padded_vocab_size is set");
  provider.vocab_size = vocab ? *vocab : *padded;
  provider.should_pad_vocab = vocab && padded && *padded != *vocab;

  if (provider.hybrid_layer_pattern.empty()) {
    badInput(source + ": args: no layer pattern (hybrid_layer_pattern or hybrid_override_pattern)");
  }
  finalizeProvider(provider, source + ": args");
  return provider;
}

}  // namespace nhb::config
