// HfConfig parsing: every published config.json, both layer-list naming schemes, legacy keys, and
// each bad input with its own error.
#include "bridge/config/hf_config.h"

#include <algorithm>
#include <cmath>

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
using nhb::testing::publishedConfigPath;
using nhb::testing::smallDenseConfig;
using ::testing::HasSubstr;

TEST(HfConfig, Nemotron8BFromItsPublishedConfig) {
  HfConfig c = loadHfConfig(publishedConfigPath("nemotron-h-8b-base-8k"));
  EXPECT_EQ(c.pattern, "M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M-");
  EXPECT_EQ(c.numHiddenLayers, 52);
  EXPECT_EQ(c.hiddenSize, 4096);
  EXPECT_EQ(c.headDim, 128);  // from attention_head_dim (R1 spelling)
  EXPECT_EQ(c.numKeyValueHeads, 8);
  EXPECT_EQ(c.mambaNumHeads, 128);
  EXPECT_EQ(c.nGroups, 8);
  EXPECT_DOUBLE_EQ(c.layerNormEpsilon, 1e-5);
  EXPECT_FALSE(c.hasMoe());
  EXPECT_FALSE(c.hasMtp());
  // Derived (hf-nemotron-h.md §1.2): I = 128*64, conv = I + 2*8*128, in_proj = 2I + 2GN + Hm.
  EXPECT_EQ(c.mambaInnerSize(), 8192);
  EXPECT_EQ(c.mambaConvDim(), 8192 + 2 * 8 * 128);
  EXPECT_EQ(c.mambaInProjSize(), 2 * 8192 + 2 * 8 * 128 + 128);
  // Unknown keys survive verbatim.
  EXPECT_EQ(c.raw["transformers_version"], "4.48.0.dev0");
  EXPECT_EQ(c.raw.begin().key(), "architectures");
}

TEST(HfConfig, Nano9BHeadDimIsNotHiddenOverHeads) {
  HfConfig c = loadHfConfig(publishedConfigPath("nvidia-nemotron-nano-9b-v2"));
  EXPECT_EQ(c.hiddenSize, 4480);
  EXPECT_EQ(c.numAttentionHeads, 40);
  EXPECT_EQ(c.headDim, 128);  // not 4480/40 = 112
  EXPECT_EQ(c.mambaInnerSize(), 128 * 80);
}

TEST(HfConfig, Nano30BMoeFields) {
  HfConfig c = loadHfConfig(publishedConfigPath("nvidia-nemotron-3-nano-30b-a3b-bf16"));
  EXPECT_TRUE(c.hasMoe());
  EXPECT_EQ(c.nRoutedExperts, 128);
  EXPECT_EQ(c.numExpertsPerTok, 6);
  EXPECT_EQ(c.moeIntermediateSize, 1856);
  EXPECT_EQ(c.moeSharedExpertIntermediateSize, 3712);
  EXPECT_DOUBLE_EQ(c.routedScalingFactor, 2.5);
  EXPECT_FALSE(c.moeLatentSize.has_value());
  EXPECT_EQ(c.expertInputSize(), 2688);
}

TEST(HfConfig, SuperLatentMoeAndMtp) {
  HfConfig c = loadHfConfig(publishedConfigPath("nvidia-nemotron-3-super-120b-a12b-bf16"));
  EXPECT_EQ(c.numHiddenLayers, 88);
  ASSERT_TRUE(c.moeLatentSize.has_value());
  EXPECT_EQ(*c.moeLatentSize, 1024);
  EXPECT_EQ(c.expertInputSize(), 1024);
  EXPECT_EQ(c.mtpPattern, "*E");
  EXPECT_EQ(c.numNextnPredictLayers, 1);
  EXPECT_TRUE(c.hasMtp());
  EXPECT_EQ(c.mtpPhysicalLayers(), 2);
  EXPECT_EQ(c.torchDtype, "bfloat16");  // from `dtype`
}

TEST(HfConfig, LightningMtpWithNullLatent) {
  HfConfig c = loadHfConfig(publishedConfigPath("nvidia-nemotron-3.5-lightning-30b-a3b-bf16"));
  EXPECT_TRUE(c.hasMtp());
  EXPECT_EQ(c.mtpPattern, "*E");
  EXPECT_FALSE(c.moeLatentSize.has_value());
}

TEST(HfConfig, EveryPublishedConfigParsesWithTheDocumentedLayerCounts) {
  struct Row { const char* file; int64_t layers, m, attn, mlp, moe; };
  const Row rows[] = {
      {"nemotron-h-4b-base-8k", 52, 24, 4, 24, 0},
      {"nemotron-h-8b-base-8k", 52, 24, 4, 24, 0},
      {"nemotron-h-47b-base-8k", 98, 45, 5, 48, 0},
      {"nemotron-h-56b-base-8k", 118, 54, 10, 54, 0},
      {"nvidia-nemotron-nano-9b-v2", 56, 27, 4, 25, 0},
      {"nvidia-nemotron-nano-12b-v2", 62, 28, 6, 28, 0},
      {"nvidia-nemotron-3-nano-4b-bf16", 42, 21, 4, 17, 0},
      {"nvidia-nemotron-3-nano-30b-a3b-bf16", 52, 23, 6, 0, 23},
      {"nvidia-nemotron-3.5-lightning-30b-a3b-bf16", 52, 23, 6, 0, 23},
      {"nvidia-nemotron-3-super-120b-a12b-bf16", 88, 40, 8, 0, 40},
  };
  for (const Row& row : rows) {
    HfConfig c = loadHfConfig(publishedConfigPath(row.file));
    auto count = [&](char s) { return static_cast<int64_t>(std::count(c.pattern.begin(), c.pattern.end(), s)); };
    EXPECT_EQ(c.numHiddenLayers, row.layers) << row.file;
    EXPECT_EQ(count('M'), row.m) << row.file;
    EXPECT_EQ(count('*'), row.attn) << row.file;
    EXPECT_EQ(count('-'), row.mlp) << row.file;
    EXPECT_EQ(count('E'), row.moe) << row.file;
  }
}

TEST(HfConfig, LayersBlockTypeListInTransformersNaming) {
  Json j = smallDenseConfig();
  j.erase("hybrid_override_pattern");
  j["layers_block_type"] = {"linear_attention", "full_attention", "mlp", "linear_attention"};
  HfConfig c = parseHfConfig(j, "list.json");
  EXPECT_EQ(c.pattern, "M*-M");
}

TEST(HfConfig, LayersBlockTypeListInRemoteCodeNamingWithMtpList) {
  Json j = smallDenseConfig();
  j.erase("hybrid_override_pattern");
  j["layers_block_type"] = {"mamba", "attention", "moe", "mamba"};
  j["n_routed_experts"] = 8;
  j["num_experts_per_tok"] = 2;
  j["moe_intermediate_size"] = 32;
  j["num_nextn_predict_layers"] = 1;
  j["mtp_layers_block_type"] = {"attention", "moe"};
  HfConfig c = parseHfConfig(j, "list.json");
  EXPECT_EQ(c.pattern, "M*EM");
  EXPECT_EQ(c.mtpPattern, "*E");
  EXPECT_TRUE(c.hasMtp());
  EXPECT_TRUE(c.hasMoe());
}

TEST(HfConfig, LayerTypesAlias) {
  Json j = smallDenseConfig();
  j.erase("hybrid_override_pattern");
  j["layer_types"] = {"mamba", "attention", "mlp", "mamba"};
  EXPECT_EQ(parseHfConfig(j, "alias.json").pattern, "M*-M");
}

TEST(HfConfig, LegacyKeysAreAccepted) {
  Json j = smallDenseConfig();
  j.erase("n_groups");
  j.erase("head_dim");
  j["mamba_n_groups"] = 4;
  j["mamba_d_conv"] = 3;
  j["mamba_chunk_size"] = 256;
  j["attention_head_dim"] = 32;
  j["rms_norm_eps"] = 1e-6;
  j["mamba_conv_bias"] = false;
  j["mamba_dt_limit"] = {0.0, 10.0};
  HfConfig c = parseHfConfig(j, "legacy.json");
  EXPECT_EQ(c.nGroups, 4);
  EXPECT_EQ(c.convKernel, 3);
  EXPECT_EQ(c.chunkSize, 256);
  EXPECT_EQ(c.headDim, 32);
  EXPECT_DOUBLE_EQ(c.layerNormEpsilon, 1e-6);
  EXPECT_FALSE(c.useConvBias);
  EXPECT_DOUBLE_EQ(c.timeStepLimitMax, 10.0);
}

TEST(HfConfig, NormEpsAliasAndHeadDimFallback) {
  Json j = smallDenseConfig();
  j.erase("head_dim");
  j["norm_eps"] = 1e-6;
  HfConfig c = parseHfConfig(j, "n.json");
  EXPECT_DOUBLE_EQ(c.layerNormEpsilon, 1e-6);
  EXPECT_EQ(c.headDim, 64 / 4);  // hidden / heads when neither head_dim nor attention_head_dim
}

TEST(HfConfig, InfinityInTimeStepLimitIsUnderstood) {
  std::string text = smallDenseConfig().dump();
  text.insert(1, "\"time_step_limit\": [0.0, Infinity], ");
  HfConfig c = parseHfConfig(parseConfigText(text, "ultra.json"), "ultra.json");
  EXPECT_TRUE(std::isinf(c.timeStepLimitMax));
  EXPECT_THAT(dumpConfigJson(c.raw, -1), HasSubstr("[0.0,Infinity]"));
}

// ---- bad inputs, one test each ----

TEST(HfConfigErrors, MalformedJsonNamesTheFile) {
  testing::TempDir dir;
  testing::writeFile(dir / "config.json", "{\"hidden_size\": 4096,");
  std::string message = badInputMessage([&] { loadHfConfig(dir / "config.json"); });
  EXPECT_THAT(message, HasSubstr("config.json"));
  EXPECT_THAT(message, HasSubstr("malformed JSON"));
}

TEST(HfConfigErrors, MissingFileIsAnIoError) {
  testing::TempDir dir;
  try {
    loadHfConfig(dir / "config.json");
    FAIL() << "expected an error";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::Io);
    EXPECT_THAT(error.what(), HasSubstr("config.json"));
  }
}

TEST(HfConfigErrors, TopLevelMustBeAnObject) {
  EXPECT_THAT(badInputMessage([] { parseHfConfig(Json::array(), "a.json"); }), HasSubstr("JSON object"));
}

TEST(HfConfigErrors, WrongTypeNamesTheField) {
  Json j = smallDenseConfig();
  j["hidden_size"] = "4096";
  std::string message = badInputMessage([&] { parseHfConfig(j, "t.json"); });
  EXPECT_THAT(message, HasSubstr("t.json"));
  EXPECT_THAT(message, HasSubstr("'hidden_size'"));
  EXPECT_THAT(message, HasSubstr("expected an integer"));
}

TEST(HfConfigErrors, UnknownPatternSymbolNamesSymbolAndPosition) {
  Json j = smallDenseConfig();
  j["hybrid_override_pattern"] = "M*XM";
  std::string message = badInputMessage([&] { parseHfConfig(j, "t.json"); });
  EXPECT_THAT(message, HasSubstr("'hybrid_override_pattern'"));
  EXPECT_THAT(message, HasSubstr("'X'"));
  EXPECT_THAT(message, HasSubstr("position 2"));
}

TEST(HfConfigErrors, UnknownBlockTypeNamesEntry) {
  Json j = smallDenseConfig();
  j.erase("hybrid_override_pattern");
  j["layers_block_type"] = {"mamba", "attention", "dense", "mamba"};
  std::string message = badInputMessage([&] { parseHfConfig(j, "t.json"); });
  EXPECT_THAT(message, HasSubstr("'layers_block_type'"));
  EXPECT_THAT(message, HasSubstr("\"dense\" at position 2"));
}

TEST(HfConfigErrors, PatternLengthMustEqualNumHiddenLayers) {
  Json j = smallDenseConfig();
  j["num_hidden_layers"] = 5;
  std::string message = badInputMessage([&] { parseHfConfig(j, "t.json"); });
  EXPECT_THAT(message, HasSubstr("'num_hidden_layers'"));
  EXPECT_THAT(message, HasSubstr("is 5 but the layer pattern has 4 layers"));
}

TEST(HfConfigErrors, NoLayerLayout) {
  Json j = smallDenseConfig();
  j.erase("hybrid_override_pattern");
  EXPECT_THAT(badInputMessage([&] { parseHfConfig(j, "t.json"); }), HasSubstr("no layer layout"));
}

TEST(HfConfigErrors, StringAndListDisagree) {
  Json j = smallDenseConfig();
  j["layers_block_type"] = {"mamba", "mamba", "mlp", "mamba"};
  EXPECT_THAT(badInputMessage([&] { parseHfConfig(j, "t.json"); }), HasSubstr("disagrees"));
}

TEST(HfConfigErrors, MtpDepthWithoutMtpPattern) {
  Json j = smallDenseConfig();
  j["num_nextn_predict_layers"] = 1;
  std::string message = badInputMessage([&] { parseHfConfig(j, "t.json"); });
  EXPECT_THAT(message, HasSubstr("'num_nextn_predict_layers'"));
  EXPECT_THAT(message, HasSubstr("no MTP pattern"));
}

TEST(HfConfigErrors, UnknownSymbolInMtpPattern) {
  Json j = smallDenseConfig();
  j["num_nextn_predict_layers"] = 1;
  j["mtp_hybrid_override_pattern"] = "*Q";
  std::string message = badInputMessage([&] { parseHfConfig(j, "t.json"); });
  EXPECT_THAT(message, HasSubstr("'mtp_hybrid_override_pattern'"));
  EXPECT_THAT(message, HasSubstr("'Q' at position 1"));
}

TEST(HfConfigErrors, NegativeValue) {
  Json j = smallDenseConfig();
  j["num_nextn_predict_layers"] = -1;
  EXPECT_THAT(badInputMessage([&] { parseHfConfig(j, "t.json"); }), HasSubstr("must not be negative"));
}

TEST(HfConfigErrors, ZeroHiddenSize) {
  Json j = smallDenseConfig();
  j["hidden_size"] = 0;
  EXPECT_THAT(badInputMessage([&] { parseHfConfig(j, "t.json"); }), HasSubstr("'hidden_size': must be positive"));
}

TEST(HfConfigErrors, HeadsNotDivisibleByKvHeads) {
  Json j = smallDenseConfig();
  j["num_key_value_heads"] = 3;
  std::string message = badInputMessage([&] { parseHfConfig(j, "t.json"); });
  EXPECT_THAT(message, HasSubstr("'num_key_value_heads'"));
  EXPECT_THAT(message, HasSubstr("not divisible"));
}

TEST(HfConfigErrors, MambaHeadsNotDivisibleByGroups) {
  Json j = smallDenseConfig();
  j["n_groups"] = 3;
  std::string message = badInputMessage([&] { parseHfConfig(j, "t.json"); });
  EXPECT_THAT(message, HasSubstr("'n_groups'"));
  EXPECT_THAT(message, HasSubstr("mamba_num_heads (8) is not divisible by n_groups (3)"));
}

TEST(HfConfigErrors, MoePatternWithoutExperts) {
  Json j = smallDenseConfig();
  j["hybrid_override_pattern"] = "M*EM";
  EXPECT_THAT(badInputMessage([&] { parseHfConfig(j, "t.json"); }), HasSubstr("'n_routed_experts'"));
}

TEST(HfConfigErrors, TopKAboveExpertCount) {
  Json j = smallDenseConfig();
  j["hybrid_override_pattern"] = "M*EM";
  j["n_routed_experts"] = 4;
  j["num_experts_per_tok"] = 6;
  j["moe_intermediate_size"] = 32;
  EXPECT_THAT(badInputMessage([&] { parseHfConfig(j, "t.json"); }), HasSubstr("'num_experts_per_tok'"));
}

TEST(HfConfigErrors, BadTimeStepLimit) {
  Json j = smallDenseConfig();
  j["time_step_limit"] = {0.0};
  EXPECT_THAT(badInputMessage([&] { parseHfConfig(j, "t.json"); }), HasSubstr("'time_step_limit'"));
}

}  // namespace
}  // namespace nhb::config
