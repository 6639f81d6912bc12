// The generic registry: lookups in both directions, registration order, first match wins,
// exact rows and wildcard rows mixed, q/k/v resolving to one mapping.
#include <gtest/gtest.h>

#include "bridge/mapping/registry.h"

namespace nhb::mapping {
namespace {

MappingRow row(std::string megatron, std::vector<std::string> hf) {
  MappingRow out;
  out.megatron = NamePattern(std::move(megatron));
  for (std::string& name : hf) {
    out.hf.emplace_back(std::move(name));
    out.hfShapes.push_back({1});
  }
  return out;
}

TEST(Registry, WildcardLookupsBothWays) {
  Registry registry;
  registry.add(row("decoder.layers.*.mixer.in_proj.weight", {"backbone.layers.*.mixer.in_proj.weight"}));
  auto forward = registry.megatronToHf("decoder.layers.11.mixer.in_proj.weight");
  ASSERT_TRUE(forward);
  EXPECT_EQ(forward->hf, std::vector<std::string>{"backbone.layers.11.mixer.in_proj.weight"});
  auto backward = registry.hfToMegatron("backbone.layers.11.mixer.in_proj.weight");
  ASSERT_TRUE(backward);
  EXPECT_EQ(backward->megatron, "decoder.layers.11.mixer.in_proj.weight");
  EXPECT_FALSE(registry.megatronToHf("decoder.layers.x.mixer.in_proj.weight"));
  EXPECT_FALSE(registry.hfToMegatron("backbone.layers.1.mixer.out_proj.weight"));
}

TEST(Registry, FirstRegisteredMatchWins) {
  // Two Megatron names for one HF norm (TE fused vs separate): reverse lookup returns the first.
  Registry registry;
  registry.add(row("decoder.layers.*.mixer.in_proj.layer_norm_weight", {"backbone.layers.*.norm.weight"}));
  registry.add(row("decoder.layers.*.norm.weight", {"backbone.layers.*.norm.weight"}));
  EXPECT_EQ(registry.hfToMegatron("backbone.layers.0.norm.weight")->megatron,
            "decoder.layers.0.mixer.in_proj.layer_norm_weight");
  EXPECT_EQ(registry.megatronToHf("decoder.layers.0.norm.weight")->hf.front(), "backbone.layers.0.norm.weight");
}

TEST(Registry, ExactRowRegisteredAfterWildcardLoses) {
  Registry registry;
  registry.add(row("a.*", {"first.*"}));
  registry.add(row("a.1", {"second"}));
  EXPECT_EQ(registry.megatronToHf("a.1")->hf.front(), "first.1");
  EXPECT_EQ(registry.hfToMegatron("second")->megatron, "a.1");
}

TEST(Registry, ExactRowRegisteredFirstWins) {
  Registry registry;
  registry.add(row("a.1", {"second"}));
  registry.add(row("a.*", {"first.*"}));
  EXPECT_EQ(registry.megatronToHf("a.1")->hf.front(), "second");
  EXPECT_EQ(registry.megatronToHf("a.2")->hf.front(), "first.2");
}

TEST(Registry, AnyOfQkvFindsTheFusedMapping) {
  Registry registry;
  registry.add(row("decoder.layers.*.self_attention.linear_qkv.weight",
                   {"backbone.layers.*.mixer.q_proj.weight", "backbone.layers.*.mixer.k_proj.weight",
                    "backbone.layers.*.mixer.v_proj.weight"}));
  auto resolved = registry.hfToMegatron("backbone.layers.3.mixer.v_proj.weight");
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->megatron, "decoder.layers.3.self_attention.linear_qkv.weight");
  EXPECT_EQ(resolved->hf, (std::vector<std::string>{"backbone.layers.3.mixer.q_proj.weight",
                                                    "backbone.layers.3.mixer.k_proj.weight",
                                                    "backbone.layers.3.mixer.v_proj.weight"}));
}

TEST(Registry, RowsWithoutHfSourceAreNotLookedUp) {
  Registry registry;
  MappingRow extra;
  extra.megatron = NamePattern("output_layer._extra_state");
  extra.value = EntryValue::None;
  registry.add(extra);
  EXPECT_FALSE(registry.megatronToHf("output_layer._extra_state"));
  EXPECT_EQ(registry.expand().size(), 1u);
}

TEST(Registry, ExpandRunsWildcardRowsOverInstances) {
  Registry registry;
  MappingRow experts = row("l.0.experts.linear_fc1.weight*", {"l.0.experts.*.up_proj.weight"});
  experts.instances = 3;
  registry.add(experts);
  auto all = registry.expand();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[2].megatron, "l.0.experts.linear_fc1.weight2");
  EXPECT_EQ(all[2].hf.front(), "l.0.experts.2.up_proj.weight");
}

}  // namespace
}  // namespace nhb::mapping
