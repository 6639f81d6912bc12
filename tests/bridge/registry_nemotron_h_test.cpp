// The Nemotron-H registry against the reference tables: every HF parameter a config implies maps
// to exactly one Megatron name and back (all fixture presets and published configs), the
// Megatron key sets of megatron-core-hybrid.md §3.2 (TE) and §3.3 (local), MTP flattening
// examples of megatron-bridge-conversion.md §2.5, both conv1d spellings.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "bridge/config/hf_config.h"
#include "bridge/core/error.h"
#include "bridge/fixture/fixture_configs.h"
#include "bridge/mapping/nemotron_h_registry.h"
#include "bridge/model/hf_parameters.h"
#include "support/test_support.h"

namespace nhb::mapping {
namespace {

// Small sizes exercising every layer type, latent MoE, a shared expert and one `*E` MTP depth.
ModelDims smallDims() {
  ModelDims d;
  d.pattern = "M*-E";
  d.mtpPattern = "*E";
  d.mtpDepths = 1;
  d.vocab = 64;
  d.hidden = 8;
  d.ffn = 16;
  d.heads = 4;
  d.queryGroups = 2;
  d.headDim = 2;
  d.mambaHeads = 4;
  d.mambaHeadDim = 2;
  d.mambaGroups = 2;
  d.mambaState = 2;
  d.experts = 2;
  d.moeFfn = 4;
  d.sharedFfn = 8;
  d.latent = 4;
  return d;
}

std::set<std::string> megatronKeys(const Registry& registry) {
  std::set<std::string> keys;
  for (const ResolvedMapping& entry : registry.expand()) EXPECT_TRUE(keys.insert(entry.megatron).second) << entry.megatron;
  return keys;
}

TEST(NemotronHRegistry, TransformerEngineKeySetMatchesReference) {
  // megatron-core-hybrid.md §3.2 (tables M, *, -, E with TEGroupedMLP and latent projections),
  // §4.3 (MTP), top level without position embeddings; layers 0..3 = M * - E.
  std::set<std::string> expected = {
      "embedding.word_embeddings.weight",
      "decoder.layers.0.mixer.in_proj.layer_norm_weight", "decoder.layers.0.mixer.in_proj.weight",
      "decoder.layers.0.mixer.in_proj._extra_state", "decoder.layers.0.mixer.conv1d_weight",
      "decoder.layers.0.mixer.conv1d_bias", "decoder.layers.0.mixer.dt_bias", "decoder.layers.0.mixer.A_log",
      "decoder.layers.0.mixer.D", "decoder.layers.0.mixer.norm.weight", "decoder.layers.0.mixer.out_proj.weight",
      "decoder.layers.0.mixer.out_proj._extra_state",
      "decoder.layers.1.self_attention.linear_qkv.layer_norm_weight", "decoder.layers.1.self_attention.linear_qkv.weight",
      "decoder.layers.1.self_attention.linear_qkv._extra_state", "decoder.layers.1.self_attention.core_attention._extra_state",
      "decoder.layers.1.self_attention.linear_proj.weight", "decoder.layers.1.self_attention.linear_proj._extra_state",
      "decoder.layers.2.mlp.linear_fc1.layer_norm_weight", "decoder.layers.2.mlp.linear_fc1.weight",
      "decoder.layers.2.mlp.linear_fc1._extra_state", "decoder.layers.2.mlp.linear_fc2.weight",
      "decoder.layers.2.mlp.linear_fc2._extra_state",
      "decoder.layers.3.pre_mlp_layernorm.weight", "decoder.layers.3.mlp.router.weight",
      "decoder.layers.3.mlp.router.expert_bias", "decoder.layers.3.mlp.experts.linear_fc1.weight0",
      "decoder.layers.3.mlp.experts.linear_fc1.weight1", "decoder.layers.3.mlp.experts.linear_fc1._extra_state",
      "decoder.layers.3.mlp.experts.linear_fc2.weight0", "decoder.layers.3.mlp.experts.linear_fc2.weight1",
      "decoder.layers.3.mlp.experts.linear_fc2._extra_state", "decoder.layers.3.mlp.shared_experts.linear_fc1.weight",
      "decoder.layers.3.mlp.shared_experts.linear_fc1._extra_state",
      "decoder.layers.3.mlp.shared_experts.linear_fc2.weight",
      "decoder.layers.3.mlp.shared_experts.linear_fc2._extra_state", "decoder.layers.3.mlp.fc1_latent_proj.weight",
      "decoder.layers.3.mlp.fc2_latent_proj.weight", "decoder.layers.3.mlp.fc1_latent_proj._extra_state",
      "decoder.layers.3.mlp.fc2_latent_proj._extra_state",
      "decoder.final_norm.weight",
      "mtp.layers.0.enorm.weight", "mtp.layers.0.hnorm.weight", "mtp.layers.0.eh_proj.weight",
      "mtp.layers.0.eh_proj._extra_state",
      "mtp.layers.0.mtp_model_layer.layers.0.self_attention.linear_qkv.layer_norm_weight",
      "mtp.layers.0.mtp_model_layer.layers.0.self_attention.linear_qkv.weight",
      "mtp.layers.0.mtp_model_layer.layers.0.self_attention.linear_qkv._extra_state",
      "mtp.layers.0.mtp_model_layer.layers.0.self_attention.core_attention._extra_state",
      "mtp.layers.0.mtp_model_layer.layers.0.self_attention.linear_proj.weight",
      "mtp.layers.0.mtp_model_layer.layers.0.self_attention.linear_proj._extra_state",
      "mtp.layers.0.mtp_model_layer.layers.1.pre_mlp_layernorm.weight",
      "mtp.layers.0.mtp_model_layer.layers.1.mlp.router.weight",
      "mtp.layers.0.mtp_model_layer.layers.1.mlp.router.expert_bias",
      "mtp.layers.0.mtp_model_layer.layers.1.mlp.experts.linear_fc1.weight0",
      "mtp.layers.0.mtp_model_layer.layers.1.mlp.experts.linear_fc1.weight1",
      "mtp.layers.0.mtp_model_layer.layers.1.mlp.experts.linear_fc1._extra_state",
      "mtp.layers.0.mtp_model_layer.layers.1.mlp.experts.linear_fc2.weight0",
      "mtp.layers.0.mtp_model_layer.layers.1.mlp.experts.linear_fc2.weight1",
      "mtp.layers.0.mtp_model_layer.layers.1.mlp.experts.linear_fc2._extra_state",
      "mtp.layers.0.mtp_model_layer.layers.1.mlp.shared_experts.linear_fc1.weight",
      "mtp.layers.0.mtp_model_layer.layers.1.mlp.shared_experts.linear_fc1._extra_state",
      "mtp.layers.0.mtp_model_layer.layers.1.mlp.shared_experts.linear_fc2.weight",
      "mtp.layers.0.mtp_model_layer.layers.1.mlp.shared_experts.linear_fc2._extra_state",
      "mtp.layers.0.mtp_model_layer.layers.1.mlp.fc1_latent_proj.weight",
      "mtp.layers.0.mtp_model_layer.layers.1.mlp.fc2_latent_proj.weight",
      "mtp.layers.0.mtp_model_layer.layers.1.mlp.fc1_latent_proj._extra_state",
      "mtp.layers.0.mtp_model_layer.layers.1.mlp.fc2_latent_proj._extra_state",
      "mtp.layers.0.final_layernorm.weight",
      "output_layer.weight", "output_layer._extra_state",
  };
  EXPECT_EQ(megatronKeys(buildNemotronHRegistry(smallDims())), expected);
}

TEST(NemotronHRegistry, LocalSpecKeySetMatchesReference) {
  // megatron-core-hybrid.md §3.3: separate norms, SequentialMLP experts, None extra states.
  ModelDims d = smallDims();
  d.mtpDepths = 0;
  d.mtpPattern.clear();
  d.latent = 0;
  RegistryOptions options;
  options.naming = Naming::Local;
  options.experts = ExpertStorage::Sequential;
  Registry registry = buildNemotronHRegistry(d, options);
  std::set<std::string> expected = {
      "embedding.word_embeddings.weight",
      "decoder.layers.0.norm.weight", "decoder.layers.0.mixer.in_proj.weight",
      "decoder.layers.0.mixer.in_proj._extra_state", "decoder.layers.0.mixer.conv1d_weight",
      "decoder.layers.0.mixer.conv1d_bias", "decoder.layers.0.mixer.dt_bias", "decoder.layers.0.mixer.A_log",
      "decoder.layers.0.mixer.D", "decoder.layers.0.mixer.norm.weight", "decoder.layers.0.mixer.out_proj.weight",
      "decoder.layers.0.mixer.out_proj._extra_state",
      "decoder.layers.1.input_layernorm.weight", "decoder.layers.1.self_attention.linear_qkv.weight",
      "decoder.layers.1.self_attention.linear_qkv._extra_state", "decoder.layers.1.self_attention.core_attention._extra_state",
      "decoder.layers.1.self_attention.linear_proj.weight", "decoder.layers.1.self_attention.linear_proj._extra_state",
      "decoder.layers.2.pre_mlp_layernorm.weight", "decoder.layers.2.mlp.linear_fc1.weight",
      "decoder.layers.2.mlp.linear_fc1._extra_state", "decoder.layers.2.mlp.linear_fc2.weight",
      "decoder.layers.2.mlp.linear_fc2._extra_state",
      "decoder.layers.3.pre_mlp_layernorm.weight", "decoder.layers.3.mlp.router.weight",
      "decoder.layers.3.mlp.router.expert_bias",
      "decoder.layers.3.mlp.experts.local_experts.0.linear_fc1.weight",
      "decoder.layers.3.mlp.experts.local_experts.0.linear_fc1._extra_state",
      "decoder.layers.3.mlp.experts.local_experts.0.linear_fc2.weight",
      "decoder.layers.3.mlp.experts.local_experts.0.linear_fc2._extra_state",
      "decoder.layers.3.mlp.experts.local_experts.1.linear_fc1.weight",
      "decoder.layers.3.mlp.experts.local_experts.1.linear_fc1._extra_state",
      "decoder.layers.3.mlp.experts.local_experts.1.linear_fc2.weight",
      "decoder.layers.3.mlp.experts.local_experts.1.linear_fc2._extra_state",
      "decoder.layers.3.mlp.shared_experts.linear_fc1.weight",
      "decoder.layers.3.mlp.shared_experts.linear_fc1._extra_state",
      "decoder.layers.3.mlp.shared_experts.linear_fc2.weight",
      "decoder.layers.3.mlp.shared_experts.linear_fc2._extra_state",
      "decoder.final_norm.weight", "output_layer.weight", "output_layer._extra_state",
  };
  EXPECT_EQ(megatronKeys(registry), expected);
  // Local-spec linears store None, Transformer Engine attention an empty uint8 tensor.
  for (const ResolvedMapping& entry : registry.expand()) {
    if (entry.megatron == "decoder.layers.0.mixer.in_proj._extra_state") EXPECT_EQ(entry.row->value, EntryValue::None);
    if (entry.megatron == "decoder.layers.1.self_attention.core_attention._extra_state") {
      EXPECT_EQ(entry.row->value, EntryValue::EmptyBytes);
    }
  }
}

TEST(NemotronHRegistry, BothConv1dSpellings) {
  ModelDims d = smallDims();
  Registry current = buildNemotronHRegistry(d);
  EXPECT_EQ(current.megatronToHf("decoder.layers.0.mixer.conv1d_weight")->hf.front(),
            "backbone.layers.0.mixer.conv1d.weight");
  EXPECT_EQ(current.hfToMegatron("backbone.layers.0.mixer.conv1d.bias")->megatron, "decoder.layers.0.mixer.conv1d_bias");
  RegistryOptions legacy;
  legacy.conv1d = Conv1dNaming::Legacy;
  Registry old = buildNemotronHRegistry(d, legacy);
  EXPECT_EQ(old.hfToMegatron("backbone.layers.0.mixer.conv1d.weight")->megatron, "decoder.layers.0.mixer.conv1d.weight");
  EXPECT_EQ(old.megatronToHf("decoder.layers.0.mixer.conv1d.bias")->hf.front(), "backbone.layers.0.mixer.conv1d.bias");
}

TEST(NemotronHRegistry, MtpFlatteningExamplesFromReference) {
  // L = 2, pattern `*E`, depth 2: HF flat index = outer*L + inner (megatron-bridge-conversion.md §2.5).
  ModelDims d = smallDims();
  d.mtpDepths = 2;
  d.experts = 8;
  Registry registry = buildNemotronHRegistry(d);
  EXPECT_EQ(registry.megatronToHf("mtp.layers.1.mtp_model_layer.layers.0.self_attention.linear_qkv.weight")->hf.front(),
            "mtp.layers.2.mixer.q_proj.weight");
  EXPECT_EQ(registry.megatronToHf("mtp.layers.1.mtp_model_layer.layers.1.mlp.experts.linear_fc1.weight5")->hf.front(),
            "mtp.layers.3.mixer.experts.5.up_proj.weight");
  EXPECT_EQ(registry.hfToMegatron("mtp.layers.2.eh_proj.weight")->megatron, "mtp.layers.1.eh_proj.weight");
  EXPECT_EQ(registry.hfToMegatron("mtp.layers.2.enorm.weight")->megatron, "mtp.layers.1.enorm.weight");
  EXPECT_EQ(registry.hfToMegatron("mtp.layers.3.final_layernorm.weight")->megatron, "mtp.layers.1.final_layernorm.weight");
  EXPECT_EQ(registry.hfToMegatron("mtp.layers.3.norm.weight")->megatron,
            "mtp.layers.1.mtp_model_layer.layers.1.pre_mlp_layernorm.weight");
  EXPECT_EQ(registry.hfToMegatron("mtp.layers.3.mixer.gate.e_score_correction_bias")->megatron,
            "mtp.layers.1.mtp_model_layer.layers.1.mlp.router.expert_bias");
}

// Every HF parameter maps to exactly one Megatron name and back; nothing unmapped.
void expectOneToOne(const config::HfConfig& config, const std::string& source) {
  ModelDims dims = dimsFromHfConfig(config, source);
  for (Naming naming : {Naming::TransformerEngine, Naming::Local}) {
    RegistryOptions options;
    options.naming = naming;
    options.experts = naming == Naming::Local ? ExpertStorage::Sequential : ExpertStorage::Grouped;
    Registry registry = buildNemotronHRegistry(dims, options);
    std::map<std::string, int> hfUses;
    std::set<std::string> megatron;
    std::map<std::string, Shape> hfShapes;
    for (const ResolvedMapping& entry : registry.expand()) {
      ASSERT_TRUE(megatron.insert(entry.megatron).second) << source << ": " << entry.megatron << " twice";
      for (std::size_t i = 0; i < entry.hf.size(); ++i) {
        ++hfUses[entry.hf[i]];
        hfShapes[entry.hf[i]] = entry.row->hfShapes[i];
      }
    }
    const std::vector<model::HfParameter> parameters = model::hfParameters(config);
    ASSERT_EQ(hfUses.size(), parameters.size()) << source;
    for (const model::HfParameter& parameter : parameters) {
      ASSERT_EQ(hfUses[parameter.name], 1) << source << ": " << parameter.name;
      EXPECT_EQ(hfShapes[parameter.name], parameter.shape) << source << ": " << parameter.name;
      auto toMegatron = registry.hfToMegatron(parameter.name);
      ASSERT_TRUE(toMegatron) << source << ": " << parameter.name;
      auto back = registry.megatronToHf(toMegatron->megatron);
      ASSERT_TRUE(back) << toMegatron->megatron;
      EXPECT_NE(std::find(back->hf.begin(), back->hf.end(), parameter.name), back->hf.end()) << parameter.name;
    }
  }
}

TEST(NemotronHRegistry, EveryPresetMapsOneToOne) {
  for (const std::string& preset : fixture::presetNames()) {
    SCOPED_TRACE(preset);
    expectOneToOne(config::parseHfConfig(fixture::presetConfig(preset, DType::BF16), preset), preset);
  }
}

TEST(NemotronHRegistry, EveryPublishedConfigMapsOneToOne) {
  int seen = 0;
  for (const auto& file : std::filesystem::directory_iterator(nhb::testing::sourceDir() / "fixtures/configs")) {
    if (file.path().extension() != ".json") continue;
    SCOPED_TRACE(file.path().filename().string());
    expectOneToOne(config::loadHfConfig(file.path()), file.path().filename().string());
    ++seen;
  }
  EXPECT_GE(seen, 10);
}

TEST(NemotronHRegistry, LinearBiasesAreUnsupported) {
  config::HfConfig config;
  config.pattern = "M";
  config.useBias = true;
  try {
    dimsFromHfConfig(config, "config.json");
    FAIL();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(error.what()).find("config.json: use_bias"), std::string::npos);
  }
}

}  // namespace
}  // namespace nhb::mapping
