// compareLogits on small tensors whose metrics are computed by hand from the definitions.
#include <cmath>
#include <limits>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "bridge/core/error.h"
#include "harness/compare/logits_metrics.h"

namespace nhb::harness {
namespace {

at::Tensor rows(const std::vector<std::vector<double>>& values) {
  const int64_t n = static_cast<int64_t>(values.size());
  const int64_t v = static_cast<int64_t>(values[0].size());
  at::Tensor t = at::empty({1, n, v}, at::kDouble);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < v; ++j) t[0][i][j] = values[static_cast<size_t>(i)][static_cast<size_t>(j)];
  return t;
}

TEST(CompareLogits, IdenticalInputsArePerfect) {
  at::Tensor a = at::randn({2, 3, 11}, at::kFloat);
  LogitsMetrics m = compareLogits(a, a.clone());
  EXPECT_EQ(m.positions, 6);
  EXPECT_EQ(m.elements, 66);
  EXPECT_EQ(m.maxAbsDiff, 0);
  EXPECT_EQ(m.meanAbsDiff, 0);
  EXPECT_EQ(m.maxRelDiff, 0);
  EXPECT_NEAR(m.cosineMin, 1, 1e-12);
  EXPECT_EQ(m.klMax, 0);
  EXPECT_EQ(m.top1Agreement, 1);
  EXPECT_EQ(m.top5Overlap, 1);
  EXPECT_EQ(m.nmse, 0);
  EXPECT_EQ(m.mismatchedElements, 0);
  EXPECT_EQ(m.cosinePerPosition.size(), 6u);
}

TEST(CompareLogits, CosineOfKnownVectors) {
  // Position 0: parallel (cos 1); 1: orthogonal (cos 0); 2: 45 degrees (cos 1/sqrt 2);
  // 3: opposite (cos -1); 4: both zero (defined as 1).
  at::Tensor ref = rows({{1, 2, 3}, {1, 0, 0}, {1, 0, 0}, {1, 1, 1}, {0, 0, 0}});
  at::Tensor test = rows({{2, 4, 6}, {0, 1, 0}, {1, 1, 0}, {-1, -1, -1}, {0, 0, 0}});
  LogitsMetrics m = compareLogits(ref, test);
  ASSERT_EQ(m.cosinePerPosition.size(), 5u);
  EXPECT_NEAR(m.cosinePerPosition[0], 1, 1e-12);
  EXPECT_NEAR(m.cosinePerPosition[1], 0, 1e-12);
  EXPECT_NEAR(m.cosinePerPosition[2], 1 / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(m.cosinePerPosition[3], -1, 1e-12);
  EXPECT_EQ(m.cosinePerPosition[4], 1);
  EXPECT_NEAR(m.cosineMin, -1, 1e-12);
  EXPECT_NEAR(m.cosineMean, (1 + 0 + 1 / std::sqrt(2.0) - 1 + 1) / 5, 1e-12);
}

TEST(CompareLogits, CosineIsZeroWhenOnlyOneSideIsZero) {
  LogitsMetrics m = compareLogits(rows({{0, 0}}), rows({{1, 0}}));
  EXPECT_EQ(m.cosinePerPosition[0], 0);
}

TEST(CompareLogits, KlOfKnownDistributions) {
  // Logits are log-probabilities, so softmax gives the distributions back exactly.
  // KL(P || Q) = sum p ln(p / q); P = (0.5, 0.5), Q = (0.9, 0.1): 0.5 ln(0.5/0.9) + 0.5 ln(0.5/0.1).
  // Position 1: P = Q = (0.25, 0.75): 0.
  at::Tensor ref = rows({{std::log(0.5), std::log(0.5)}, {std::log(0.25), std::log(0.75)}});
  at::Tensor test = rows({{std::log(0.9), std::log(0.1)}, {std::log(0.25) + 3, std::log(0.75) + 3}});
  LogitsMetrics m = compareLogits(ref, test);
  const double expected = 0.5 * std::log(0.5 / 0.9) + 0.5 * std::log(0.5 / 0.1);
  EXPECT_NEAR(m.klMax, expected, 1e-12);
  EXPECT_NEAR(m.klMean, expected / 2, 1e-12);
}

TEST(CompareLogits, Top1AndTop5Overlap) {
  // V = 7. Position 0: ref ranks 0..4 top, test ranks 2..6 top: overlap {2,3,4} = 3/5, argmax
  // 0 vs 6. Position 1: same order: overlap 1, argmax agrees.
  at::Tensor ref = rows({{7, 6, 5, 4, 3, 2, 1}, {7, 6, 5, 4, 3, 2, 1}});
  at::Tensor test = rows({{1, 2, 3, 4, 5, 6, 7}, {70, 60, 50, 40, 30, 20, 10}});
  LogitsMetrics m = compareLogits(ref, test);
  EXPECT_DOUBLE_EQ(m.top1Agreement, 0.5);
  EXPECT_DOUBLE_EQ(m.top5Overlap, (0.6 + 1.0) / 2);
}

TEST(CompareLogits, TopKShrinksToVocabulary) {
  // V = 3 < 5: k = 3, so any permutation overlaps fully.
  LogitsMetrics m = compareLogits(rows({{1, 2, 3}}), rows({{3, 2, 1}}));
  EXPECT_DOUBLE_EQ(m.top5Overlap, 1.0);
  EXPECT_DOUBLE_EQ(m.top1Agreement, 0.0);
}

TEST(CompareLogits, AbsRelDiffNmseAndLocation) {
  // ref (1, 2, 3, 4), test (1, 2, 3, 5): |d| = (0, 0, 0, 1).
  // mean |d| = 1/4; max rel = 1/4; NMSE = 1 / sum (ref - 2.5)^2 = 1 / 5.
  LogitsMetrics m = compareLogits(rows({{1, 2, 3, 4}}), rows({{1, 2, 3, 5}}));
  EXPECT_DOUBLE_EQ(m.maxAbsDiff, 1);
  EXPECT_DOUBLE_EQ(m.meanAbsDiff, 0.25);
  EXPECT_DOUBLE_EQ(m.maxRelDiff, 0.25);
  EXPECT_DOUBLE_EQ(m.nmse, 0.2);
  EXPECT_EQ(m.maxDiffBatch, 0);
  EXPECT_EQ(m.maxDiffPosition, 0);
  EXPECT_EQ(m.maxDiffIndex, 3);
}

TEST(CompareLogits, LocationAcrossBatchAndPositions) {
  at::Tensor ref = at::zeros({2, 3, 4}, at::kFloat);
  at::Tensor test = ref.clone();
  test[1][2][1] = 0.5;
  test[0][1][3] = 0.25;
  LogitsMetrics m = compareLogits(ref, test);
  EXPECT_EQ(m.maxAbsDiff, 0.5);
  EXPECT_EQ(m.maxDiffBatch, 1);
  EXPECT_EQ(m.maxDiffPosition, 2);
  EXPECT_EQ(m.maxDiffIndex, 1);
}

TEST(CompareLogits, RelativeDiffIsInfiniteWhereReferenceIsZero) {
  LogitsMetrics m = compareLogits(rows({{0, 1}}), rows({{1e-3, 1}}));
  EXPECT_TRUE(std::isinf(m.maxRelDiff));
}

TEST(CompareLogits, NmseIsInfiniteForConstantReferenceAndAnyError) {
  LogitsMetrics m = compareLogits(rows({{2, 2}}), rows({{2, 3}}));
  EXPECT_TRUE(std::isinf(m.nmse));
}

TEST(CompareLogits, MismatchCountFollowsAssertCloseFormula) {
  // fp32 tolerance: allowed = 1e-5 + 1.3e-6 |ref|. Element 0: allowed 1.13e-5 < 2e-5: mismatch.
  // Element 1: allowed 1e-5 + 1.3e-4 = 1.4e-4 >= 1e-4: close. Element 2: inf == inf: close.
  const double inf = std::numeric_limits<double>::infinity();
  at::Tensor ref = rows({{1, 100, inf}});
  at::Tensor test = rows({{1 + 2e-5, 100 + 1e-4, inf}});
  // The infinite element would make every other metric infinite; only the count matters here.
  LogitsMetrics m = compareLogits(ref, test, at::Tensor(), defaultTolerance(at::kFloat));
  EXPECT_EQ(m.mismatchedElements, 1);
}

TEST(CompareLogits, MaskExcludesPaddedPositions) {
  at::Tensor ref = at::zeros({1, 3, 4}, at::kFloat);
  at::Tensor test = ref.clone();
  test[0][0][0] = 100;  // a padded position: ignored
  test[0][2][1] = 0.5;
  at::Tensor mask = at::tensor(std::vector<int64_t>{0, 1, 1}).reshape({1, 3});
  LogitsMetrics m = compareLogits(ref, test, mask);
  EXPECT_EQ(m.positions, 2);
  EXPECT_EQ(m.maxAbsDiff, 0.5);
  EXPECT_EQ(m.maxDiffPosition, 2);
}

TEST(CompareLogits, TwoDimensionalInputIsOneSequence) {
  LogitsMetrics m = compareLogits(at::ones({4, 3}), at::ones({4, 3}) * 2);
  EXPECT_EQ(m.positions, 4);
  EXPECT_EQ(m.maxAbsDiff, 1);
  EXPECT_NEAR(m.cosineMin, 1, 1e-12);
}

TEST(CompareLogits, NanInTestShowsAsNan) {
  at::Tensor ref = at::zeros({1, 2, 3}, at::kFloat);
  at::Tensor test = ref.clone();
  test[0][1][2] = std::numeric_limits<float>::quiet_NaN();
  LogitsMetrics m = compareLogits(ref, test, at::Tensor(), defaultTolerance(at::kFloat));
  EXPECT_TRUE(std::isnan(m.maxAbsDiff));
  EXPECT_TRUE(std::isnan(m.cosineMin));
  EXPECT_EQ(m.mismatchedElements, 1);
}

TEST(CompareLogits, ChunkingMatchesWholeComputation) {
  // More rows than fit one chunk (4 Mi elements / V): the metrics must not depend on chunking.
  const int64_t v = 1 << 16;
  at::Tensor ref = at::randn({1, 70, v}, at::kFloat);
  at::Tensor test = ref + 1e-3 * at::randn({1, 70, v}, at::kFloat);
  LogitsMetrics m = compareLogits(ref, test);
  at::Tensor r = ref.to(at::kDouble), t = test.to(at::kDouble);
  EXPECT_NEAR(m.meanAbsDiff, (t - r).abs().mean().item<double>(), 1e-12);
  EXPECT_DOUBLE_EQ(m.maxAbsDiff, (t - r).abs().max().item<double>());
  EXPECT_EQ(m.cosinePerPosition.size(), 70u);
}

TEST(CompareLogitsErrors, ShapeMismatchNamesBothShapes) {
  try {
    compareLogits(at::zeros({1, 2, 3}), at::zeros({1, 2, 4}));
    FAIL() << "expected BadInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("[1, 2, 3]"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("[1, 2, 4]"), std::string::npos) << error.what();
  }
}

TEST(CompareLogitsErrors, AllMaskedIsBadInput) {
  try {
    compareLogits(at::zeros({1, 2, 3}), at::zeros({1, 2, 3}), at::zeros({1, 2}));
    FAIL() << "expected BadInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("no position selected"), std::string::npos) << error.what();
  }
}

TEST(CompareLogitsErrors, MaskOfWrongShapeIsBadInput) {
  try {
    compareLogits(at::zeros({1, 2, 3}), at::zeros({1, 2, 3}), at::ones({1, 3}));
    FAIL() << "expected BadInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("mask shape [1, 3]"), std::string::npos) << error.what();
  }
}

TEST(CompareLogitsErrors, OneDimensionalIsBadInput) {
  EXPECT_THROW(compareLogits(at::zeros({3}), at::zeros({3})), Error);
}

TEST(CompareLogitsErrors, IntegerTensorsAreBadInput) {
  EXPECT_THROW(compareLogits(at::zeros({2, 3}, at::kLong), at::zeros({2, 3}, at::kLong)), Error);
}

}  // namespace
}  // namespace nhb::harness
