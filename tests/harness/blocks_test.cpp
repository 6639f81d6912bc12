// Building blocks on cases small enough to evaluate the reference formulas
// (hf-nemotron-h.md §3.3-§3.7) by hand in the test.
#include <cmath>
#include <limits>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include "harness/model/attention.h"
#include "harness/model/causal_conv.h"
#include "harness/model/mamba_mixer.h"
#include "harness/model/mlp.h"
#include "harness/model/norms.h"

namespace nhb::harness {
namespace {

const auto kF32 = at::TensorOptions().dtype(at::kFloat);

at::Tensor f32(std::vector<float> values, std::vector<int64_t> shape) {
  return at::tensor(values, kF32).view(shape);
}
double silu(double v) { return v / (1.0 + std::exp(-v)); }
double softplus(double v) { return v > 20.0 ? v : std::log1p(std::exp(v)); }

TEST(RmsNorm, MatchesFormula) {
  const at::Tensor y = rmsNorm(f32({3, 4}, {1, 2}), f32({1, 2}, {2}), 1e-5);
  const double r = 1.0 / std::sqrt((9.0 + 16.0) / 2.0 + 1e-5);
  EXPECT_NEAR(y[0][0].item<double>(), 3.0 * r, 1e-6);
  EXPECT_NEAR(y[0][1].item<double>(), 2.0 * 4.0 * r, 1e-6);
}

TEST(RmsNorm, Bf16InputGivesBf16OutputComputedInFp32) {
  const at::Tensor x = f32({3, 4, -5, 0.25f}, {2, 2}).to(at::kBFloat16);
  const at::Tensor w = f32({1.5f, -0.75f}, {2}).to(at::kBFloat16);
  const at::Tensor y = rmsNorm(x, w, 1e-5);
  EXPECT_EQ(y.scalar_type(), at::kBFloat16);
  // Row 1: [-5, 0.25] (exact in bf16).
  const double r = 1.0 / std::sqrt((25.0 + 0.0625) / 2.0 + 1e-5);
  const double expected = -0.75 * 0.25 * r;
  EXPECT_EQ(y[1][1].item<float>(), at::tensor({expected}, kF32).to(at::kBFloat16).item<float>());
}

TEST(GatedGroupRmsNorm, GatesFirstThenNormalisesEachGroup) {
  const std::vector<double> y{1, 2, 3, 4}, z{0.5, 1, -1, 2}, w{1, 0.5, 2, 1};
  const at::Tensor out = gatedGroupRmsNorm(f32({1, 2, 3, 4}, {1, 4}), f32({0.5f, 1, -1, 2}, {1, 4}),
                                           f32({1, 0.5f, 2, 1}, {4}), 2, 1e-5, at::kFloat);
  std::vector<double> g(4);
  for (int i = 0; i < 4; ++i) g[i] = y[i] * silu(z[i]);
  for (int group = 0; group < 2; ++group) {
    const double a = g[2 * group], b = g[2 * group + 1];
    const double r = 1.0 / std::sqrt((a * a + b * b) / 2.0 + 1e-5);
    EXPECT_NEAR(out[0][2 * group].item<double>(), w[2 * group] * a * r, 1e-5);
    EXPECT_NEAR(out[0][2 * group + 1].item<double>(), w[2 * group + 1] * b * r, 1e-5);
  }
}

TEST(GatedGroupRmsNorm, RoundsOnceToTheRequestedDtype) {
  const at::Tensor out = gatedGroupRmsNorm(f32({1, 2, 3, 4}, {1, 4}), f32({0.5f, 1, -1, 2}, {1, 4}),
                                           f32({1, 1, 1, 1}, {4}), 1, 1e-5, at::kBFloat16);
  EXPECT_EQ(out.scalar_type(), at::kBFloat16);
}

TEST(CausalConv1dSilu, MatchesTheCausalSumWithBias) {
  // 3 steps, 2 channels, kernel 3: out[t,c] = silu(b[c] + sum_k w[c,k] x[t-2+k, c]).
  const std::vector<std::vector<double>> x{{1, -1}, {2, 0.5}, {3, 2}};  // [t][c]
  const std::vector<std::vector<double>> w{{0.1, 0.2, 0.3}, {-0.5, 1, 0.25}};
  const std::vector<double> b{0.05, -0.1};
  const at::Tensor out = causalConv1dSilu(f32({1, -1, 2, 0.5f, 3, 2}, {1, 3, 2}),
                                          f32({0.1f, 0.2f, 0.3f, -0.5f, 1, 0.25f}, {2, 1, 3}),
                                          f32({0.05f, -0.1f}, {2}));
  for (int t = 0; t < 3; ++t) {
    for (int c = 0; c < 2; ++c) {
      double acc = b[c];
      for (int k = 0; k < 3; ++k) {
        const int source = t - 2 + k;
        if (source >= 0) acc += w[c][k] * x[source][c];
      }
      EXPECT_NEAR(out[0][t][c].item<double>(), silu(acc), 1e-6) << "t=" << t << " c=" << c;
    }
  }
}

TEST(CausalConv1dSilu, WithoutBias) {
  const at::Tensor out = causalConv1dSilu(f32({2, 4}, {1, 2, 1}), f32({0.5f, 1}, {1, 1, 2}), at::Tensor());
  EXPECT_NEAR(out[0][0][0].item<double>(), silu(2.0), 1e-6);
  EXPECT_NEAR(out[0][1][0].item<double>(), silu(0.5 * 2 + 4), 1e-6);
}

TEST(Relu2Mlp, SquaresTheReluOfTheUpProjection) {
  // up(x) = [-1, 3, 0.5] -> relu^2 = [0, 9, 0.25] -> down = 1*0 + 2*9 + 4*0.25 = 19.
  const at::Tensor out = relu2Mlp(f32({1, -2}, {1, 1, 2}), f32({1, 1, 1, -1, 0.5f, 0}, {3, 2}),
                                  f32({1, 2, 4}, {1, 3}));
  EXPECT_NEAR(out.item<double>(), 19.0, 1e-6);
}

TEST(Relu2Mlp, AddsBiases) {
  const at::Tensor out = relu2Mlp(f32({1}, {1, 1}), f32({2}, {1, 1}), f32({3}, {1, 1}), f32({-0.5f}, {1}),
                                  f32({1}, {1}));
  EXPECT_NEAR(out.item<double>(), 3.0 * 1.5 * 1.5 + 1.0, 1e-6);
}

TEST(GqaAttention, TwoPositionsByHand) {
  // 2 query heads share 1 KV head (d = 2). q_h = c_h x with c = (1, 2), k = x, v = (x0, -x1),
  // o sums the heads.
  AttentionWeights w;
  w.q = f32({1, 0, 0, 1, 2, 0, 0, 2}, {4, 2});
  w.k = f32({1, 0, 0, 1}, {2, 2});
  w.v = f32({1, 0, 0, -1}, {2, 2});
  w.o = f32({1, 0, 1, 0, 0, 1, 0, 1}, {2, 4});
  const std::vector<std::vector<double>> x{{1, 0.5}, {-0.5, 2}};
  const at::Tensor out = gqaAttention(f32({1, 0.5f, -0.5f, 2}, {1, 2, 2}), w, AttentionShape{2, 1, 2});

  auto v = [&](int j) { return std::vector<double>{x[j][0], -x[j][1]}; };
  // Position 0 sees only itself: each head returns v0.
  EXPECT_NEAR(out[0][0][0].item<double>(), 2 * v(0)[0], 1e-6);
  EXPECT_NEAR(out[0][0][1].item<double>(), 2 * v(0)[1], 1e-6);
  // Position 1: softmax over the two keys, scale 1/sqrt(2).
  std::vector<double> expected{0, 0};
  for (double c : {1.0, 2.0}) {
    const double s0 = c * (x[1][0] * x[0][0] + x[1][1] * x[0][1]) / std::sqrt(2.0);
    const double s1 = c * (x[1][0] * x[1][0] + x[1][1] * x[1][1]) / std::sqrt(2.0);
    const double p0 = std::exp(s0) / (std::exp(s0) + std::exp(s1));
    for (int i = 0; i < 2; ++i) expected[i] += p0 * v(0)[i] + (1 - p0) * v(1)[i];
  }
  EXPECT_NEAR(out[0][1][0].item<double>(), expected[0], 1e-5);
  EXPECT_NEAR(out[0][1][1].item<double>(), expected[1], 1e-5);
}

AttentionWeights randomAttention(at::Generator& gen, int64_t hidden, int64_t heads, int64_t kvHeads, int64_t d) {
  AttentionWeights w;
  w.q = at::randn({heads * d, hidden}, gen, kF32) * 0.5;
  w.k = at::randn({kvHeads * d, hidden}, gen, kF32) * 0.5;
  w.v = at::randn({kvHeads * d, hidden}, gen, kF32);
  w.o = at::randn({hidden, heads * d}, gen, kF32);
  return w;
}

TEST(GqaAttention, KvHeadServesConsecutiveQueryHeads) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(3);
  const int64_t hidden = 6, d = 3;
  const AttentionWeights gqa = randomAttention(gen, hidden, 4, 2, d);
  const at::Tensor x = at::randn({2, 5, hidden}, gen, kF32);
  // Equivalent multi-head weights: KV head j copied to query heads 2j, 2j+1.
  AttentionWeights mha = gqa;
  mha.k = gqa.k.view({2, d, hidden}).repeat_interleave(2, 0).reshape({4 * d, hidden});
  mha.v = gqa.v.view({2, d, hidden}).repeat_interleave(2, 0).reshape({4 * d, hidden});
  const at::Tensor expected = gqaAttention(x, mha, AttentionShape{4, 4, d});
  EXPECT_TRUE(at::allclose(gqaAttention(x, gqa, AttentionShape{4, 2, d}), expected, 1e-5, 1e-5));
  AttentionWeights tiled = gqa;
  tiled.k = gqa.k.view({2, d, hidden}).repeat({2, 1, 1}).reshape({4 * d, hidden});
  tiled.v = gqa.v.view({2, d, hidden}).repeat({2, 1, 1}).reshape({4 * d, hidden});
  EXPECT_FALSE(at::allclose(gqaAttention(x, tiled, AttentionShape{4, 4, d}), expected, 1e-3, 1e-3));
}

TEST(GqaAttention, IsCausal) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(4);
  const AttentionWeights w = randomAttention(gen, 4, 2, 1, 2);
  const at::Tensor x = at::randn({1, 4, 4}, gen, kF32);
  at::Tensor changed = x.clone();
  changed[0][3] += 5.0;
  const at::Tensor a = gqaAttention(x, w, AttentionShape{2, 1, 2});
  const at::Tensor b = gqaAttention(changed, w, AttentionShape{2, 1, 2});
  EXPECT_TRUE(at::allclose(a.narrow(1, 0, 3), b.narrow(1, 0, 3), 0, 0));
  EXPECT_FALSE(at::allclose(a.narrow(1, 3, 1), b.narrow(1, 3, 1)));
}

TEST(GqaAttention, LeftPaddedRowEqualsUnpaddedRun) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(5);
  const AttentionWeights w = randomAttention(gen, 4, 2, 1, 2);
  const at::Tensor real = at::randn({1, 3, 4}, gen, kF32);
  const at::Tensor padded = at::cat({at::randn({1, 2, 4}, gen, kF32) * 100.0, real}, 1);
  const at::Tensor mask = at::tensor({0, 0, 1, 1, 1}, at::kLong).view({1, 5});
  const at::Tensor out = gqaAttention(padded, w, AttentionShape{2, 1, 2}, mask);
  EXPECT_TRUE(at::isfinite(out).all().item<bool>());
  EXPECT_TRUE(at::allclose(out.narrow(1, 2, 3), gqaAttention(real, w, AttentionShape{2, 1, 2}), 1e-5, 1e-5));
}

// Mamba mixer with hidden 1, one head of 2 channels, one group, state 1, kernel 2: the whole
// computation (in_proj split, conv, dt, scan, D skip, gated norm, out_proj) by hand in doubles.
struct TinyMamba {
  std::vector<double> inProj{0.8, -0.6, 1.2, 0.4, -0.7, 0.9, 0.5};  // z0 z1 | x0 x1 B C | dt
  std::vector<std::vector<double>> conv{{0.3, 0.6}, {-0.2, 0.8}, {-0.4, 1.0}, {0.2, 0.7}};
  std::vector<double> convBias{0.1, 0.0, -0.2, 0.05};
  double dtBias = 0.3, aLog = std::log(2.0), d = 0.5, eps = 1e-5;
  std::vector<double> norm{1.5, 0.5}, outProj{2.0, -1.0};

  MambaMixerWeights weights() const {
    MambaMixerWeights w;
    auto t = [](const std::vector<double>& v, std::vector<int64_t> shape) {
      return at::tensor(v, at::TensorOptions().dtype(at::kDouble)).to(at::kFloat).view(shape);
    };
    w.inProj = t(inProj, {7, 1});
    std::vector<double> flat;
    for (const auto& row : conv) flat.insert(flat.end(), row.begin(), row.end());
    w.convWeight = t(flat, {4, 1, 2});
    w.convBias = t(convBias, {4});
    w.dtBias = t({dtBias}, {1});
    w.aLog = t({aLog}, {1});
    w.d = t({d}, {1});
    w.normWeight = t(norm, {2});
    w.outProj = t(outProj, {1, 2});
    return w;
  }

  std::vector<double> expected(const std::vector<double>& u, double dtMax) const {
    std::vector<double> out;
    std::vector<double> previous(4, 0.0);  // conv input at t-1
    double state[2] = {0, 0};
    for (double ut : u) {
      std::vector<double> raw(4), c(4);
      for (int ch = 0; ch < 4; ++ch) raw[ch] = inProj[2 + ch] * ut;
      for (int ch = 0; ch < 4; ++ch) c[ch] = silu(convBias[ch] + conv[ch][0] * previous[ch] + conv[ch][1] * raw[ch]);
      previous = raw;
      const double dt = std::min(softplus(inProj[6] * ut + dtBias), dtMax);
      const double A = -std::exp(aLog);
      const double B = c[2], C = c[3];
      double g[2];
      for (int p = 0; p < 2; ++p) {
        state[p] = std::exp(dt * A) * state[p] + dt * c[p] * B;
        const double y = C * state[p] + d * c[p];
        g[p] = y * silu(inProj[p] * ut);
      }
      const double r = 1.0 / std::sqrt((g[0] * g[0] + g[1] * g[1]) / 2.0 + eps);
      out.push_back(outProj[0] * norm[0] * g[0] * r + outProj[1] * norm[1] * g[1] * r);
    }
    return out;
  }
};

void expectTinyMamba(const TinyMamba& m, double dtMax) {
  const std::vector<double> u{1.0, -0.5, 2.0};
  MambaMixerShape shape{1, 2, 1, 1, /*chunkSize=*/2, m.eps, 0.0, dtMax};
  const at::Tensor out = mambaMixer(at::tensor(u, at::TensorOptions().dtype(at::kDouble)).to(at::kFloat).view({1, 3, 1}),
                                    m.weights(), shape);
  const std::vector<double> expected = m.expected(u, dtMax);
  for (int t = 0; t < 3; ++t) EXPECT_NEAR(out[0][t][0].item<double>(), expected[t], 1e-5) << "t=" << t;
}

TEST(MambaMixer, ThreeTokensByHand) {
  expectTinyMamba(TinyMamba{}, std::numeric_limits<double>::infinity());
}

TEST(MambaMixer, DtIsClampedToTimeStepLimit) {
  expectTinyMamba(TinyMamba{}, 0.3);
}

TEST(MambaMixer, SmallDtIsNotFlooredAtTimeStepMin) {
  // softplus(-8) ~ 3.4e-4 < time_step_min 0.001: only time_step_limit (0, inf) applies.
  TinyMamba m;
  m.dtBias = -8.0;
  expectTinyMamba(m, std::numeric_limits<double>::infinity());
}

TEST(MambaMixer, LeftPaddedRowEqualsUnpaddedRun) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(9);
  const MambaMixerShape shape{4, 2, 2, 3, /*chunkSize=*/4, 1e-5};
  const int64_t hidden = 5;
  MambaMixerWeights w;
  w.inProj = at::randn({shape.inProjSize(), hidden}, gen, kF32) * 0.5;
  w.convWeight = at::randn({shape.convDim(), 1, 4}, gen, kF32) * 0.5;
  w.convBias = at::randn({shape.convDim()}, gen, kF32) * 0.1;
  w.dtBias = at::randn({4}, gen, kF32) * 0.5 - 2.0;
  w.aLog = at::rand({4}, gen, kF32) * 2.0;
  w.d = at::ones({4}, kF32);
  w.normWeight = at::ones({shape.innerSize()}, kF32);
  w.outProj = at::randn({hidden, shape.innerSize()}, gen, kF32) * 0.3;

  const at::Tensor real = at::randn({1, 6, hidden}, gen, kF32);
  const at::Tensor padded = at::cat({at::randn({1, 3, hidden}, gen, kF32) * 10.0, real}, 1);
  const at::Tensor mask = at::tensor({0, 0, 0, 1, 1, 1, 1, 1, 1}, at::kLong).view({1, 9});
  const at::Tensor out = mambaMixer(padded, w, shape, mask);
  EXPECT_TRUE(at::allclose(out.narrow(1, 3, 6), mambaMixer(real, w, shape), 1e-5, 1e-5));
  // Without the mask the padding leaks into the state.
  EXPECT_FALSE(at::allclose(mambaMixer(padded, w, shape).narrow(1, 3, 6), mambaMixer(real, w, shape), 1e-3, 1e-3));
}

}  // namespace
}  // namespace nhb::harness
