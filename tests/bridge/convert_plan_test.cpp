// Plans from configs alone: placement of every entry on (tp, pp, ep) ranks, local layer numbers,
// expert ranges, local shapes, vocab padding, and the layout constraints with their errors.
#include <gtest/gtest.h>

#include <set>

#include "bridge/config/hf_config.h"
#include "bridge/convert/plan.h"
#include "bridge/core/error.h"
#include "bridge/fixture/fixture_configs.h"

namespace nhb::convert {
namespace {

mapping::ModelDims presetDims(const std::string& preset) {
  return mapping::dimsFromHfConfig(config::parseHfConfig(fixture::presetConfig(preset, DType::BF16), preset), preset);
}

const PlanEntry* findEntry(const Plan& plan, const Rank& rank, const std::string& key) {
  for (const RankPlan& r : plan.ranks) {
    if (!(r.rank == rank)) continue;
    for (const PlanEntry& entry : r.entries) {
      if (entry.key == key) return &entry;
    }
  }
  return nullptr;
}

std::string errorOf(const mapping::ModelDims& dims, const Layout& layout) {
  try {
    planConversion(dims, layout, "config.json");
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    return error.what();
  }
  return "";
}

TEST(ConvertPlan, RankDirectoryNames) {
  Layout layout;
  EXPECT_EQ(rankDirName({1, 0, 0}, layout), "mp_rank_01");
  layout.pp = 2;
  EXPECT_EQ(rankDirName({1, 1, 0}, layout), "mp_rank_01_001");
  layout.ep = 4;
  EXPECT_EQ(rankDirName({0, 1, 3}, layout), "mp_rank_00_001_003");
  layout.pp = 1;
  EXPECT_EQ(rankDirName({2, 0, 3}, layout), "mp_rank_02_003");
}

TEST(ConvertPlan, PaddedVocabSize) {
  EXPECT_EQ(paddedVocabSize(131072, 128, 8), 131072);  // 128*8 divides 131072
  EXPECT_EQ(paddedVocabSize(100, 128, 2), 256);
  EXPECT_EQ(paddedVocabSize(257, 128, 1), 384);
}

TEST(ConvertPlan, PipelineStagesUseLocalLayerNumbers) {
  // dense: M-M*-M-M*- (10 layers), pp 2 -> stage 1 holds global layers 5..9 as local 0..4.
  Layout layout;
  layout.pp = 2;
  Plan plan = planConversion(presetDims("dense"), layout, "dense");
  ASSERT_EQ(plan.ranks.size(), 2u);
  const PlanEntry* entry = findEntry(plan, {0, 1, 0}, "decoder.layers.1.mlp.linear_fc1.weight");
  ASSERT_TRUE(entry);  // global layer 6 is '-'
  EXPECT_EQ(entry->globalName, "decoder.layers.6.mlp.linear_fc1.weight");
  EXPECT_EQ(entry->sources, std::vector<std::string>{"backbone.layers.6.mixer.up_proj.weight"});
  EXPECT_TRUE(findEntry(plan, {0, 0, 0}, "embedding.word_embeddings.weight"));
  EXPECT_FALSE(findEntry(plan, {0, 1, 0}, "embedding.word_embeddings.weight"));
  EXPECT_FALSE(findEntry(plan, {0, 0, 0}, "decoder.final_norm.weight"));
  EXPECT_TRUE(findEntry(plan, {0, 1, 0}, "decoder.final_norm.weight"));
  EXPECT_TRUE(findEntry(plan, {0, 1, 0}, "output_layer.weight"));
  EXPECT_TRUE(findEntry(plan, {0, 1, 0}, "output_layer._extra_state"));
  EXPECT_FALSE(findEntry(plan, {0, 0, 0}, "decoder.layers.5.mixer.A_log"));
}

TEST(ConvertPlan, ExplicitPipelineLayout) {
  Layout layout;
  layout.pp = 2;
  layout.pipelinePattern = "M-M*-M-|M*-";
  Plan plan = planConversion(presetDims("dense"), layout, "dense");
  EXPECT_EQ(plan.stages.firstLayer, (std::vector<int64_t>{0, 7, 10}));
  EXPECT_EQ(findEntry(plan, {0, 1, 0}, "decoder.layers.1.self_attention.linear_qkv.weight")->globalName,
            "decoder.layers.8.self_attention.linear_qkv.weight");
  layout.pipelinePattern = "M-M*-M-M*-|";
  EXPECT_NE(errorOf(presetDims("dense"), layout).find("empty stage"), std::string::npos);
}

TEST(ConvertPlan, MtpLivesOnTheLastStageWithItsOwnEmbedding) {
  Layout layout;
  layout.pp = 2;
  Plan plan = planConversion(presetDims("latent-moe-mtp"), layout, "latent-moe-mtp");
  EXPECT_TRUE(findEntry(plan, {0, 1, 0}, "mtp.layers.0.eh_proj.weight"));
  EXPECT_FALSE(findEntry(plan, {0, 0, 0}, "mtp.layers.0.eh_proj.weight"));
  EXPECT_TRUE(findEntry(plan, {0, 0, 0}, "embedding.word_embeddings.weight"));
  EXPECT_TRUE(findEntry(plan, {0, 1, 0}, "embedding.word_embeddings.weight"));
  // Export reads the embedding once.
  int embeddingTasks = 0;
  for (const ExportTask& task : planExport(plan)) embeddingTasks += task.targets.front() == "backbone.embeddings.weight";
  EXPECT_EQ(embeddingTasks, 1);
}

TEST(ConvertPlan, ExpertsSplitIntoContiguousRangesWithLocalIds) {
  // moe: 8 experts, ep 2 -> ep rank 1 holds global experts 4..7 as local 0..3.
  Layout layout;
  layout.ep = 2;
  Plan plan = planConversion(presetDims("moe"), layout, "moe");
  ASSERT_EQ(plan.ranks.size(), 2u);
  const PlanEntry* entry = findEntry(plan, {0, 0, 1}, "decoder.layers.1.mlp.experts.linear_fc1.weight0");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->sources, std::vector<std::string>{"backbone.layers.1.mixer.experts.4.up_proj.weight"});
  EXPECT_FALSE(findEntry(plan, {0, 0, 1}, "decoder.layers.1.mlp.experts.linear_fc1.weight4"));
  // Non-expert tensors are on every EP rank.
  EXPECT_TRUE(findEntry(plan, {0, 0, 1}, "decoder.layers.1.mlp.router.weight"));

  layout.naming = mapping::Naming::Local;
  Plan local = planConversion(presetDims("moe"), layout, "moe");
  entry = findEntry(local, {0, 0, 1}, "decoder.layers.1.mlp.experts.local_experts.3.linear_fc2.weight");
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->sources, std::vector<std::string>{"backbone.layers.1.mixer.experts.7.down_proj.weight"});
}

TEST(ConvertPlan, LocalShapesFollowTheTpRule) {
  // moe preset: hidden 64, 32 heads / 4 KV heads of 16, Mamba 16 heads x 8, 8 groups x state 16,
  // experts F 32, shared 64, vocab 512.
  Layout layout;
  layout.tp = 2;
  Plan plan = planConversion(presetDims("moe"), layout, "moe");
  auto shape = [&](const std::string& key) { return findEntry(plan, {1, 0, 0}, key)->shape; };
  EXPECT_EQ(shape("embedding.word_embeddings.weight"), (Shape{256, 64}));
  // in_proj: 2*128 + 2*128 + 16 = 528 rows -> 264 per rank.
  EXPECT_EQ(shape("decoder.layers.0.mixer.in_proj.weight"), (Shape{264, 64}));
  EXPECT_EQ(shape("decoder.layers.0.mixer.conv1d_weight"), (Shape{192, 1, 4}));
  EXPECT_EQ(shape("decoder.layers.0.mixer.A_log"), (Shape{8}));
  EXPECT_EQ(shape("decoder.layers.0.mixer.out_proj.weight"), (Shape{64, 64}));
  EXPECT_EQ(shape("decoder.layers.0.mixer.in_proj.layer_norm_weight"), (Shape{64}));
  // qkv: (32 + 2*4) * 16 = 640 rows -> 320.
  EXPECT_EQ(shape("decoder.layers.3.self_attention.linear_qkv.weight"), (Shape{320, 64}));
  EXPECT_EQ(shape("decoder.layers.3.self_attention.linear_proj.weight"), (Shape{64, 256}));
  // etp 1: experts whole on every TP rank; shared experts split over TP.
  EXPECT_EQ(shape("decoder.layers.1.mlp.experts.linear_fc1.weight0"), (Shape{32, 64}));
  EXPECT_EQ(shape("decoder.layers.1.mlp.shared_experts.linear_fc1.weight"), (Shape{32, 64}));
  EXPECT_EQ(shape("decoder.layers.1.mlp.router.weight"), (Shape{8, 64}));
  layout.etp = 2;
  Plan etp = planConversion(presetDims("moe"), layout, "moe");
  EXPECT_EQ(findEntry(etp, {1, 0, 0}, "decoder.layers.1.mlp.experts.linear_fc2.weight0")->shape, (Shape{64, 16}));
}

TEST(ConvertPlan, VocabPaddingAddsZeroRowsAtTheEnd) {
  Layout layout;
  layout.tp = 4;
  layout.padVocab = true;
  layout.vocabDivisibleBy = 100;  // 512 -> 800 = 2 * 100 * 4
  Plan plan = planConversion(presetDims("dense"), layout, "dense");
  EXPECT_EQ(plan.megatronVocab, 800);
  const PlanEntry* last = findEntry(plan, {3, 0, 0}, "output_layer.weight");
  EXPECT_EQ(last->shape, (Shape{200, 64}));
  ASSERT_EQ(last->blocks.size(), 1u);
  EXPECT_EQ(last->blocks[0].source, mapping::kZeroSource);
  const PlanEntry* third = findEntry(plan, {2, 0, 0}, "embedding.word_embeddings.weight");
  ASSERT_EQ(third->blocks.size(), 2u);
  EXPECT_EQ(third->blocks[0].row0, 400);
  EXPECT_EQ(third->blocks[0].rows, 112);
  EXPECT_EQ(third->blocks[1].rows, 88);
}

TEST(ConvertPlan, ExtraStatesAsMegatronWritesThem) {
  Plan te = planConversion(presetDims("dense"), Layout{}, "dense");
  EXPECT_EQ(findEntry(te, {0, 0, 0}, "decoder.layers.0.mixer.in_proj._extra_state")->value, mapping::EntryValue::EmptyBytes);
  EXPECT_EQ(findEntry(te, {0, 0, 0}, "output_layer._extra_state")->value, mapping::EntryValue::None);
  Layout local;
  local.naming = mapping::Naming::Local;
  Plan plan = planConversion(presetDims("dense"), local, "dense");
  EXPECT_EQ(findEntry(plan, {0, 0, 0}, "decoder.layers.0.mixer.in_proj._extra_state")->value, mapping::EntryValue::None);
}

TEST(ConvertPlan, MambaGroupsMustDivideTp) {
  mapping::ModelDims dims = presetDims("dense");  // n_groups 8, 16 Mamba heads
  Layout layout;
  layout.tp = 16;
  EXPECT_NE(errorOf(dims, layout).find("n_groups (mamba_num_groups) (8) must be divisible by tp (16)"), std::string::npos);
}

TEST(ConvertPlan, MambaHeadsMustDivideTp) {
  mapping::ModelDims dims = presetDims("dense");
  dims.mambaGroups = 1;
  dims.mambaHeads = 6;
  Layout layout;
  layout.tp = 4;
  EXPECT_NE(errorOf(dims, layout).find("mamba_num_heads (6) must be divisible by tp (4)"), std::string::npos);
}

TEST(ConvertPlan, QueryGroupsMustDivideTp) {
  mapping::ModelDims dims = presetDims("dense");  // 4 KV heads
  dims.pattern = "*-";
  Layout layout;
  layout.tp = 8;
  EXPECT_NE(errorOf(dims, layout).find("num_query_groups) (4) must be divisible by tp (8)"), std::string::npos);
}

TEST(ConvertPlan, ExpertsMustDivideEp) {
  Layout layout;
  layout.ep = 3;
  EXPECT_NE(errorOf(presetDims("moe"), layout).find("num_moe_experts) (8) must be divisible by ep (3)"),
            std::string::npos);
  EXPECT_NE(errorOf(presetDims("dense"), Layout{1, 1, 2}).find("needs routed experts"), std::string::npos);
}

TEST(ConvertPlan, LayersMustSplitEvenlyOverStages) {
  Layout layout;
  layout.pp = 3;
  EXPECT_NE(errorOf(presetDims("dense"), layout).find("num_layers (layers in the pattern) (10) must be divisible by pp"),
            std::string::npos);
}

TEST(ConvertPlan, EtpMustBeOneOrTp) {
  Layout layout;
  layout.tp = 4;
  layout.etp = 2;
  EXPECT_NE(errorOf(presetDims("moe"), layout).find("etp must be 1 or equal to tp"), std::string::npos);
}

}  // namespace
}  // namespace nhb::convert
