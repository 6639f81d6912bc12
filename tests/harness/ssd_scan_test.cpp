// The chunked SSD scan against the sequential recurrence (the oracle), and the oracle against
// the recurrence of hf-nemotron-h.md §3.4 step 6 evaluated by hand.
#include <cmath>
#include <tuple>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include "harness/model/ssd_scan.h"

namespace nhb::harness {
namespace {

struct ScanCase {
  at::Tensor x, dt, A, B, C, state;
};

// Random but well-conditioned inputs: dt in (0.01, 0.6), A in [-2, -0.2], unit-normal x/B/C.
ScanCase randomCase(int64_t batch, int64_t time, int64_t heads, int64_t headDim, int64_t groups,
                    int64_t stateSize, uint64_t seed, bool withState) {
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  ScanCase c;
  c.x = at::randn({batch, time, heads, headDim}, gen, f32);
  c.dt = at::rand({batch, time, heads}, gen, f32) * 0.59 + 0.01;
  c.A = -(at::rand({heads}, gen, f32) * 1.8 + 0.2);
  c.B = at::randn({batch, time, groups, stateSize}, gen, f32);
  c.C = at::randn({batch, time, groups, stateSize}, gen, f32);
  if (withState) c.state = at::randn({batch, heads, headDim, stateSize}, gen, f32);
  return c;
}

// |a - b| <= tol * max|b| elementwise: relative to the tensor's scale.
void expectClose(const at::Tensor& actual, const at::Tensor& expected, double relTol) {
  ASSERT_EQ(actual.sizes(), expected.sizes());
  const double scale = std::max(expected.abs().max().item<double>(), 1e-30);
  const double worst = (actual.to(at::kDouble) - expected.to(at::kDouble)).abs().max().item<double>();
  EXPECT_LE(worst, relTol * scale) << "max abs diff " << worst << " at scale " << scale;
}

TEST(SequentialScan, MatchesTheRecurrenceByHandForTwoSteps) {
  // One batch, head, channel, state: S_t = exp(dt_t A) S_{t-1} + dt_t x_t B_t; y_t = C_t S_t.
  const auto f64 = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor x = at::tensor({2.0, -1.0}, f64).view({1, 2, 1, 1});
  const at::Tensor dt = at::tensor({0.5, 0.25}, f64).view({1, 2, 1});
  const at::Tensor A = at::tensor({-1.5}, f64);
  const at::Tensor B = at::tensor({3.0, 0.5}, f64).view({1, 2, 1, 1});
  const at::Tensor C = at::tensor({0.75, -2.0}, f64).view({1, 2, 1, 1});
  const at::Tensor s0 = at::tensor({0.4}, f64).view({1, 1, 1, 1});

  const ScanResult r = sequentialScan(x, dt, A, B, C, s0);

  const double S0 = std::exp(0.5 * -1.5) * 0.4 + 0.5 * 2.0 * 3.0;
  const double S1 = std::exp(0.25 * -1.5) * S0 + 0.25 * -1.0 * 0.5;
  EXPECT_NEAR(r.y[0][0][0][0].item<double>(), 0.75 * S0, 1e-12);
  EXPECT_NEAR(r.y[0][1][0][0].item<double>(), -2.0 * S1, 1e-12);
  EXPECT_NEAR(r.finalState.item<double>(), S1, 1e-12);
}

TEST(SequentialScan, HeadUsesGroupByIntegerDivision) {
  // 4 heads, 2 groups: heads 0,1 read group 0 and heads 2,3 group 1 (repeat-interleave), which
  // equals giving every head its own copy of its group.
  ScanCase c = randomCase(1, 5, 4, 2, 2, 3, 7, false);
  const ScanResult grouped = sequentialScan(c.x, c.dt, c.A, c.B, c.C);
  const ScanResult perHead = sequentialScan(c.x, c.dt, c.A, c.B.repeat_interleave(2, 2),
                                            c.C.repeat_interleave(2, 2));
  expectClose(grouped.y, perHead.y, 1e-7);
  // ... and not a tiled mapping (heads 0,2 -> group 0).
  const ScanResult tiled = sequentialScan(c.x, c.dt, c.A, c.B.repeat({1, 1, 2, 1}), c.C.repeat({1, 1, 2, 1}));
  EXPECT_GT((grouped.y - tiled.y).abs().max().item<double>(), 1e-3);
}

class ChunkedVsSequential : public ::testing::TestWithParam<std::tuple<int64_t, int64_t, bool>> {};

TEST_P(ChunkedVsSequential, OutputsAndFinalStateAgree) {
  const auto [chunk, time, withState] = GetParam();
  ScanCase c = randomCase(2, time, 4, 3, 2, 5, static_cast<uint64_t>(chunk * 1000 + time), withState);
  const ScanResult oracle = sequentialScan(c.x, c.dt, c.A, c.B, c.C, c.state);
  const ScanResult chunked = ssdChunkedScan(c.x, c.dt, c.A, c.B, c.C, chunk, c.state);
  EXPECT_EQ(chunked.y.scalar_type(), at::kFloat);
  expectClose(chunked.y, oracle.y, 1e-5);
  expectClose(chunked.finalState, oracle.finalState, 1e-5);
}

// Lengths below, at and across chunk boundaries for each chunk size.
INSTANTIATE_TEST_SUITE_P(
    ChunkSizes, ChunkedVsSequential,
    ::testing::Combine(::testing::Values<int64_t>(1, 3, 8, 64),
                       ::testing::Values<int64_t>(1, 7, 8, 9, 64, 65, 150),
                       ::testing::Bool()));

TEST(ChunkedScan, SplitRunWithCarriedStateEqualsOneRun) {
  ScanCase c = randomCase(1, 40, 2, 2, 1, 4, 11, true);
  const ScanResult whole = ssdChunkedScan(c.x, c.dt, c.A, c.B, c.C, 8, c.state);
  auto part = [&](const at::Tensor& t, int64_t start, int64_t length) { return t.narrow(1, start, length); };
  const ScanResult first = ssdChunkedScan(part(c.x, 0, 13), part(c.dt, 0, 13), c.A, part(c.B, 0, 13),
                                          part(c.C, 0, 13), 8, c.state);
  const ScanResult second = ssdChunkedScan(part(c.x, 13, 27), part(c.dt, 13, 27), c.A, part(c.B, 13, 27),
                                           part(c.C, 13, 27), 8, first.finalState);
  expectClose(at::cat({first.y, second.y}, 1), whole.y, 1e-5);
  expectClose(second.finalState, whole.finalState, 1e-5);
}

TEST(ChunkedScan, StrongDecayStaysFinite) {
  // dt*A down to -60 per step: prefix sums over a 64-step chunk reach -3800; the masked
  // segment sum must not produce inf - inf.
  ScanCase c = randomCase(1, 100, 2, 2, 1, 3, 5, true);
  c.dt = c.dt * 50.0;
  const ScanResult oracle = sequentialScan(c.x, c.dt, c.A, c.B, c.C, c.state);
  const ScanResult chunked = ssdChunkedScan(c.x, c.dt, c.A, c.B, c.C, 64, c.state);
  ASSERT_TRUE(at::isfinite(chunked.y).all().item<bool>());
  expectClose(chunked.y, oracle.y, 1e-5);
  expectClose(chunked.finalState, oracle.finalState, 1e-5);
}

TEST(ChunkedScan, Fp64InputsComputeInFp64) {
  ScanCase c = randomCase(1, 20, 2, 2, 1, 3, 3, true);
  const auto d = [](const at::Tensor& t) { return t.to(at::kDouble); };
  const ScanResult oracle = sequentialScan(d(c.x), d(c.dt), d(c.A), d(c.B), d(c.C), d(c.state));
  const ScanResult chunked = ssdChunkedScan(d(c.x), d(c.dt), d(c.A), d(c.B), d(c.C), 6, d(c.state));
  EXPECT_EQ(chunked.y.scalar_type(), at::kDouble);
  expectClose(chunked.y, oracle.y, 1e-12);
}

}  // namespace
}  // namespace nhb::harness
