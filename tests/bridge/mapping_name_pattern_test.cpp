// Wildcard semantics of megatron-bridge-conversion.md §2.1: `*` digits only, `**` anything,
// literal everything else, fill puts `**` captures first.
#include <gtest/gtest.h>

#include "bridge/mapping/name_pattern.h"

namespace nhb::mapping {
namespace {

TEST(NamePattern, StarCapturesDigitsOnly) {
  NamePattern pattern("decoder.layers.*.mlp.linear_fc1.weight");
  auto captures = pattern.match("decoder.layers.12.mlp.linear_fc1.weight");
  ASSERT_TRUE(captures);
  EXPECT_EQ(*captures, Captures{"12"});
  EXPECT_FALSE(NamePattern("layers.*").match("layers.12a"));
  EXPECT_FALSE(NamePattern("layers.*").match("layers.1.2"));
  EXPECT_FALSE(NamePattern("layers.*").match("layers."));
}

TEST(NamePattern, TrailingStarCapturesDigitSuffix) {
  NamePattern pattern("decoder.layers.*.mlp.experts.linear_fc1.weight*");
  auto captures = pattern.match("decoder.layers.3.mlp.experts.linear_fc1.weight127");
  ASSERT_TRUE(captures);
  EXPECT_EQ(*captures, (Captures{"3", "127"}));
  EXPECT_FALSE(pattern.match("decoder.layers.3.mlp.experts.linear_fc1.weight"));
}

TEST(NamePattern, DoubleStarCapturesDots) {
  NamePattern pattern("model.**.weight");
  auto captures = pattern.match("model.a.b.c.weight");
  ASSERT_TRUE(captures);
  EXPECT_EQ(*captures, Captures{"a.b.c"});
}

TEST(NamePattern, RegexCharactersAreLiteral) {
  NamePattern pattern("a.b+c(d)*");
  EXPECT_TRUE(pattern.match("a.b+c(d)7"));
  EXPECT_FALSE(pattern.match("aXb+c(d)7"));
}

TEST(NamePattern, ExactPatternHasNoWildcards) {
  NamePattern pattern("decoder.final_norm.weight");
  EXPECT_FALSE(pattern.hasWildcards());
  EXPECT_TRUE(pattern.match("decoder.final_norm.weight"));
  EXPECT_FALSE(pattern.match("decoder.final_norm.weight2"));
}

TEST(NamePattern, FillSubstitutesDoubleStarsFirst) {
  // captures ("x.y", "4"): `**` takes the first, `*` the second, wherever they appear.
  NamePattern pattern("layers.*.**.end");
  EXPECT_EQ(pattern.fill({"x.y", "4"}), "layers.4.x.y.end");
  EXPECT_EQ(NamePattern("a.*.b.*").fill({"1", "2"}), "a.1.b.2");
  EXPECT_EQ(NamePattern("a.*.b.*").fill({"1"}), "a.1.b.*");  // leftover wildcard stays
}

TEST(NamePattern, MatchThenFillRoundTrips) {
  NamePattern megatron("decoder.layers.*.mlp.experts.linear_fc2.weight*");
  NamePattern hf("backbone.layers.*.mixer.experts.*.down_proj.weight");
  auto captures = megatron.match("decoder.layers.7.mlp.experts.linear_fc2.weight5");
  ASSERT_TRUE(captures);
  EXPECT_EQ(hf.fill(*captures), "backbone.layers.7.mixer.experts.5.down_proj.weight");
}

}  // namespace
}  // namespace nhb::mapping
