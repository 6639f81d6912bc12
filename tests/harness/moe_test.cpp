// Router and MoE mixer against hf-nemotron-h.md §3.8, evaluated by hand.
#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include "harness/model/moe.h"

namespace nhb::harness {
namespace {

const auto kF32 = at::TensorOptions().dtype(at::kFloat);

at::Tensor f32(std::vector<float> values, std::vector<int64_t> shape) {
  return at::tensor(values, kF32).view(shape);
}
double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

std::set<int64_t> chosenExperts(const Routing& r, int64_t token) {
  std::set<int64_t> out;
  for (int64_t k = 0; k < r.experts.size(1); ++k) out.insert(r.experts[token][k].item<int64_t>());
  return out;
}
double weightOf(const Routing& r, int64_t token, int64_t expert) {
  for (int64_t k = 0; k < r.experts.size(1); ++k) {
    if (r.experts[token][k].item<int64_t>() == expert) return r.weights[token][k].item<double>();
  }
  ADD_FAILURE() << "expert " << expert << " not chosen";
  return 0;
}

// Hidden size 1 with x = 1: the router logits are the gate weights themselves.
at::Tensor one() { return at::ones({1, 1}, kF32); }
at::Tensor gate() { return f32({2, 1, 0, -1}, {4, 1}); }

TEST(Router, PicksTopSigmoidScoresAndNormalises) {
  const Routing r = routeTokens(one(), gate(), at::Tensor(), RouterSettings{2, 1, 1, true, 1.0});
  EXPECT_EQ(chosenExperts(r, 0), (std::set<int64_t>{0, 1}));
  const double s0 = sigmoid(2.0), s1 = sigmoid(1.0);
  EXPECT_NEAR(weightOf(r, 0, 0), s0 / (s0 + s1), 1e-6);
  EXPECT_NEAR(weightOf(r, 0, 1), s1 / (s0 + s1), 1e-6);
  EXPECT_EQ(r.weights.scalar_type(), at::kFloat);
}

TEST(Router, CorrectionBiasChangesSelectionButNotWeights) {
  // Bias +5 on expert 2 makes it win the selection; its weight is still sigmoid(0), unbiased.
  const Routing r = routeTokens(one(), gate(), f32({0, 0, 5, 0}, {4}), RouterSettings{2, 1, 1, true, 1.0});
  EXPECT_EQ(chosenExperts(r, 0), (std::set<int64_t>{0, 2}));
  const double s0 = sigmoid(2.0), s2 = sigmoid(0.0);
  EXPECT_NEAR(weightOf(r, 0, 2), s2 / (s0 + s2), 1e-6);
  EXPECT_NEAR(weightOf(r, 0, 0), s0 / (s0 + s2), 1e-6);
}

TEST(Router, ScalingFactorWithoutNormalisation) {
  const Routing r = routeTokens(one(), gate(), at::Tensor(), RouterSettings{2, 1, 1, false, 2.5});
  EXPECT_NEAR(weightOf(r, 0, 0), 2.5 * sigmoid(2.0), 1e-6);
  EXPECT_NEAR(weightOf(r, 0, 1), 2.5 * sigmoid(1.0), 1e-6);
}

TEST(Router, ScalingFactorAppliesAfterNormalisation) {
  const Routing r = routeTokens(one(), gate(), at::Tensor(), RouterSettings{2, 1, 1, true, 2.5});
  EXPECT_NEAR(r.weights.sum().item<double>(), 2.5, 1e-6);
}

TEST(Router, GroupLimitedTopKKeepsTheBestGroupsBySumOfTopTwo) {
  // Groups {0,1} and {2,3}. Expert 2 is the single best, but group 0 scores s0+s1 > s2+s3, so
  // with topk_group = 1 only experts 0 and 1 are eligible.
  const at::Tensor g = f32({1.5f, 1.4f, 3.0f, -4.0f}, {4, 1});
  const Routing limited = routeTokens(one(), g, at::Tensor(), RouterSettings{2, 2, 1, true, 1.0});
  ASSERT_GT(sigmoid(1.5) + sigmoid(1.4), sigmoid(3.0) + sigmoid(-4.0));
  EXPECT_EQ(chosenExperts(limited, 0), (std::set<int64_t>{0, 1}));
  const Routing open = routeTokens(one(), g, at::Tensor(), RouterSettings{2, 2, 2, true, 1.0});
  EXPECT_EQ(chosenExperts(open, 0), (std::set<int64_t>{0, 2}));
}

TEST(Router, GroupScoresUseTheBiasedChoice) {
  // The bias lifts group 1 (experts 2, 3) above group 0.
  const at::Tensor g = f32({1.5f, 1.4f, 3.0f, -4.0f}, {4, 1});
  const Routing r = routeTokens(one(), g, f32({0, 0, 0, 2}, {4}), RouterSettings{2, 2, 1, true, 1.0});
  EXPECT_EQ(chosenExperts(r, 0), (std::set<int64_t>{2, 3}));
  const double s2 = sigmoid(3.0), s3 = sigmoid(-4.0);
  EXPECT_NEAR(weightOf(r, 0, 3), s3 / (s2 + s3), 1e-6);
}

TEST(Router, RoutesEachTokenIndependently) {
  const at::Tensor x = f32({1, -1}, {2, 1});
  const Routing r = routeTokens(x, gate(), at::Tensor(), RouterSettings{1, 1, 1, true, 1.0});
  EXPECT_EQ(r.experts[0][0].item<int64_t>(), 0);
  EXPECT_EQ(r.experts[1][0].item<int64_t>(), 3);
  EXPECT_NEAR(r.weights[1][0].item<double>(), 1.0, 1e-6);  // top-1 normalised
}

// Hidden 2, two experts of width 1, top-1 without normalisation, one shared expert.
MoeWeights tinyMoe() {
  MoeWeights w;
  w.gate = f32({1, 0, 0, 1}, {2, 2});  // logit_e = x_e
  w.experts = {{f32({1, 1}, {1, 2}), f32({1, -1}, {2, 1})},     // e0: relu(x0+x1)^2 * (1, -1)
               {f32({1, -1}, {1, 2}), f32({2, 0.5f}, {2, 1})}};  // e1: relu(x0-x1)^2 * (2, 0.5)
  w.sharedUp = f32({0.5f, 0.5f}, {1, 2});
  w.sharedDown = f32({1, 3}, {2, 1});
  return w;
}

TEST(MoeMixer, WeightedExpertPlusSharedExpertByHand) {
  const RouterSettings settings{1, 1, 1, false, 2.0};
  const at::Tensor x = f32({1.0f, 0.5f, -1.0f, 2.0f}, {1, 2, 2});
  const at::Tensor out = moeMixer(x, tinyMoe(), settings);
  ASSERT_EQ(out.sizes(), x.sizes());
  auto relu2 = [](double v) { return v > 0 ? v * v : 0.0; };
  // Token 0 = (1, 0.5): expert 0 wins (logit 1 > 0.5), weight 2 * sigmoid(1).
  {
    const double w = 2.0 * sigmoid(1.0), a = relu2(1.5), shared = relu2(0.75);
    EXPECT_NEAR(out[0][0][0].item<double>(), w * a * 1 + shared * 1, 1e-5);
    EXPECT_NEAR(out[0][0][1].item<double>(), w * a * -1 + shared * 3, 1e-5);
  }
  // Token 1 = (-1, 2): expert 1 wins, relu(-3)^2 = 0, so only the shared expert remains.
  {
    const double shared = relu2(0.5);
    EXPECT_NEAR(out[0][1][0].item<double>(), shared * 1, 1e-5);
    EXPECT_NEAR(out[0][1][1].item<double>(), shared * 3, 1e-5);
  }
}

TEST(MoeMixer, TopTwoSumsBothExperts) {
  const RouterSettings settings{2, 1, 1, true, 1.0};
  MoeWeights w = tinyMoe();
  w.sharedUp = at::Tensor();
  w.sharedDown = at::Tensor();
  const at::Tensor out = moeMixer(f32({2.0f, 1.0f}, {1, 2}), w, settings);
  const double s0 = sigmoid(2.0), s1 = sigmoid(1.0);
  const double w0 = s0 / (s0 + s1), w1 = s1 / (s0 + s1);
  EXPECT_NEAR(out[0][0].item<double>(), w0 * 9.0 * 1 + w1 * 1.0 * 2, 1e-5);
  EXPECT_NEAR(out[0][1].item<double>(), w0 * 9.0 * -1 + w1 * 1.0 * 0.5, 1e-5);
}

TEST(MoeMixer, LatentExpertsRunInTheLatentWidthAndSharedOnFullWidth) {
  // Latent width 1: xr = x0 + 2 x1; routed = fc2 (w * down_e(relu(up_e xr)^2)); shared on x.
  MoeWeights w;
  w.gate = f32({1, 0, 0, 1}, {2, 2});
  w.experts = {{f32({1}, {1, 1}), f32({3}, {1, 1})}, {f32({-1}, {1, 1}), f32({5}, {1, 1})}};
  w.fc1Latent = f32({1, 2}, {1, 2});
  w.fc2Latent = f32({1, -2}, {2, 1});
  w.sharedUp = f32({1, 0}, {1, 2});
  w.sharedDown = f32({0.5f, 0.5f}, {2, 1});
  const at::Tensor out = moeMixer(f32({1.0f, 0.25f}, {1, 2}), w, RouterSettings{1, 1, 1, true, 3.0});
  // Expert 0 chosen (logit 1 > 0.25); top-1 normalised weight 1, times 3.
  const double xr = 1.0 + 2 * 0.25;
  const double routed = 3.0 * 3.0 * xr * xr;
  const double shared = 1.0;  // relu(1)^2
  EXPECT_NEAR(out[0][0].item<double>(), routed * 1 + shared * 0.5, 1e-5);
  EXPECT_NEAR(out[0][1].item<double>(), routed * -2 + shared * 0.5, 1e-5);
}

TEST(MoeMixer, Bf16ActivationsKeepDtype) {
  MoeWeights w = tinyMoe();
  for (auto* t : {&w.sharedUp, &w.sharedDown}) *t = t->to(at::kBFloat16);
  for (auto& e : w.experts) {
    e.up = e.up.to(at::kBFloat16);
    e.down = e.down.to(at::kBFloat16);
  }
  const at::Tensor x = f32({1.0f, 0.5f}, {1, 2});
  const at::Tensor out = moeMixer(x.to(at::kBFloat16), w, RouterSettings{1, 1, 1, false, 2.0});
  EXPECT_EQ(out.scalar_type(), at::kBFloat16);
  EXPECT_TRUE(at::allclose(out.to(at::kFloat), moeMixer(x, tinyMoe(), RouterSettings{1, 1, 1, false, 2.0}), 2e-2, 2e-2));
}

}  // namespace
}  // namespace nhb::harness
