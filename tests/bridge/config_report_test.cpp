// Renderings used by `nhbridge config`.
#include "bridge/config/config_report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace nhb::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ConfigReport, ProviderTextListsFieldsWithValues) {
  ProviderConfig p;
  p.hidden_size = 4096;
  p.hybrid_layer_pattern = "M*";
  std::string text = providerToText(p);
  EXPECT_THAT(text, HasSubstr("hidden_size"));
  EXPECT_THAT(text, HasSubstr("4096\n"));
  EXPECT_THAT(text, HasSubstr("num_moe_experts"));
  EXPECT_THAT(text, HasSubstr("(unset)"));
  EXPECT_THAT(text, HasSubstr("hybrid_layer_pattern"));
}

TEST(ConfigReport, DifferencesTextShowsChangesAndSummary) {
  std::vector<ConfigDifference> diff = diffHfConfigs(
      Json{{"hidden_size", 64}, {"conv_kernel", 4}, {"max_position_embeddings", 8192}},
      Json{{"hidden_size", 64}, {"max_position_embeddings", 2048}, {"use_qk_norm", false}}, false);
  std::string text = differencesToText(diff, /*all=*/false);
  EXPECT_THAT(text, HasSubstr("conv_kernel"));
  EXPECT_THAT(text, HasSubstr("not mapped on purpose"));
  EXPECT_THAT(text, HasSubstr("UNDOCUMENTED"));
  EXPECT_THAT(text, HasSubstr("8192 -> 2048"));
  EXPECT_THAT(text, Not(HasSubstr("hidden_size ")));  // unchanged keys only with all=true
  EXPECT_THAT(text, HasSubstr("undocumented 1"));
  EXPECT_THAT(differencesToText(diff, true), HasSubstr("hidden_size"));
}

TEST(ConfigReport, DifferencesJsonHasOneObjectPerKey) {
  std::vector<ConfigDifference> diff =
      diffHfConfigs(Json{{"num_key_value_heads", 8}}, Json{{"num_key_value_heads", 8}}, false);
  Json j = differencesToJson(diff);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["hf_key"], "num_key_value_heads");
  EXPECT_EQ(j[0]["megatron_field"], "num_query_groups");
  EXPECT_EQ(j[0]["kind"], "renamed");
  EXPECT_EQ(j[0]["documented"], true);
}

}  // namespace
}  // namespace nhb::config
