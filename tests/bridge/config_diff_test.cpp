// The HF -> Megatron -> HF round-trip diff: only documented differences for every published
// config, and each kind classified as the reference describes.
#include "bridge/config/config_diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bridge/config/translate.h"
#include "support/config_files.h"
#include "support/test_support.h"

namespace nhb::config {
namespace {

using nhb::testing::kPublishedConfigs;
using nhb::testing::loadPublishedConfig;

const ConfigDifference* find(const std::vector<ConfigDifference>& diff, const std::string& key) {
  for (const auto& d : diff) {
    if (d.hfKey == key) return &d;
  }
  return nullptr;
}

std::string describe(const std::vector<ConfigDifference>& diff) {
  std::string out;
  for (const auto& d : diff) {
    if (!d.documented) {
      out += d.hfKey + " [" + differenceKindName(d.kind) + "] " + d.before.dump() + " -> " + d.after.dump() + "\n";
    }
  }
  return out;
}

TEST(RoundTripDiff, WithoutReferenceOnlyDocumentedDifferences) {
  for (const char* name : kPublishedConfigs) {
    auto diff = diffRoundTrip(loadPublishedConfig(name), /*withReference=*/false);
    EXPECT_TRUE(onlyDocumentedDifferences(diff)) << name << ":\n" << describe(diff);
    for (const auto& d : diff) {
      if (d.kind == DifferenceKind::ValueChanged) EXPECT_EQ(d.hfKey, "auto_map") << name;  // the only rewrite
      EXPECT_NE(d.kind, DifferenceKind::FromReference) << name << " " << d.hfKey;
    }
  }
}

TEST(RoundTripDiff, WithReferenceNothingChanges) {
  for (const char* name : kPublishedConfigs) {
    auto diff = diffRoundTrip(loadPublishedConfig(name), /*withReference=*/true);
    for (const auto& d : diff) {
      EXPECT_FALSE(isChange(d.kind)) << name << ": " << d.hfKey << " " << differenceKindName(d.kind);
    }
  }
}

TEST(RoundTripDiff, ClassifiesThe8BConfigByHand) {
  auto diff = diffRoundTrip(loadPublishedConfig("nemotron-h-8b-base-8k"), false);
  const ConfigDifference* d = find(diff, "num_key_value_heads");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, DifferenceKind::Renamed);
  EXPECT_EQ(d->megatronField, "num_query_groups");

  d = find(diff, "conv_kernel");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, DifferenceKind::DroppedOnPurpose);
  EXPECT_TRUE(d->documented);
  EXPECT_THAT(d->reason, ::testing::HasSubstr("not mapped on purpose: conv_kernel fixed by the layer spec"));

  d = find(diff, "attention_head_dim");  // exported as head_dim instead
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, DifferenceKind::DroppedOnPurpose);
  d = find(diff, "head_dim");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, DifferenceKind::DefaultFilled);
  EXPECT_EQ(d->after, 128);

  d = find(diff, "use_qk_norm");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, DifferenceKind::DefaultFilled);
  EXPECT_EQ(d->after, false);

  d = find(diff, "auto_map");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, DifferenceKind::ValueChanged);
  EXPECT_TRUE(d->documented);

  d = find(diff, "hybrid_override_pattern");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, DifferenceKind::Renamed);
  EXPECT_EQ(d->megatronField, "hybrid_layer_pattern");
}

TEST(RoundTripDiff, WithReferenceUncarriedKeysComeFromTheReference) {
  auto diff = diffRoundTrip(loadPublishedConfig("nvidia-nemotron-3-super-120b-a12b-bf16"), true);
  const ConfigDifference* d = find(diff, "time_step_min");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, DifferenceKind::FromReference);
  d = find(diff, "moe_latent_size");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, DifferenceKind::Renamed);
  EXPECT_EQ(find(diff, "hidden_act"), nullptr);  // not in the reference: conformed away
}

TEST(ConfigDiff, RealValueChangeIsUndocumented) {
  Json before = {{"hidden_size", 64}, {"max_position_embeddings", 8192}};
  Json after = {{"hidden_size", 64}, {"max_position_embeddings", 2048}};
  auto diff = diffHfConfigs(before, after, true);
  const ConfigDifference* d = find(diff, "max_position_embeddings");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, DifferenceKind::ValueChanged);
  EXPECT_FALSE(d->documented);
  EXPECT_EQ(d->megatronField, "seq_length");
  EXPECT_FALSE(onlyDocumentedDifferences(diff));
}

TEST(ConfigDiff, UndocumentedDropAndAddAreFlagged) {
  Json before = {{"mystery_key", 1}};
  Json after = {{"other_key", 2}};
  auto diff = diffHfConfigs(before, after, false);
  ASSERT_EQ(diff.size(), 2u);
  EXPECT_EQ(diff[0].kind, DifferenceKind::DroppedOnPurpose);
  EXPECT_FALSE(diff[0].documented);
  EXPECT_EQ(diff[1].kind, DifferenceKind::DefaultFilled);
  EXPECT_FALSE(diff[1].documented);
}

TEST(ConfigDiff, NonNullLatentSizeDropIsNotDocumented) {
  auto diff = diffHfConfigs(Json{{"moe_latent_size", 1024}}, Json::object(), false);
  EXPECT_FALSE(diff[0].documented);
  diff = diffHfConfigs(Json{{"moe_latent_size", nullptr}}, Json::object(), false);
  EXPECT_TRUE(diff[0].documented);
}

}  // namespace
}  // namespace nhb::config
