// The HF parameter inventory against the published tensor / parameter counts
// (hf-nemotron-h.md §2 "Verification of this table", fixtures/configs/SOURCES.md) and against
// shapes written out by hand from the §2 formulas.
#include "bridge/model/hf_parameters.h"

#include <map>
#include <set>

#include <gtest/gtest.h>

#include "bridge/config/hf_config.h"
#include "bridge/core/error.h"
#include "support/config_files.h"
#include "support/test_support.h"

namespace nhb::model {
namespace {

config::HfConfig loadConfig(const std::string& fileName) {
  return config::loadHfConfig(testing::publishedConfigsDir() / fileName);
}

std::map<std::string, HfParameter> byName(const std::vector<HfParameter>& parameters) {
  std::map<std::string, HfParameter> out;
  for (const auto& p : parameters) out.emplace(p.name, p);
  return out;
}

struct PublishedCount {
  const char* file;
  int64_t tensors;
  int64_t elements;
};

class PublishedCounts : public ::testing::TestWithParam<PublishedCount> {};

TEST_P(PublishedCounts, MatchInventory) {
  const auto& expected = GetParam();
  const auto parameters = hfParameters(loadConfig(expected.file));
  const ParameterTotals counted = totals(parameters);
  EXPECT_EQ(counted.tensors, expected.tensors);
  EXPECT_EQ(counted.elements, expected.elements);
  std::set<std::string> names;
  for (const auto& p : parameters) EXPECT_TRUE(names.insert(p.name).second) << "duplicate " << p.name;
}

// Bridge verification cards (exact) and the SOURCES.md table computed from the §2 formulas.
INSTANTIATE_TEST_SUITE_P(
    Configs, PublishedCounts,
    ::testing::Values(PublishedCount{"nvidia-nemotron-3-nano-4b-bf16.json", 263, 3'973'556'832},
                      PublishedCount{"nvidia-nemotron-3-super-120b-a12b-bf16.json", 42'683, 123'611'033'088},
                      PublishedCount{"nvidia-nemotron-3.5-lightning-30b-a3b-bf16.json", 6'513, 32'913'266'240},
                      PublishedCount{"nvidia-nemotron-3-nano-30b-a3b-bf16.json", 6'243, 31'577'940'288},
                      PublishedCount{"nemotron-h-4b-base-8k.json", 311, 4'489'223'040},
                      PublishedCount{"nemotron-h-8b-base-8k.json", 311, 8'100'852'736},
                      PublishedCount{"nemotron-h-47b-base-8k.json", 577, 46'791'554'816},
                      PublishedCount{"nemotron-h-56b-base-8k.json", 701, 56'324'350'464},
                      PublishedCount{"nvidia-nemotron-nano-9b-v2.json", 341, 8'888'227'328},
                      PublishedCount{"nvidia-nemotron-nano-12b-v2.json", 369, 12'310'001'152}));

TEST(HfParameters, Nemotron8BMambaAndAttentionShapes) {
  const auto params = byName(hfParameters(loadConfig("nemotron-h-8b-base-8k.json")));
  // Layer 0 is M: I = 128*64 = 8192, GN = 8*128 = 1024, in_proj = 2*8192 + 2*1024 + 128.
  EXPECT_EQ(params.at("backbone.layers.0.mixer.in_proj.weight").shape, (Shape{18560, 4096}));
  EXPECT_EQ(params.at("backbone.layers.0.mixer.conv1d.weight").shape, (Shape{10240, 1, 4}));
  EXPECT_EQ(params.at("backbone.layers.0.mixer.conv1d.bias").shape, (Shape{10240}));
  EXPECT_EQ(params.at("backbone.layers.0.mixer.dt_bias").shape, (Shape{128}));
  EXPECT_EQ(params.at("backbone.layers.0.mixer.A_log").shape, (Shape{128}));
  EXPECT_EQ(params.at("backbone.layers.0.mixer.D").shape, (Shape{128}));
  EXPECT_EQ(params.at("backbone.layers.0.mixer.norm.weight").shape, (Shape{8192}));
  EXPECT_EQ(params.at("backbone.layers.0.mixer.out_proj.weight").shape, (Shape{4096, 8192}));
  EXPECT_EQ(params.count("backbone.layers.0.mixer.in_proj.bias"), 0u);
  // Layer 1 is -, layer 7 is * (pattern M-M-M-M*-...).
  EXPECT_EQ(params.at("backbone.layers.1.mixer.up_proj.weight").shape, (Shape{21504, 4096}));
  EXPECT_EQ(params.at("backbone.layers.1.mixer.down_proj.weight").shape, (Shape{4096, 21504}));
  EXPECT_EQ(params.at("backbone.layers.7.mixer.q_proj.weight").shape, (Shape{32 * 128, 4096}));
  EXPECT_EQ(params.at("backbone.layers.7.mixer.k_proj.weight").shape, (Shape{8 * 128, 4096}));
  EXPECT_EQ(params.at("backbone.layers.7.mixer.v_proj.weight").shape, (Shape{8 * 128, 4096}));
  EXPECT_EQ(params.at("backbone.layers.7.mixer.o_proj.weight").shape, (Shape{4096, 32 * 128}));
  EXPECT_EQ(params.at("backbone.layers.7.norm.weight").shape, (Shape{4096}));
  EXPECT_EQ(params.at("backbone.layers.7.mixer.q_proj.weight").layerSymbol, LayerSymbol::Attention);
  EXPECT_EQ(params.at("backbone.embeddings.weight").shape, (Shape{131072, 4096}));
  EXPECT_EQ(params.at("backbone.norm_f.weight").shape, (Shape{4096}));
  EXPECT_EQ(params.at("lm_head.weight").shape, (Shape{131072, 4096}));
  EXPECT_EQ(params.at("lm_head.weight").layerSymbol, LayerSymbol::None);
}

TEST(HfParameters, SuperLatentMoeAndMtpShapes) {
  const auto list = hfParameters(loadConfig("nvidia-nemotron-3-super-120b-a12b-bf16.json"));
  const auto params = byName(list);
  const std::string moe = "backbone.layers.1.mixer.";  // pattern MEMEMEM*E...
  EXPECT_EQ(params.at(moe + "gate.weight").shape, (Shape{512, 4096}));
  EXPECT_EQ(params.at(moe + "gate.e_score_correction_bias").shape, (Shape{512}));
  EXPECT_EQ(params.at(moe + "gate.e_score_correction_bias").role, DTypeRole::Fp32);
  EXPECT_EQ(params.at(moe + "experts.0.up_proj.weight").shape, (Shape{2688, 1024}));
  EXPECT_EQ(params.at(moe + "experts.511.down_proj.weight").shape, (Shape{1024, 2688}));
  EXPECT_EQ(params.count(moe + "experts.512.up_proj.weight"), 0u);
  EXPECT_EQ(params.at(moe + "fc1_latent_proj.weight").shape, (Shape{1024, 4096}));
  EXPECT_EQ(params.at(moe + "fc2_latent_proj.weight").shape, (Shape{4096, 1024}));
  EXPECT_EQ(params.at(moe + "shared_experts.up_proj.weight").shape, (Shape{5376, 4096}));
  EXPECT_EQ(params.at(moe + "shared_experts.down_proj.weight").shape, (Shape{4096, 5376}));

  // MTP `*E`, one depth: j=0 attention with enorm/hnorm/eh_proj, j=1 latent MoE + final norm.
  EXPECT_EQ(params.at("mtp.layers.0.eh_proj.weight").shape, (Shape{4096, 8192}));
  for (const char* name : {"mtp.layers.0.enorm.weight", "mtp.layers.0.hnorm.weight", "mtp.layers.0.norm.weight",
                           "mtp.layers.0.mixer.q_proj.weight", "mtp.layers.0.mixer.o_proj.weight",
                           "mtp.layers.1.norm.weight", "mtp.layers.1.mixer.fc1_latent_proj.weight",
                           "mtp.layers.1.mixer.gate.e_score_correction_bias", "mtp.layers.1.final_layernorm.weight"})
    EXPECT_EQ(params.count(name), 1u) << name;
  for (const char* name : {"mtp.layers.1.enorm.weight", "mtp.layers.0.final_layernorm.weight",
                           "mtp.layers.2.norm.weight", "mtp.embeddings.weight", "mtp.lm_head.weight"})
    EXPECT_EQ(params.count(name), 0u) << name;
  EXPECT_TRUE(params.at("mtp.layers.1.mixer.gate.weight").mtp);
  EXPECT_EQ(params.at("mtp.layers.1.mixer.gate.weight").layer, 1);
  EXPECT_EQ(params.at("mtp.layers.1.mixer.gate.weight").layerSymbol, LayerSymbol::Moe);

  // Super card: exactly 41 FP32 tensors (40 MoE layers + 1 MTP MoE layer).
  int fp32 = 0;
  for (const auto& p : list) fp32 += p.dtype(DType::BF16) == DType::F32;
  EXPECT_EQ(fp32, 41);
}

TEST(HfParameters, Nano30BMoeShapes) {
  const auto params = byName(hfParameters(loadConfig("nvidia-nemotron-3-nano-30b-a3b-bf16.json")));
  const std::string moe = "backbone.layers.1.mixer.";
  EXPECT_EQ(params.at(moe + "gate.weight").shape, (Shape{128, 2688}));
  EXPECT_EQ(params.at(moe + "experts.0.up_proj.weight").shape, (Shape{1856, 2688}));
  EXPECT_EQ(params.at(moe + "experts.127.down_proj.weight").shape, (Shape{2688, 1856}));
  EXPECT_EQ(params.at(moe + "shared_experts.up_proj.weight").shape, (Shape{3712, 2688}));
  EXPECT_EQ(params.count(moe + "fc1_latent_proj.weight"), 0u);
}

// A tiny config built in the test, to toggle flags.
config::Json tinyConfig() {
  return config::Json{{"hybrid_override_pattern", "M*-E"},
                      {"num_hidden_layers", 4},
                      {"vocab_size", 10},
                      {"hidden_size", 8},
                      {"intermediate_size", 12},
                      {"num_attention_heads", 4},
                      {"num_key_value_heads", 2},
                      {"head_dim", 3},
                      {"mamba_num_heads", 4},
                      {"mamba_head_dim", 2},
                      {"n_groups", 2},
                      {"ssm_state_size", 5},
                      {"conv_kernel", 4},
                      {"n_routed_experts", 2},
                      {"num_experts_per_tok", 1},
                      {"moe_intermediate_size", 6},
                      {"moe_shared_expert_intermediate_size", 7},
                      {"torch_dtype", "float32"}};
}

TEST(HfParameters, TinyConfigHandComputed) {
  const auto list = hfParameters(config::parseHfConfig(tinyConfig(), "tiny"));
  const auto params = byName(list);
  // I = 8, GN = 10, conv_dim = 28, in_proj = 2*8 + 2*10 + 4 = 40.
  EXPECT_EQ(params.at("backbone.layers.0.mixer.in_proj.weight").shape, (Shape{40, 8}));
  EXPECT_EQ(params.at("backbone.layers.0.mixer.conv1d.weight").shape, (Shape{28, 1, 4}));
  EXPECT_EQ(params.at("backbone.layers.1.mixer.q_proj.weight").shape, (Shape{12, 8}));
  EXPECT_EQ(params.at("backbone.layers.1.mixer.k_proj.weight").shape, (Shape{6, 8}));
  EXPECT_EQ(params.at("backbone.layers.2.mixer.up_proj.weight").shape, (Shape{12, 8}));
  EXPECT_EQ(params.at("backbone.layers.3.mixer.experts.1.up_proj.weight").shape, (Shape{6, 8}));
  EXPECT_EQ(params.at("backbone.layers.3.mixer.shared_experts.down_proj.weight").shape, (Shape{8, 7}));
  // 1 embedding + M (norm + in_proj, conv w/b, dt_bias, A_log, D, norm, out_proj) + * (norm + 4)
  // + - (norm + 2) + E (norm + gate + bias + 2*2 experts + 2 shared) + norm_f + lm_head
  EXPECT_EQ(list.size(), 1u + 9 + 5 + 3 + 9 + 2);
  EXPECT_EQ(list.front().name, "backbone.embeddings.weight");
  EXPECT_EQ(list.back().name, "lm_head.weight");
  EXPECT_EQ(modelDType(config::parseHfConfig(tinyConfig(), "tiny")), DType::F32);
}

TEST(HfParameters, OptionalBiasesFollowTheirFlags) {
  auto json = tinyConfig();
  json["use_bias"] = true;
  json["use_conv_bias"] = false;
  json["attention_bias"] = true;
  json["mlp_bias"] = true;
  json["moe_latent_size"] = 4;
  const auto params = byName(hfParameters(config::parseHfConfig(json, "tiny")));
  EXPECT_EQ(params.at("backbone.layers.0.mixer.in_proj.bias").shape, (Shape{40}));
  EXPECT_EQ(params.at("backbone.layers.0.mixer.out_proj.bias").shape, (Shape{8}));
  EXPECT_EQ(params.count("backbone.layers.0.mixer.conv1d.bias"), 0u);
  for (const char* proj : {"q_proj", "k_proj", "v_proj", "o_proj"})
    EXPECT_EQ(params.count(std::string("backbone.layers.1.mixer.") + proj + ".bias"), 1u) << proj;
  EXPECT_EQ(params.at("backbone.layers.2.mixer.up_proj.bias").shape, (Shape{12}));
  EXPECT_EQ(params.at("backbone.layers.2.mixer.down_proj.bias").shape, (Shape{8}));
  EXPECT_EQ(params.at("backbone.layers.3.mixer.shared_experts.up_proj.bias").shape, (Shape{7}));
  EXPECT_EQ(params.at("backbone.layers.3.mixer.fc1_latent_proj.bias").shape, (Shape{4}));
  EXPECT_EQ(params.at("backbone.layers.3.mixer.fc2_latent_proj.bias").shape, (Shape{8}));
  // Latent: routed experts work in the latent width, the shared expert in the hidden width.
  EXPECT_EQ(params.at("backbone.layers.3.mixer.experts.0.up_proj.weight").shape, (Shape{6, 4}));
  EXPECT_EQ(params.at("backbone.layers.3.mixer.shared_experts.up_proj.weight").shape, (Shape{7, 8}));
  // Routed experts never have biases.
  EXPECT_EQ(params.count("backbone.layers.3.mixer.experts.0.up_proj.bias"), 0u);
  EXPECT_EQ(params.count("backbone.layers.3.mixer.gate.bias"), 0u);
}

TEST(HfParameters, TiedEmbeddingsDropLmHead) {
  auto json = tinyConfig();
  json["tie_word_embeddings"] = true;
  const auto params = byName(hfParameters(config::parseHfConfig(json, "tiny")));
  EXPECT_EQ(params.count("lm_head.weight"), 0u);
  EXPECT_EQ(params.count("backbone.embeddings.weight"), 1u);
}

TEST(HfParameters, MtpDepthsAreFlattened) {
  auto json = tinyConfig();
  json["num_nextn_predict_layers"] = 2;
  json["mtp_hybrid_override_pattern"] = "*-E";
  const auto params = byName(hfParameters(config::parseHfConfig(json, "tiny")));
  // Flat index j = depth*3 + inner: enorm/hnorm/eh_proj at j = 0, 3; final_layernorm at j = 2, 5.
  for (int j : {0, 3}) {
    EXPECT_EQ(params.at("mtp.layers." + std::to_string(j) + ".eh_proj.weight").shape, (Shape{8, 16}));
    EXPECT_EQ(params.count("mtp.layers." + std::to_string(j) + ".mixer.q_proj.weight"), 1u);
  }
  for (int j : {2, 5}) {
    EXPECT_EQ(params.count("mtp.layers." + std::to_string(j) + ".final_layernorm.weight"), 1u);
    EXPECT_EQ(params.count("mtp.layers." + std::to_string(j) + ".mixer.gate.e_score_correction_bias"), 1u);
  }
  for (int j : {1, 4}) EXPECT_EQ(params.count("mtp.layers." + std::to_string(j) + ".mixer.up_proj.weight"), 1u);
  for (int j : {1, 2, 4, 5}) EXPECT_EQ(params.count("mtp.layers." + std::to_string(j) + ".enorm.weight"), 0u);
  EXPECT_EQ(params.count("mtp.layers.6.norm.weight"), 0u);
}

TEST(HfParameters, ModelDTypeRejectsNonFloat) {
  auto json = tinyConfig();
  json["torch_dtype"] = "int8";
  try {
    modelDType(config::parseHfConfig(json, "tiny"));
    FAIL() << "expected BadInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("torch_dtype"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("int8"), std::string::npos);
  }
}

}  // namespace
}  // namespace nhb::model
