// ProviderConfig <-> megatron_config.json and <-> Megatron checkpoint `args`.
#include "bridge/config/provider_config.h"

#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bridge/config/json_read.h"
#include "bridge/config/megatron_args.h"
#include "bridge/config/translate.h"
#include "bridge/core/error.h"
#include "support/config_files.h"
#include "support/error_messages.h"
#include "support/test_support.h"

namespace nhb::config {
namespace {

using nhb::testing::badInputMessage;
using nhb::testing::kPublishedConfigs;
using ::testing::HasSubstr;

ProviderConfig providerFor(const std::string& name) {
  return hfToProvider(testing::loadPublishedConfig(name));
}

TEST(ProviderFields, TableCoversEveryMappingTargetOnce) {
  std::set<std::string> names;
  for (const auto& f : providerFields()) EXPECT_TRUE(names.insert(f.name).second) << f.name;
  for (const auto& [hf, megatron] : configMapping()) EXPECT_NE(findProviderField(megatron), nullptr) << megatron;
  EXPECT_EQ(findProviderField("no_such_field"), nullptr);
}

TEST(ProviderJson, IsAFlatObjectKeyedByMegatronNames) {
  Json j = providerToJson(providerFor("nvidia-nemotron-3-super-120b-a12b-bf16"));
  EXPECT_EQ(j.begin().key(), "num_layers");
  EXPECT_EQ(j["num_layers"], 88);
  EXPECT_EQ(j["moe_latent_size"], 1024);
  EXPECT_EQ(j["num_moe_experts"], 512);
  EXPECT_EQ(j["mtp_hybrid_override_pattern"], "*E");
  EXPECT_TRUE(j["hybrid_layer_pattern"].get<std::string>().find("/*E") != std::string::npos);
  EXPECT_EQ(j["activation_func"], "squared_relu");
  Json dense = providerToJson(providerFor("nemotron-h-8b-base-8k"));
  EXPECT_TRUE(dense["num_moe_experts"].is_null());
}

TEST(ProviderJson, RoundTripsEveryPublishedConfig) {
  for (const char* name : kPublishedConfigs) {
    ProviderConfig p = providerFor(name);
    ProviderConfig back = providerFromJson(parseConfigText(providerToJson(p).dump(2), "m.json"), "m.json");
    EXPECT_EQ(back, p) << name;
  }
}

TEST(ProviderJson, FileRoundTripWritesAtomically) {
  testing::TempDir dir;
  ProviderConfig p = providerFor("nvidia-nemotron-3.5-lightning-30b-a3b-bf16");
  saveProviderConfig(p, dir / "megatron_config.json");
  EXPECT_FALSE(std::filesystem::exists(dir / "megatron_config.json.tmp"));
  EXPECT_EQ(loadProviderConfig(dir / "megatron_config.json"), p);
}

TEST(ProviderJson, UnknownKeysAreKeptInExtra) {
  Json j = providerToJson(providerFor("nemotron-h-8b-base-8k"));
  j["recipe_note"] = "sft";
  ProviderConfig p = providerFromJson(j, "m.json");
  EXPECT_EQ(p.extra["recipe_note"], "sft");
  EXPECT_EQ(providerToJson(p)["recipe_note"], "sft");
}

TEST(ProviderJson, MissingFieldsKeepDefaults) {
  ProviderConfig p = providerFromJson(Json{{"hybrid_layer_pattern", "M*"}, {"hidden_size", 64}}, "m.json");
  EXPECT_EQ(p.hidden_size, 64);
  EXPECT_EQ(p.mamba_num_groups, 8);
  EXPECT_EQ(p.make_vocab_size_divisible_by, 128);
}

TEST(ProviderJsonErrors, WrongTypeNamesFileAndField) {
  std::string message = badInputMessage([] { providerFromJson(Json{{"hidden_size", "big"}}, "m.json"); });
  EXPECT_THAT(message, HasSubstr("m.json"));
  EXPECT_THAT(message, HasSubstr("'hidden_size'"));
}

TEST(ProviderJsonErrors, BadPatternNamesTheField) {
  std::string message = badInputMessage([] { providerFromJson(Json{{"hybrid_layer_pattern", "M?"}}, "m.json"); });
  EXPECT_THAT(message, HasSubstr("'hybrid_layer_pattern'"));
  EXPECT_THAT(message, HasSubstr("'?' at position 1"));
}

TEST(ProviderJsonErrors, NotAnObject) {
  EXPECT_THAT(badInputMessage([] { providerFromJson(Json::array(), "m.json"); }), HasSubstr("JSON object"));
}

TEST(ProviderDerived, HeadDimMambaHeadsAndPaddedVocab) {
  ProviderConfig p;
  p.hidden_size = 4096;
  p.num_attention_heads = 32;
  EXPECT_EQ(p.headDim(), 128);
  p.kv_channels = 64;
  EXPECT_EQ(p.headDim(), 64);
  EXPECT_EQ(p.mambaHeads(), 2 * 4096 / 64);
  p.vocab_size = 131000;
  EXPECT_EQ(p.paddedVocabSize(4), 131000);  // should_pad_vocab=False keeps it
  p.should_pad_vocab = true;
  EXPECT_EQ(p.paddedVocabSize(1), 131072);  // next multiple of 128
  EXPECT_EQ(p.paddedVocabSize(4), 131072);  // multiple of 512: 256*512 = 131072
  p.vocab_size = 131073;
  EXPECT_EQ(p.paddedVocabSize(4), 131584);  // 257*512
}

TEST(MegatronArgs, NamesAndValuesFollowTheArgsConventions) {
  ProviderConfig p = providerFor("nvidia-nemotron-3-nano-30b-a3b-bf16");
  Json args = providerToMegatronArgs(p);
  EXPECT_EQ(args["num_experts"], 128);
  EXPECT_FALSE(args.contains("num_moe_experts"));
  EXPECT_EQ(args["group_query_attention"], true);
  EXPECT_EQ(args["num_query_groups"], 2);
  EXPECT_EQ(args["untie_embeddings_and_output_weights"], true);
  EXPECT_EQ(args["squared_relu"], true);
  EXPECT_EQ(args["swiglu"], false);
  EXPECT_EQ(args["padded_vocab_size"], 131072);
  EXPECT_EQ(args["layernorm_epsilon"], 1e-5);
  EXPECT_EQ(args["add_bias_linear"], false);
  EXPECT_EQ(args["mamba_num_heads"], 64);
  EXPECT_EQ(args["hybrid_layer_pattern"], p.hybrid_layer_pattern);
  EXPECT_EQ(args["moe_router_topk_scaling_factor"], 2.5);
  EXPECT_EQ(args["moe_router_score_function"], "sigmoid");
  EXPECT_EQ(args["moe_router_pre_softmax"], false);
  EXPECT_EQ(args["moe_shared_expert_gate"], false);
  EXPECT_EQ(args["normalization"], "RMSNorm");
  EXPECT_EQ(args["position_embedding_type"], "none");
  EXPECT_EQ(args["max_position_embeddings"], p.seq_length);
}

TEST(MegatronArgs, RoundTripsEveryPublishedConfig) {
  for (const char* name : kPublishedConfigs) {
    ProviderConfig p = providerFor(name);
    EXPECT_EQ(providerFromMegatronArgs(providerToMegatronArgs(p), "args"), p) << name;
  }
}

TEST(MegatronArgs, OlderSpellingsAreAccepted) {
  Json args = {{"hybrid_override_pattern", "M*EM"},
               {"mtp_hybrid_override_pattern", "*E"},
               {"mtp_num_layers", 1},
               {"norm_epsilon", 1e-6},
               {"disable_bias_linear", true},
               {"padded_vocab_size", 256},
               {"hidden_size", 64},
               {"num_layers", 4},
               {"group_query_attention", false},
               {"num_query_groups", 1}};
  ProviderConfig p = providerFromMegatronArgs(args, "ckpt/args");
  EXPECT_EQ(p.hybrid_layer_pattern, "M*EM/*E");
  EXPECT_EQ(p.mtp_num_layers, 1);
  EXPECT_DOUBLE_EQ(p.layernorm_epsilon, 1e-6);
  EXPECT_FALSE(p.add_bias_linear);
  EXPECT_EQ(p.vocab_size, 256);
  EXPECT_FALSE(p.num_query_groups.has_value());  // no GQA: None
  EXPECT_EQ(p.activation_func, "squared_relu");
}

TEST(MegatronArgs, PaddedVocabLargerThanVocabMeansPadding) {
  Json args = {{"hybrid_layer_pattern", "M*"}, {"vocab_size", 1000}, {"padded_vocab_size", 1024}};
  ProviderConfig p = providerFromMegatronArgs(args, "args");
  EXPECT_EQ(p.vocab_size, 1000);
  EXPECT_TRUE(p.should_pad_vocab);
}

TEST(MegatronArgsErrors, MissingPattern) {
  Json args = {{"vocab_size", 1000}};
  EXPECT_THAT(badInputMessage([&] { providerFromMegatronArgs(args, "ckpt/args"); }), HasSubstr("ckpt/args: args: no layer pattern"));
}

TEST(MegatronArgsErrors, MissingVocab) {
  Json args = {{"hybrid_layer_pattern", "M*"}};
  EXPECT_THAT(badInputMessage([&] { providerFromMegatronArgs(args, "a"); }), HasSubstr("vocab_size"));
}

TEST(MegatronArgsErrors, WrongTypeNamesArgument) {
  Json args = {{"hybrid_layer_pattern", "M*"}, {"vocab_size", 1000}, {"hidden_size", true}};
  EXPECT_THAT(badInputMessage([&] { providerFromMegatronArgs(args, "a"); }), HasSubstr("'hidden_size'"));
}

TEST(MegatronArgsErrors, NumLayersDisagreesWithPattern) {
  Json args = {{"hybrid_layer_pattern", "M*"}, {"vocab_size", 1000}, {"num_layers", 3}};
  EXPECT_THAT(badInputMessage([&] { providerFromMegatronArgs(args, "a"); }), HasSubstr("num_layers is 3"));
}

}  // namespace
}  // namespace nhb::config
