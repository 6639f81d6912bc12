// HF <-> Megatron config translation against megatron-bridge-conversion.md §1 (values checked by
// hand against the reference tables in §1.8).
#include "bridge/config/translate.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bridge/config/json_read.h"
#include "bridge/core/error.h"
#include "support/config_files.h"
#include "support/error_messages.h"
#include "support/test_support.h"

namespace nhb::config {
namespace {

using nhb::testing::badInputMessage;
using nhb::testing::kPublishedConfigs;
using nhb::testing::loadPublishedConfig;
using ::testing::EndsWith;
using ::testing::HasSubstr;

// The small dense config with a torch_dtype (its last key), which translation carries.
Json smallDense() {
  Json j = testing::smallDenseConfig();
  j["torch_dtype"] = "bfloat16";
  return j;
}

// ---- HF -> Megatron ----

TEST(HfToProvider, Nemotron8B) {
  ProviderConfig p = hfToProvider(loadPublishedConfig("nemotron-h-8b-base-8k"));
  EXPECT_EQ(p.num_layers, 52);
  EXPECT_EQ(p.hidden_size, 4096);
  EXPECT_EQ(p.ffn_hidden_size, 21504);
  EXPECT_EQ(p.num_attention_heads, 32);
  EXPECT_EQ(p.num_query_groups, 8);
  EXPECT_EQ(p.kv_channels, 128);  // from attention_head_dim via the Nemotron-H override
  EXPECT_EQ(p.mamba_num_heads, 128);
  EXPECT_EQ(p.mamba_head_dim, 64);
  EXPECT_EQ(p.mamba_num_groups, 8);
  EXPECT_EQ(p.mamba_state_dim, 128);
  EXPECT_EQ(p.mamba_chunk_size, 128);
  EXPECT_EQ(p.vocab_size, 131072);
  EXPECT_EQ(p.make_vocab_size_divisible_by, 128);
  EXPECT_FALSE(p.should_pad_vocab);
  EXPECT_EQ(p.seq_length, 8192);
  EXPECT_DOUBLE_EQ(p.layernorm_epsilon, 1e-5);
  EXPECT_DOUBLE_EQ(p.init_method_std, 0.02);
  EXPECT_FALSE(p.share_embeddings_and_output_weights);
  EXPECT_FALSE(p.add_bias_linear);
  EXPECT_FALSE(p.add_qkv_bias);
  EXPECT_EQ(p.params_dtype, "bfloat16");
  EXPECT_TRUE(p.bf16);
  EXPECT_FALSE(p.fp16);
  EXPECT_EQ(p.hybrid_layer_pattern, "M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M-");
  EXPECT_EQ(p.mtp_num_layers, 0);
  EXPECT_FALSE(p.mtp_hybrid_override_pattern.has_value());
  EXPECT_FALSE(p.mtp_use_repeated_layer);
  EXPECT_FALSE(p.num_moe_experts.has_value());
  // §1.3 fixed overrides
  EXPECT_EQ(p.position_embedding_type, "none");
  EXPECT_EQ(p.activation_func, "squared_relu");
  EXPECT_TRUE(p.masked_softmax_fusion);
  EXPECT_FALSE(p.apply_query_key_layer_scaling);
  EXPECT_TRUE(p.persist_layer_norm);
  EXPECT_FALSE(p.attention_softmax_in_fp32);
  EXPECT_TRUE(p.first_last_layers_bf16);
  EXPECT_TRUE(p.is_hybrid_model);
  EXPECT_DOUBLE_EQ(p.moe_aux_loss_coeff, 1e-4);
  EXPECT_EQ(p.moe_router_score_function, "sigmoid");
  EXPECT_TRUE(p.moe_router_enable_expert_bias);
  EXPECT_EQ(p.moe_router_load_balancing_type, "seq_aux_loss");
  EXPECT_EQ(p.moe_router_dtype, "fp32");
  EXPECT_TRUE(p.moe_grouped_gemm);
  EXPECT_EQ(p.moe_token_dispatcher_type, "alltoall");
  EXPECT_TRUE(p.moe_permute_fusion);
  EXPECT_TRUE(p.moe_shared_expert_overlap);
}

TEST(HfToProvider, Nemotron4BHeadDimIsNotHiddenOverHeads) {
  ProviderConfig p = hfToProvider(loadPublishedConfig("nemotron-h-4b-base-8k"));
  EXPECT_EQ(p.hidden_size, 3072);
  EXPECT_EQ(p.kv_channels, 128);  // 3072/32 would be 96
  EXPECT_EQ(p.mamba_num_heads, 112);
  EXPECT_EQ(p.ffn_hidden_size, 12288);
}

TEST(HfToProvider, Nemotron47BAnd56BStateDim) {
  EXPECT_EQ(hfToProvider(loadPublishedConfig("nemotron-h-47b-base-8k")).mamba_state_dim, 256);
  ProviderConfig p = hfToProvider(loadPublishedConfig("nemotron-h-56b-base-8k"));
  EXPECT_EQ(p.mamba_state_dim, 256);
  EXPECT_EQ(p.num_layers, 118);
  EXPECT_EQ(p.ffn_hidden_size, 32768);
  EXPECT_EQ(p.num_attention_heads, 64);
}

TEST(HfToProvider, NanoV2) {
  ProviderConfig p = hfToProvider(loadPublishedConfig("nvidia-nemotron-nano-9b-v2"));
  EXPECT_EQ(p.hidden_size, 4480);
  EXPECT_EQ(p.ffn_hidden_size, 15680);
  EXPECT_EQ(p.num_attention_heads, 40);
  EXPECT_EQ(p.kv_channels, 128);
  EXPECT_EQ(p.mamba_head_dim, 80);
  EXPECT_EQ(p.seq_length, 131072);
}

TEST(HfToProvider, Nano4BChunkSize) {
  ProviderConfig p = hfToProvider(loadPublishedConfig("nvidia-nemotron-3-nano-4b-bf16"));
  EXPECT_EQ(p.mamba_chunk_size, 256);
  EXPECT_EQ(p.num_layers, 42);
  EXPECT_EQ(p.mamba_num_heads, 96);
}

TEST(HfToProvider, Nano30BMoe) {
  ProviderConfig p = hfToProvider(loadPublishedConfig("nvidia-nemotron-3-nano-30b-a3b-bf16"));
  EXPECT_EQ(p.num_moe_experts, 128);
  EXPECT_EQ(p.moe_router_topk, 6);
  EXPECT_EQ(p.moe_ffn_hidden_size, 1856);
  EXPECT_EQ(p.moe_shared_expert_intermediate_size, 3712);
  ASSERT_TRUE(p.moe_router_topk_scaling_factor.has_value());
  EXPECT_DOUBLE_EQ(*p.moe_router_topk_scaling_factor, 2.5);
  EXPECT_EQ(p.moe_router_num_groups, 1);
  EXPECT_EQ(p.moe_router_group_topk, 1);
  EXPECT_FALSE(p.moe_latent_size.has_value());
  EXPECT_EQ(p.num_query_groups, 2);
  EXPECT_EQ(p.hidden_size, 2688);
  EXPECT_EQ(p.mamba_num_heads, 64);
  EXPECT_EQ(p.ffn_hidden_size, 1856);
  EXPECT_EQ(p.mtp_num_layers, 0);
  EXPECT_DOUBLE_EQ(p.rotary_base, 10000.0);  // rope_theta is read although there is no RoPE
}

TEST(HfToProvider, SuperLatentMoeAndMtp) {
  ProviderConfig p = hfToProvider(loadPublishedConfig("nvidia-nemotron-3-super-120b-a12b-bf16"));
  EXPECT_EQ(p.moe_latent_size, 1024);
  EXPECT_EQ(p.num_moe_experts, 512);
  EXPECT_EQ(p.moe_router_topk, 22);
  EXPECT_EQ(p.moe_ffn_hidden_size, 2688);
  EXPECT_EQ(p.moe_shared_expert_intermediate_size, 5376);
  EXPECT_DOUBLE_EQ(*p.moe_router_topk_scaling_factor, 5.0);
  EXPECT_EQ(p.mtp_hybrid_override_pattern, "*E");
  EXPECT_EQ(p.mtp_num_layers, 1);
  EXPECT_TRUE(p.mtp_use_repeated_layer);
  EXPECT_TRUE(p.keep_mtp_spec_in_bf16);
  EXPECT_DOUBLE_EQ(p.mtp_loss_scaling_factor, 0.3);
  EXPECT_FALSE(p.moe_shared_expert_overlap);  // HF value wins over the default True
  EXPECT_EQ(p.num_layers, 88);
  EXPECT_THAT(p.hybrid_layer_pattern, EndsWith("/*E"));
  EXPECT_EQ(p.hybrid_layer_pattern.size(), 88u + 3u);
  EXPECT_EQ(p.params_dtype, "bfloat16");  // read from `dtype`
  EXPECT_EQ(p.pattern().mtpDepths, 1);
}

TEST(HfToProvider, LightningMtp) {
  ProviderConfig p = hfToProvider(loadPublishedConfig("nvidia-nemotron-3.5-lightning-30b-a3b-bf16"));
  EXPECT_EQ(p.mtp_num_layers, 1);
  EXPECT_EQ(p.mtp_hybrid_override_pattern, "*E");
  EXPECT_THAT(p.hybrid_layer_pattern, EndsWith("EME/*E"));
  EXPECT_EQ(p.num_layers, 52);
  EXPECT_FALSE(p.moe_latent_size.has_value());
}

TEST(HfToProvider, RepeatedMtpKeepsTheUserDepthWithOneCopyPerDepth) {
  Json j = smallDense();
  j["hybrid_override_pattern"] = "M*EM";
  j["n_routed_experts"] = 8;
  j["num_experts_per_tok"] = 2;
  j["moe_intermediate_size"] = 32;
  j["num_nextn_predict_layers"] = 2;
  j["mtp_hybrid_override_pattern"] = "*E";
  ProviderConfig repeated = hfToProvider(parseHfConfig(j, "t.json"));
  EXPECT_EQ(repeated.hybrid_layer_pattern, "M*EM/*E/*E");  // copies = max(1, 2)
  EXPECT_EQ(repeated.mtp_num_layers, 2);
  j["mtp_use_repeated_layer"] = false;
  j["keep_mtp_spec_in_bf16"] = false;
  j["mtp_loss_scaling_factor"] = 0.5;
  ProviderConfig distinct = hfToProvider(parseHfConfig(j, "t.json"));
  EXPECT_EQ(distinct.hybrid_layer_pattern, "M*EM/*E/*E");
  EXPECT_FALSE(distinct.mtp_use_repeated_layer);
  EXPECT_FALSE(distinct.keep_mtp_spec_in_bf16);
  EXPECT_DOUBLE_EQ(distinct.mtp_loss_scaling_factor, 0.5);
}

TEST(HfToProvider, MtpPatternWithoutDepthIsDisabled) {
  Json j = smallDense();
  j["mtp_hybrid_override_pattern"] = "*-";
  ProviderConfig p = hfToProvider(parseHfConfig(j, "t.json"));
  EXPECT_EQ(p.hybrid_layer_pattern, "M*-M");
  EXPECT_EQ(p.mtp_num_layers, 0);
  EXPECT_FALSE(p.mtp_hybrid_override_pattern.has_value());
}

TEST(HfToProvider, RmsNormEpsWinsOverLayerNormEpsilon) {
  Json j = smallDense();
  j["layer_norm_epsilon"] = 1e-5;
  j["rms_norm_eps"] = 1e-6;
  EXPECT_DOUBLE_EQ(hfToProvider(parseHfConfig(j, "t.json")).layernorm_epsilon, 1e-6);
}

TEST(HfToProvider, MlpBiasAttributeShadowsUseBias) {
  // mlp_bias (entry 15) is an attribute of every NemotronHConfig (default False), so use_bias
  // (entry 33) never reaches add_bias_linear.
  Json j = smallDense();
  j["use_bias"] = true;
  EXPECT_FALSE(hfToProvider(parseHfConfig(j, "t.json")).add_bias_linear);
  j["mlp_bias"] = true;
  EXPECT_TRUE(hfToProvider(parseHfConfig(j, "t.json")).add_bias_linear);
}

TEST(HfToProvider, MakeVocabSizeDivisibleByIsLargestPowerOfTwoUpTo128) {
  auto divisor = [](int64_t vocab) {
    Json j = smallDense();
    j["vocab_size"] = vocab;
    return hfToProvider(parseHfConfig(j, "t.json")).make_vocab_size_divisible_by;
  };
  EXPECT_EQ(divisor(131072), 128);
  EXPECT_EQ(divisor(256), 128);
  EXPECT_EQ(divisor(1000), 8);   // 1000 = 8 * 125
  EXPECT_EQ(divisor(100), 4);
  EXPECT_EQ(divisor(7), 1);
}

TEST(HfToProvider, DtypeDefaultsToFloat32AndReadsFloat16) {
  Json j = smallDense();
  j.erase("torch_dtype");
  ProviderConfig p = hfToProvider(parseHfConfig(j, "t.json"));
  EXPECT_EQ(p.params_dtype, "float32");
  EXPECT_FALSE(p.bf16);
  EXPECT_FALSE(p.fp16);
  j["torch_dtype"] = "float16";
  p = hfToProvider(parseHfConfig(j, "t.json"));
  EXPECT_TRUE(p.fp16);
  EXPECT_FALSE(p.bf16);
}

TEST(HfToProvider, UnsupportedDtypeIsNamed) {
  Json j = smallDense();
  j["torch_dtype"] = "float8_e4m3fn";
  try {
    hfToProvider(parseHfConfig(j, "t.json"));
    FAIL();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::Unsupported);
    EXPECT_THAT(error.what(), HasSubstr("float8_e4m3fn"));
  }
}

TEST(HfToProvider, PipelineSeparatorsOnRequest) {
  ToProviderOptions options;
  options.pipelineParallel = 2;
  ProviderConfig p = hfToProvider(loadPublishedConfig("nvidia-nemotron-3.5-lightning-30b-a3b-bf16"), options);
  HybridPattern pattern = p.pattern();
  ASSERT_EQ(pattern.segments.size(), 2u);
  EXPECT_EQ(pattern.segments[0].size(), 26u);
  EXPECT_EQ(pattern.mtp, "*E");
  EXPECT_EQ(p.num_layers, 52);
  options.pipelineParallel = 3;  // 52 layers do not divide by 3
  EXPECT_THAT(badInputMessage([&] { hfToProvider(loadPublishedConfig("nemotron-h-8b-base-8k"), options); }),
              HasSubstr("do not split evenly"));
}

TEST(HfToProvider, MtpDepthWithoutPatternIsRejectedWithTheBridgeMessage) {
  HfConfig hf = parseHfConfig(smallDense(), "t.json");
  hf.numNextnPredictLayers = 1;  // bypasses the parser's own check
  EXPECT_THAT(badInputMessage([&] { hfToProvider(hf); }), HasSubstr("t.json: num_nextn_predict_layers = 1 but the config does not define mtp_hybrid_override_pattern"));
}

TEST(FinalizeProvider, NumLayersMustMatchPattern) {
  ProviderConfig p;
  p.hybrid_layer_pattern = "MEME";
  p.num_layers = 5;
  EXPECT_THAT(badInputMessage([&] { finalizeProvider(p, "m.json"); }), HasSubstr("num_layers is 5"));
}

TEST(FinalizeProvider, ChunkSizeMustBePositive) {
  ProviderConfig p;
  p.hybrid_layer_pattern = "MEME";
  p.mamba_chunk_size = 0;
  EXPECT_THAT(badInputMessage([&] { finalizeProvider(p, "m.json"); }), HasSubstr("mamba_chunk_size"));
}

TEST(FinalizeProvider, IsIdempotentAndTakesDepthFromUnifiedPattern) {
  ProviderConfig p;
  p.hybrid_layer_pattern = "ME|ME/*E/*E";
  finalizeProvider(p, "m.json");
  EXPECT_EQ(p.num_layers, 4);
  EXPECT_EQ(p.mtp_num_layers, 2);
  EXPECT_EQ(p.mtp_hybrid_override_pattern, "*E");
  ProviderConfig again = p;
  finalizeProvider(again, "m.json");
  EXPECT_EQ(again, p);
}

// ---- Megatron -> HF (§1.7) ----

ProviderConfig providerWithPattern(const std::string& pattern, int64_t mtpLayers, bool repeated) {
  ProviderConfig p;
  p.hidden_size = 64;
  p.vocab_size = 256;
  p.hybrid_layer_pattern = pattern;
  p.mtp_num_layers = mtpLayers;
  p.mtp_use_repeated_layer = repeated;
  return p;
}

TEST(ProviderToHf, PipelineBarsAreStrippedAndMtpSplit) {
  Json hf = providerToHfJson(providerWithPattern("ME|ME/*E", 1, false));
  EXPECT_EQ(hf["hybrid_override_pattern"], "MEME");
  EXPECT_EQ(hf["mtp_hybrid_override_pattern"], "*E");
  EXPECT_EQ(hf["num_nextn_predict_layers"], 1);
}

TEST(ProviderToHf, DistinctMtpDepthsAreAllExported) {
  Json hf = providerToHfJson(providerWithPattern("MEME/*E/*E", 2, false));
  EXPECT_EQ(hf["hybrid_override_pattern"], "MEME");
  EXPECT_EQ(hf["mtp_hybrid_override_pattern"], "*E");
  EXPECT_EQ(hf["num_nextn_predict_layers"], 2);
}

TEST(ProviderToHf, RepeatedLayerMtpExportsOnePhysicalDepth) {
  // Megatron-Bridge #5946: mtp_num_layers=2 with a repeated layer is one HF MTP block.
  Json hf = providerToHfJson(providerWithPattern("MEME/*E/*E", 2, true));
  EXPECT_EQ(hf["mtp_hybrid_override_pattern"], "*E");
  EXPECT_EQ(hf["num_nextn_predict_layers"], 1);
}

TEST(ProviderToHf, NoMtpExportsZeroDepth) {
  Json hf = providerToHfJson(providerWithPattern("MEME", 0, false));
  EXPECT_EQ(hf["num_nextn_predict_layers"], 0);
  EXPECT_FALSE(hf.contains("mtp_hybrid_override_pattern"));
}

TEST(ProviderToHf, UnknownSymbolIsRejected) {
  EXPECT_THAT(badInputMessage([] { providerToHfJson(providerWithPattern("MXME", 0, false)); }),
              HasSubstr("unknown layer symbol 'X' at position 1"));
}

TEST(ProviderToHf, MismatchedMtpPartsAreRejected) {
  EXPECT_THAT(badInputMessage([] { providerToHfJson(providerWithPattern("MEME/*E/*-", 2, false)); }),
              HasSubstr("must be identical"));
}

TEST(ProviderToHf, BaseFieldsAliasesAndFixedKeys) {
  ProviderConfig p = hfToProvider(loadPublishedConfig("nvidia-nemotron-3-nano-30b-a3b-bf16"));
  Json hf = providerToHfJson(p);
  // every CONFIG_MAPPING alias is written
  EXPECT_EQ(hf["num_experts"], 128);
  EXPECT_EQ(hf["num_local_experts"], 128);
  EXPECT_EQ(hf["n_routed_experts"], 128);
  EXPECT_EQ(hf["rms_norm_eps"], 1e-5);
  EXPECT_EQ(hf["layer_norm_epsilon"], 1e-5);
  EXPECT_EQ(hf["mlp_bias"], false);
  EXPECT_EQ(hf["use_bias"], false);
  EXPECT_EQ(hf["max_position_embeddings"], 262144);
  EXPECT_EQ(hf["hidden_act"], "relu2");
  EXPECT_EQ(hf["torch_dtype"], "bfloat16");
  EXPECT_EQ(hf["architectures"], Json::array({"NemotronHForCausalLM"}));
  EXPECT_EQ(hf["model_type"], "nemotron_h");
  EXPECT_EQ(hf["auto_map"].size(), 3u);
  EXPECT_EQ(hf["auto_map"]["AutoModel"], "modeling_nemotron_h.NemotronHForCausalLM");
  EXPECT_EQ(hf["scoring_func"], "sigmoid");
  EXPECT_EQ(hf["routed_scaling_factor"], 2.5);
  // keys come out sorted, as transformers writes them
  EXPECT_EQ(hf.begin().key(), "architectures");
}

TEST(ProviderToHf, NullRouterGroupsBecomeOne) {
  Json hf = providerToHfJson(providerWithPattern("M*-M", 0, false));
  EXPECT_EQ(hf["n_group"], 1);
  EXPECT_EQ(hf["topk_group"], 1);
  EXPECT_TRUE(hf["num_experts"].is_null());
}

TEST(ProviderToHf, TokenizerKwargs) {
  EXPECT_EQ(hfTokenizerKwargs(), Json({{"use_fast", true}}));
}

// ---- round trips ----

TEST(RoundTrip, WithReferenceEveryPublishedConfigComesBackExactly) {
  for (const char* name : kPublishedConfigs) {
    HfConfig hf = loadPublishedConfig(name);
    Json back = providerToHfJson(hfToProvider(hf), hf.raw);
    EXPECT_EQ(back, hf.raw) << name << "\n" << back.dump(1);
    // key order and number form too
    EXPECT_EQ(back.dump(), hf.raw.dump()) << name;
  }
}

TEST(RoundTrip, WithReferenceMegatronChangesAreCarried) {
  HfConfig hf = loadPublishedConfig("nemotron-h-8b-base-8k");
  ProviderConfig p = hfToProvider(hf);
  p.seq_length = 2048;
  p.kv_channels = 64;
  Json back = providerToHfJson(p, hf.raw);
  EXPECT_EQ(back["max_position_embeddings"], 2048);
  EXPECT_EQ(back["attention_head_dim"], 64);  // reference spelling kept
  EXPECT_FALSE(back.contains("head_dim"));
}

TEST(RoundTrip, ListFormConfigStaysAList) {
  HfConfig original = loadPublishedConfig("nvidia-nemotron-3.5-lightning-30b-a3b-bf16");
  Json j = original.raw;
  Json list = Json::array(), mtpList = Json::array();
  for (char c : j["hybrid_override_pattern"].get<std::string>()) list.push_back(blockTypeName(c, BlockTypeScheme::MambaAttention));
  for (char c : std::string("*E")) mtpList.push_back(blockTypeName(c, BlockTypeScheme::MambaAttention));
  j.erase("hybrid_override_pattern");
  j.erase("mtp_hybrid_override_pattern");
  j["layers_block_type"] = list;
  j["mtp_layers_block_type"] = mtpList;
  HfConfig hf = parseHfConfig(j, "lightning-list.json");
  ProviderConfig p = hfToProvider(hf);
  EXPECT_EQ(p.hybrid_layer_pattern, original.pattern + "/*E");
  Json back = providerToHfJson(p, hf.raw);
  EXPECT_EQ(back, hf.raw);
  EXPECT_FALSE(back.contains("hybrid_override_pattern"));
  EXPECT_EQ(back["mtp_layers_block_type"], Json::array({"attention", "moe"}));
}

TEST(RoundTrip, TransformersNamingListStaysInItsScheme) {
  Json j = smallDense();
  j.erase("hybrid_override_pattern");
  j["layers_block_type"] = {"linear_attention", "full_attention", "mlp", "linear_attention"};
  HfConfig hf = parseHfConfig(j, "t2.json");
  Json back = providerToHfJson(hfToProvider(hf), hf.raw);
  EXPECT_EQ(back, hf.raw);
}

TEST(RoundTrip, WithoutReferenceTheModelFieldsSurvive) {
  for (const char* name : kPublishedConfigs) {
    HfConfig hf = loadPublishedConfig(name);
    HfConfig back = parseHfConfig(providerToHfJson(hfToProvider(hf)), "exported");
    EXPECT_EQ(back.pattern, hf.pattern) << name;
    EXPECT_EQ(back.mtpPattern, hf.hasMtp() ? hf.mtpPattern : "") << name;
    EXPECT_EQ(back.numNextnPredictLayers, hf.numNextnPredictLayers) << name;
    EXPECT_EQ(back.hiddenSize, hf.hiddenSize) << name;
    EXPECT_EQ(back.headDim, hf.headDim) << name;
    EXPECT_EQ(back.numKeyValueHeads, hf.numKeyValueHeads) << name;
    EXPECT_EQ(back.mambaNumHeads, hf.mambaNumHeads) << name;
    EXPECT_EQ(back.nGroups, hf.nGroups) << name;
    EXPECT_EQ(back.ssmStateSize, hf.ssmStateSize) << name;
    EXPECT_EQ(back.chunkSize, hf.chunkSize) << name;
    EXPECT_EQ(back.nRoutedExperts, hf.nRoutedExperts) << name;
    EXPECT_EQ(back.moeLatentSize, hf.moeLatentSize) << name;
    EXPECT_DOUBLE_EQ(back.routedScalingFactor, hf.routedScalingFactor) << name;
    EXPECT_EQ(back.torchDtype, hf.torchDtype) << name;
  }
}

}  // namespace
}  // namespace nhb::config
