// Per-layer comparison, the first diverging layer, thresholds, and the forward checks built from
// the comparisons.
#include <cmath>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "bridge/core/error.h"
#include "harness/compare/forward_checks.h"
#include "harness/compare/layer_compare.h"
#include "harness/compare/tolerance.h"

namespace nhb::harness {
namespace {

NamedTensors captures(const std::vector<at::Tensor>& tensors) {
  NamedTensors out;
  out.emplace_back("embeddings", tensors[0]);
  for (size_t i = 1; i + 1 < tensors.size(); ++i) out.emplace_back("layers." + std::to_string(i - 1), tensors[i]);
  out.emplace_back("norm_f", tensors.back());
  return out;
}

TEST(Tolerance, DefaultsFollowAssertClose) {
  EXPECT_EQ(defaultTolerance(at::kFloat).rtol, 1.3e-6);
  EXPECT_EQ(defaultTolerance(at::kFloat).atol, 1e-5);
  EXPECT_EQ(defaultTolerance(at::kBFloat16).rtol, 1.6e-2);
  EXPECT_EQ(defaultTolerance(at::kBFloat16).atol, 1e-5);
  EXPECT_EQ(defaultTolerance(at::kHalf).rtol, 1e-3);
  EXPECT_EQ(defaultTolerance(at::kHalf).atol, 1e-5);
  EXPECT_EQ(defaultTolerance(at::kDouble).rtol, 1e-7);
  EXPECT_EQ(defaultTolerance(DType::BF16).rtol, 1.6e-2);
  EXPECT_EQ(defaultTolerance(DType::I32).atol, 0);
  EXPECT_EQ(defaultTolerance(DType::F8E4M3).rtol, 0);
}

TEST(Tolerance, ForwardThresholdsUseTheDtypeTolerance) {
  ForwardThresholds bf16 = forwardThresholdsFor(at::kBFloat16);
  EXPECT_EQ(bf16.logits.rtol, 1.6e-2);
  EXPECT_EQ(bf16.layers.rtol, 1.6e-2);
  ForwardThresholds f32 = forwardThresholdsFor(at::kFloat);
  EXPECT_GT(f32.minCosine, bf16.minCosine);  // tighter at higher precision
  EXPECT_LT(f32.maxKl, bf16.maxKl);
}

TEST(Tolerance, OverridesReplaceNamedFields) {
  ForwardThresholds t = forwardThresholdsFor(at::kFloat);
  applyThresholdOverrides(t, nlohmann::json{{"atol", 0.5}, {"min_cosine", 0.9}, {"layer_rtol", 0.25}}, "t.json");
  EXPECT_EQ(t.logits.atol, 0.5);
  EXPECT_EQ(t.logits.rtol, 1.3e-6);
  EXPECT_EQ(t.minCosine, 0.9);
  EXPECT_EQ(t.layers.rtol, 0.25);
}

TEST(Tolerance, UnknownOverrideKeyIsBadInputNamingKeyAndFile) {
  ForwardThresholds t = forwardThresholdsFor(at::kFloat);
  try {
    applyThresholdOverrides(t, nlohmann::json{{"min_cosin", 0.9}}, "t.json");
    FAIL() << "expected BadInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("t.json"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("min_cosin"), std::string::npos);
  }
}

TEST(Tolerance, NegativeOverrideIsBadInput) {
  ForwardThresholds t;
  EXPECT_THROW(applyThresholdOverrides(t, nlohmann::json{{"atol", -1}}, "t.json"), Error);
}

TEST(Tolerance, NonNumericOverrideIsBadInput) {
  ForwardThresholds t;
  EXPECT_THROW(applyThresholdOverrides(t, nlohmann::json{{"atol", "1e-3"}}, "t.json"), Error);
}

TEST(Tolerance, LimitsFromTheThresholdsFileWin) {
  verify::ForwardLimits limits;
  limits.rtol = 0.1;
  limits.atol = 0.2;
  limits.cosineMin = 0.5;
  limits.klMax = 0.3;
  limits.top1Min = 0.7;
  ForwardThresholds t = forwardThresholdsFrom(limits, at::kFloat);
  EXPECT_EQ(t.logits.rtol, 0.1);
  EXPECT_EQ(t.layers.atol, 0.2);
  EXPECT_EQ(t.minCosine, 0.5);
  EXPECT_EQ(t.maxKl, 0.3);
  EXPECT_EQ(t.minTop1Agreement, 0.7);
  EXPECT_EQ(t.maxNmse, forwardThresholdsFor(at::kFloat).maxNmse);
}

TEST(CompareLayers, FindsTheFirstDivergingLayer) {
  // Five captures [1, 2, 4]. layers.0 differs by 1e-6 (inside atol 1e-5 + rtol 1.3e-6 |ref|);
  // layers.1 by 1e-2 (outside), and so does everything after it.
  std::vector<at::Tensor> ref, test;
  for (int i = 0; i < 5; ++i) ref.push_back(at::full({1, 2, 4}, 1.0 + i, at::kFloat));
  test = {ref[0].clone(), ref[1] + 1e-6, ref[2] + 1e-2, ref[3] + 2e-2, ref[4] + 3e-2};
  LayerComparison c = compareLayers(captures(ref), captures(test), defaultTolerance(at::kFloat));
  ASSERT_EQ(c.layers.size(), 5u);
  ASSERT_TRUE(c.firstDiverging.has_value());
  EXPECT_EQ(*c.firstDiverging, 2u);
  EXPECT_EQ(c.layers[2].name, "layers.1");
  EXPECT_FALSE(c.layers[1].diverged);
  EXPECT_NEAR(c.layers[1].maxAbsDiff, 1e-6, 1e-7);
  EXPECT_TRUE(c.layers[2].diverged);
  EXPECT_EQ(c.layers[2].mismatchedElements, 8);
  EXPECT_NEAR(c.layers[2].maxAbsDiff, 1e-2, 1e-6);
  EXPECT_NEAR(c.layers[2].maxAbsReference, 3.0, 1e-6);
  EXPECT_NEAR(c.layers[2].cosineMin, 1, 1e-9);  // a constant shift of a constant vector
}

TEST(CompareLayers, NoDivergenceWhenIdentical) {
  std::vector<at::Tensor> ref;
  for (int i = 0; i < 3; ++i) ref.push_back(at::randn({2, 3, 5}));
  LayerComparison c = compareLayers(captures(ref), captures(ref), defaultTolerance(at::kFloat));
  EXPECT_FALSE(c.firstDiverging.has_value());
  for (const LayerDiff& layer : c.layers) EXPECT_EQ(layer.maxAbsDiff, 0);
}

TEST(CompareLayers, MaskLimitsThePositionsCompared) {
  at::Tensor ref = at::zeros({1, 2, 3});
  at::Tensor test = ref.clone();
  test[0][0][0] = 1;  // padded position
  NamedTensors r{{"layers.0", ref}}, t{{"layers.0", test}};
  LayerComparison c = compareLayers(r, t, defaultTolerance(at::kFloat), at::tensor(std::vector<int64_t>{0, 1}));
  EXPECT_FALSE(c.firstDiverging.has_value());
}

TEST(CompareLayersErrors, MissingLayerNamesIt) {
  NamedTensors r{{"layers.0", at::zeros({2, 2})}, {"layers.1", at::zeros({2, 2})}};
  NamedTensors t{{"layers.0", at::zeros({2, 2})}};
  try {
    compareLayers(r, t, {});
    FAIL() << "expected BadInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("layers.1"), std::string::npos) << error.what();
  }
}

TEST(CompareLayersErrors, ReorderedLayersAreBadInput) {
  NamedTensors r{{"layers.0", at::zeros({2, 2})}, {"layers.1", at::zeros({2, 2})}};
  NamedTensors t{{"layers.1", at::zeros({2, 2})}, {"layers.0", at::zeros({2, 2})}};
  try {
    compareLayers(r, t, {});
    FAIL() << "expected BadInput";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("different order"), std::string::npos) << error.what();
  }
}

TEST(CompareLayersErrors, ExtraTestLayerIsBadInput) {
  NamedTensors r{{"layers.0", at::zeros({2, 2})}};
  NamedTensors t{{"layers.0", at::zeros({2, 2})}, {"norm_f", at::zeros({2, 2})}};
  EXPECT_THROW(compareLayers(r, t, {}), Error);
}

TEST(CompareLayersErrors, ShapeMismatchNamesTheLayer) {
  NamedTensors r{{"layers.0", at::zeros({2, 2})}};
  NamedTensors t{{"layers.0", at::zeros({2, 3})}};
  try {
    compareLayers(r, t, {});
    FAIL() << "expected BadInput";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("layer layers.0"), std::string::npos) << error.what();
  }
}

TEST(ForwardChecks, LayerChecksNameTheFirstDivergingLayer) {
  std::vector<at::Tensor> ref, test;
  for (int i = 0; i < 4; ++i) ref.push_back(at::full({1, 2, 4}, 1.0, at::kFloat));
  test = {ref[0], ref[1], ref[2] + 0.5, ref[3] + 0.5};
  const ForwardThresholds thresholds = forwardThresholdsFor(at::kFloat);
  LayerComparison c = compareLayers(captures(ref), captures(test), thresholds.layers);
  std::vector<verify::Check> checks = makeLayerChecks("hf_vs_megatron", "HF vs Megatron hidden states", c, thresholds);
  ASSERT_EQ(checks.size(), 5u);  // summary + 4 layers
  const verify::Check& summary = checks[0];
  EXPECT_EQ(summary.id, "forward.layers.hf_vs_megatron");
  EXPECT_EQ(summary.verdict, verify::Verdict::Fail);
  EXPECT_NE(summary.message.find("first diverging layer: layers.1"), std::string::npos) << summary.message;
  EXPECT_EQ(summary.metrics.get("first_diverging_index"), 2.0);
  EXPECT_EQ(summary.metrics.get("diverged_count"), 2.0);
  ASSERT_EQ(summary.series.size(), 1u);
  EXPECT_TRUE(summary.series[0].logScale);
  EXPECT_EQ(summary.series[0].xTicks[2], "layers.1");
  EXPECT_EQ(checks[1].id, "forward.layer.hf_vs_megatron.embeddings");
  EXPECT_EQ(checks[1].verdict, verify::Verdict::Pass);
  EXPECT_EQ(checks[3].verdict, verify::Verdict::Fail);
}

TEST(ForwardChecks, LogitsCheckPassesForIdenticalLogits) {
  at::Tensor a = at::randn({2, 4, 9});
  const ForwardThresholds thresholds = forwardThresholdsFor(at::kFloat);
  verify::Check check = makeLogitsCheck("logits", "hf_vs_megatron", "HF vs Megatron logits",
                                        compareLogits(a, a.clone(), at::Tensor(), thresholds.logits), thresholds);
  EXPECT_EQ(check.id, "forward.logits.hf_vs_megatron");
  EXPECT_EQ(check.category, verify::CheckCategory::Forward);
  EXPECT_EQ(check.verdict, verify::Verdict::Pass) << check.message;
  EXPECT_EQ(check.metrics.get("positions"), 8.0);
  ASSERT_EQ(check.series.size(), 1u);
  EXPECT_EQ(check.series[0].values.size(), 8u);
}

TEST(ForwardChecks, LogitsCheckFailsNamingMetricsAndLocation) {
  at::Tensor ref = at::randn({1, 3, 6});
  at::Tensor test = ref.clone();
  test[0][1][4] += 3.0;
  const ForwardThresholds thresholds = forwardThresholdsFor(at::kFloat);
  verify::Check check = makeLogitsCheck("logits", "hf_vs_export", "HF vs exported HF logits",
                                        compareLogits(ref, test, at::Tensor(), thresholds.logits), thresholds);
  EXPECT_EQ(check.verdict, verify::Verdict::Fail);
  EXPECT_NE(check.message.find("1 of 18 elements outside"), std::string::npos) << check.message;
  EXPECT_NE(check.message.find("position 1, index 4"), std::string::npos) << check.message;
  EXPECT_NE(check.message.find("cosine_min"), std::string::npos) << check.message;
  EXPECT_EQ(check.details["max_abs_diff_at"]["index"], 4);
}

TEST(ForwardChecks, LogitsCheckWithLooseThresholdsPasses) {
  at::Tensor ref = at::rand({1, 3, 6}) + 1;  // |ref| >= 1: inside bf16's rtol for a 1e-3 shift
  at::Tensor test = ref + 1e-3;
  ForwardThresholds loose = forwardThresholdsFor(at::kBFloat16);
  loose.maxNmse = 1;
  verify::Check check = makeLogitsCheck("logits", "p", "t", compareLogits(ref, test, at::Tensor(), loose.logits), loose);
  EXPECT_EQ(check.verdict, verify::Verdict::Pass) << check.message;
}

}  // namespace
}  // namespace nhb::harness
