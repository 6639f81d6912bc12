// Fixture configs: presets keep the key set of their family's published config.json, shrunk
// real configs keep their structure, and every fixture allows TP 2/4 and EP 2.
#include "bridge/fixture/fixture_configs.h"

#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "bridge/config/hf_config.h"
#include "bridge/core/error.h"
#include "bridge/fixture/fixture_generator.h"
#include "support/config_files.h"
#include "support/test_support.h"

namespace nhb::fixture {
namespace {

using nhb::testing::publishedConfigsDir;

Json readJson(const std::filesystem::path& path) { return Json::parse(testing::readFile(path)); }

std::vector<std::string> keysOf(const Json& json) {
  std::vector<std::string> keys;
  for (const auto& item : json.items()) keys.push_back(item.key());
  return keys;
}

std::vector<std::filesystem::path> publishedConfigs() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(publishedConfigsDir()))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Checks the TP 2/4 and EP 2 requirements by hand (not through checkParallelDivisibility).
void expectParallelFriendly(const config::HfConfig& c) {
  for (int64_t tp : {2, 4}) {
    EXPECT_EQ(c.numAttentionHeads % tp, 0);
    EXPECT_EQ(c.numKeyValueHeads % tp, 0);
    EXPECT_EQ(c.mambaNumHeads % tp, 0);
    EXPECT_EQ(c.nGroups % tp, 0);
    EXPECT_EQ(c.vocabSize % tp, 0);
    EXPECT_EQ(c.hiddenSize % tp, 0);
  }
  EXPECT_EQ(c.mambaNumHeads % c.nGroups, 0);
  if (c.hasMoe()) {
    EXPECT_EQ(c.nRoutedExperts % 2, 0);
    EXPECT_EQ(c.nRoutedExperts % c.nGroup, 0);
    EXPECT_GE(c.nRoutedExperts / c.nGroup, 2);
  }
}

struct PresetFamily {
  const char* preset;
  const char* familyFile;
};

class Presets : public ::testing::TestWithParam<PresetFamily> {};

TEST_P(Presets, KeepFamilyKeySetAndParse) {
  const Json preset = presetConfig(GetParam().preset, DType::BF16);
  EXPECT_EQ(keysOf(preset), keysOf(readJson(publishedConfigsDir() / GetParam().familyFile)));
  const config::HfConfig c = config::parseHfConfig(preset, GetParam().preset);
  expectParallelFriendly(c);
  EXPECT_NO_THROW(checkParallelDivisibility(c, GetParam().preset));
  EXPECT_EQ(c.torchDtype, "bfloat16");
  EXPECT_EQ(c.vocabSize, 512);
  EXPECT_EQ(c.hiddenSize, 64);
  EXPECT_EQ(c.bosTokenId, 1);
  EXPECT_EQ(c.eosTokenId, 2);
  EXPECT_EQ(c.padTokenId, 0);
}

INSTANTIATE_TEST_SUITE_P(All, Presets,
                         ::testing::Values(PresetFamily{"dense", "nemotron-h-8b-base-8k.json"},
                                           PresetFamily{"moe", "nvidia-nemotron-3-nano-30b-a3b-bf16.json"},
                                           PresetFamily{"moe-grouped", "nvidia-nemotron-3-nano-30b-a3b-bf16.json"},
                                           PresetFamily{"latent-moe-mtp",
                                                        "nvidia-nemotron-3-super-120b-a12b-bf16.json"}));

TEST(Presets, StructureOfEachPreset) {
  const auto dense = config::parseHfConfig(presetConfig("dense", DType::BF16), "dense");
  EXPECT_EQ(dense.pattern, "M-M*-M-M*-");
  EXPECT_FALSE(dense.hasMoe());
  EXPECT_FALSE(dense.hasMtp());

  const auto moe = config::parseHfConfig(presetConfig("moe", DType::BF16), "moe");
  EXPECT_EQ(moe.pattern, "MEM*EMEM*EME");
  EXPECT_EQ(moe.nRoutedExperts, 8);
  EXPECT_EQ(moe.numExpertsPerTok, 2);
  EXPECT_FALSE(moe.moeLatentSize.has_value());

  const auto grouped = config::parseHfConfig(presetConfig("moe-grouped", DType::BF16), "moe-grouped");
  EXPECT_EQ(grouped.nGroup, 4);
  EXPECT_EQ(grouped.topkGroup, 2);
  EXPECT_EQ(grouped.nRoutedExperts, 16);
  EXPECT_LE(grouped.numExpertsPerTok, grouped.topkGroup * grouped.nRoutedExperts / grouped.nGroup);

  const auto latent = config::parseHfConfig(presetConfig("latent-moe-mtp", DType::F32), "latent-moe-mtp");
  EXPECT_EQ(latent.moeLatentSize, 32);
  EXPECT_EQ(latent.mtpPattern, "*E");
  EXPECT_EQ(latent.numNextnPredictLayers, 1);
  EXPECT_EQ(latent.torchDtype, "float32");
  EXPECT_EQ(presetConfig("latent-moe-mtp", DType::F32)["dtype"], "float32");  // Super spells it `dtype`
}

TEST(Presets, NamesListedInOrder) {
  EXPECT_EQ(presetNames(), (std::vector<std::string>{"dense", "moe", "moe-grouped", "latent-moe-mtp"}));
}

TEST(Presets, UnknownPresetNamesTheValidOnes) {
  try {
    presetConfig("huge", DType::BF16);
    FAIL() << "expected BadInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    const std::string message = error.what();
    EXPECT_NE(message.find("\"huge\""), std::string::npos) << message;
    EXPECT_NE(message.find("latent-moe-mtp"), std::string::npos) << message;
    EXPECT_NE(message.find("from-config"), std::string::npos) << message;
  }
}

TEST(Presets, UnsupportedDTypeIsBadInput) {
  try {
    presetConfig("dense", DType::F16);
    FAIL() << "expected BadInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("f16"), std::string::npos) << error.what();
  }
}

class ShrinkPublished : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(ShrinkPublished, KeepsStructureAndKeySet) {
  const Json real = readJson(GetParam());
  const Json shrunk = shrinkConfig(real, DType::BF16, GetParam().string());
  EXPECT_EQ(keysOf(shrunk), keysOf(real));
  const config::HfConfig before = config::loadHfConfig(GetParam());
  const config::HfConfig after = config::parseHfConfig(shrunk, "shrunk");
  expectParallelFriendly(after);
  EXPECT_NO_THROW(checkParallelDivisibility(after, "shrunk"));

  EXPECT_EQ(after.pattern, before.pattern);
  EXPECT_EQ(after.mtpPattern, before.mtpPattern);
  EXPECT_EQ(after.numNextnPredictLayers, before.numNextnPredictLayers);
  EXPECT_EQ(after.numAttentionHeads / after.numKeyValueHeads, before.numAttentionHeads / before.numKeyValueHeads);
  EXPECT_EQ(after.nGroups, before.nGroups);  // all published configs use 8 (a multiple of 4)
  EXPECT_EQ(after.tieWordEmbeddings, before.tieWordEmbeddings);
  EXPECT_EQ(after.bosTokenId, before.bosTokenId);
  EXPECT_EQ(after.eosTokenId, before.eosTokenId);
  EXPECT_EQ(after.padTokenId, before.padTokenId);
  EXPECT_EQ(after.hiddenSize, 64);
  EXPECT_EQ(after.vocabSize, 512);
  EXPECT_LT(after.mambaInnerSize(), before.mambaInnerSize());
  if (before.hasMoe()) {
    EXPECT_EQ(after.moeLatentSize.has_value(), before.moeLatentSize.has_value());
    EXPECT_EQ(after.nGroup, before.nGroup);
    EXPECT_EQ(after.topkGroup, before.topkGroup);
    EXPECT_EQ(after.numExpertsPerTok > 1, before.numExpertsPerTok > 1);
    EXPECT_LT(after.numExpertsPerTok, after.nRoutedExperts);
    EXPECT_LT(after.nRoutedExperts, before.nRoutedExperts);
    EXPECT_EQ(after.moeSharedExpertIntermediateSize / after.moeIntermediateSize,
              before.moeSharedExpertIntermediateSize / before.moeIntermediateSize);
  }
  // Values of keys that carry no size stay verbatim.
  for (const char* key : {"hybrid_override_pattern", "model_type", "architectures", "auto_map", "max_position_embeddings",
                          "mtp_hybrid_override_pattern", "time_step_min", "layer_norm_epsilon"})
    if (real.contains(key)) EXPECT_EQ(shrunk[key], real[key]) << key;
}

INSTANTIATE_TEST_SUITE_P(FixturesConfigs, ShrinkPublished, ::testing::ValuesIn(publishedConfigs()),
                         [](const auto& info) {
                           std::string name = info.param.stem().string();
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

TEST(ShrinkConfig, KeepsListFormPattern) {
  Json real = readJson(publishedConfigsDir() / "nvidia-nemotron-3.5-lightning-30b-a3b-bf16.json");
  real.erase("hybrid_override_pattern");
  real.erase("mtp_hybrid_override_pattern");
  Json types = Json::array();
  for (char symbol : std::string("MEM*E")) types.push_back(symbol == 'M' ? "mamba" : symbol == 'E' ? "moe" : "attention");
  real["layers_block_type"] = types;
  real["mtp_layers_block_type"] = Json::array({"attention", "moe"});
  real["num_hidden_layers"] = 5;
  const Json shrunk = shrinkConfig(real, DType::F32, "lightning-list");
  EXPECT_EQ(shrunk["layers_block_type"], types);
  EXPECT_EQ(shrunk["mtp_layers_block_type"], real["mtp_layers_block_type"]);
  EXPECT_FALSE(shrunk.contains("hybrid_override_pattern"));
  EXPECT_EQ(shrunk["torch_dtype"], "float32");
  EXPECT_EQ(config::parseHfConfig(shrunk, "shrunk").pattern, "MEM*E");
}

TEST(ShrinkConfig, GroupedRouterKeepsGroupsWithTwoExpertsEach) {
  Json real = readJson(publishedConfigsDir() / "nvidia-nemotron-3-nano-30b-a3b-bf16.json");
  real["n_group"] = 8;
  real["topk_group"] = 4;
  const auto c = config::parseHfConfig(shrinkConfig(real, DType::BF16, "grouped"), "grouped");
  EXPECT_EQ(c.nGroup, 8);
  EXPECT_EQ(c.topkGroup, 4);
  EXPECT_EQ(c.nRoutedExperts, 16);  // max(8, 2 * 8)
  EXPECT_EQ(c.numExpertsPerTok, 4);  // min(6, 16 / 4)
}

TEST(ShrinkConfig, HeadsNotMultipleOfKvHeadsIsBadInput) {
  Json real = readJson(publishedConfigsDir() / "nemotron-h-8b-base-8k.json");
  real["num_attention_heads"] = 30;
  try {
    shrinkConfig(real, DType::BF16, "odd.json");
    FAIL() << "expected BadInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    const std::string message = error.what();
    EXPECT_NE(message.find("odd.json"), std::string::npos) << message;
    EXPECT_NE(message.find("num_attention_heads 30"), std::string::npos) << message;
  }
}

TEST(ShrinkConfig, NonObjectIsBadInput) {
  try {
    shrinkConfig(Json::array({1, 2}), DType::BF16, "list.json");
    FAIL() << "expected BadInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("list.json"), std::string::npos);
  }
}

TEST(ShrinkConfig, NonIntegerWidthIsBadInput) {
  Json real = readJson(publishedConfigsDir() / "nemotron-h-8b-base-8k.json");
  real["n_groups"] = "eight";
  try {
    shrinkConfig(real, DType::BF16, "bad.json");
    FAIL() << "expected BadInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("n_groups"), std::string::npos) << error.what();
  }
}

TEST(CheckParallelDivisibility, NamesTheField) {
  auto c = config::parseHfConfig(presetConfig("dense", DType::BF16), "dense");
  c.numKeyValueHeads = 2;
  try {
    checkParallelDivisibility(c, "custom");
    FAIL() << "expected BadInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("num_key_value_heads 2"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace nhb::fixture
