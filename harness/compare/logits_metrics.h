// Distance between two sets of logits (or any [B, T, V] activations): the numbers the forward
// checks judge. Everything is reduced in float64 over chunks of positions, so memory stays
// bounded by the inputs plus a few chunks whatever the vocabulary size.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/ATen.h>

#include "harness/compare/tolerance.h"

namespace nhb::harness {

struct LogitsMetrics {
  int64_t positions = 0;     // positions compared (mask true)
  int64_t elements = 0;      // positions * V
  double maxAbsDiff = 0;
  double meanAbsDiff = 0;
  // max |test - ref| / |ref| as torch.testing reports it: inf where ref == 0 and test != 0.
  double maxRelDiff = 0;
  // Where maxAbsDiff occurs.
  int64_t maxDiffBatch = 0, maxDiffPosition = 0, maxDiffIndex = 0;
  // a.b / (|a| |b|) per position; 1 when both are zero, 0 when exactly one is.
  std::vector<double> cosinePerPosition;  // in (batch, position) order, masked positions only
  double cosineMin = 1, cosineMean = 1;
  // KL(softmax(ref) || softmax(test)) per position, in nats.
  double klMean = 0, klMax = 0;
  double top1Agreement = 1;  // fraction of positions with equal argmax
  double top5Overlap = 1;    // mean over positions of |topk(ref) ∩ topk(test)| / k, k = min(5, V)
  // sum (test - ref)^2 / sum (ref - mean(ref))^2; 0 when both are 0, inf when only the latter is.
  double nmse = 0;
  // Elements not close: |test - ref| > atol + rtol |ref| (NaN never close; equal infinities are).
  // With the default Tolerance {0, 0} this counts elements that are not exactly equal.
  int64_t mismatchedElements = 0;
};

// reference, test: [B, T, V] or [T, V] (B = 1), same shape, any floating dtype (compared in
// float64). mask: undefined (every position) or [B, T] / [T] of bool or integers (non-zero = real
// position). BadInput naming the shapes when they disagree; BadInput when no position is selected.
LogitsMetrics compareLogits(const at::Tensor& reference, const at::Tensor& test,
                            const at::Tensor& mask = at::Tensor(),
                            const Tolerance& tolerance = {});

}  // namespace nhb::harness
