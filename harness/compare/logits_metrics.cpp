#include "harness/compare/logits_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "harness/compare/compare_rows.h"

namespace nhb::harness {
namespace {

// Min/max that let a NaN win and stick, so a NaN in the data shows in the report.
double stickyMin(double current, double value) {
  if (std::isnan(current) || std::isnan(value)) return std::numeric_limits<double>::quiet_NaN();
  return std::min(current, value);
}
double stickyMax(double current, double value) {
  if (std::isnan(current) || std::isnan(value)) return std::numeric_limits<double>::quiet_NaN();
  return std::max(current, value);
}

}  // namespace

LogitsMetrics compareLogits(const at::Tensor& reference, const at::Tensor& test,
                            const at::Tensor& mask, const Tolerance& tolerance) {
  detail::SelectedRows rows = detail::selectRows(reference, test, mask, "logits");
  const int64_t n = rows.reference.size(0);
  const int64_t width = rows.reference.size(1);
  const int64_t k = std::min<int64_t>(5, width);

  LogitsMetrics m;
  m.positions = n;
  m.elements = n * width;
  m.cosinePerPosition.reserve(static_cast<size_t>(n));

  // NMSE needs the reference's mean before the main pass.
  const double refMean = at::sum(rows.reference, at::kDouble).item<double>() /
                         static_cast<double>(m.elements);

  double sumAbs = 0, sumSquaredError = 0, sumSquaredDeviation = 0;
  double klSum = 0, cosineSum = 0, top5Sum = 0;
  int64_t top1Equal = 0;
  bool sawNan = false;
  double maxAbs = -1;
  m.cosineMin = std::numeric_limits<double>::infinity();

  const int64_t chunk = detail::rowsPerChunk(width);
  for (int64_t start = 0; start < n; start += chunk) {
    const int64_t end = std::min(n, start + chunk);
    at::Tensor r = rows.reference.slice(0, start, end).to(at::kDouble);
    at::Tensor t = rows.test.slice(0, start, end).to(at::kDouble);
    at::Tensor diff = t - r;
    at::Tensor absDiff = diff.abs();

    // Largest difference and where it is; a NaN anywhere makes the maximum NaN.
    if (absDiff.isnan().any().item<bool>()) sawNan = true;
    auto [chunkMax, chunkArg] = absDiff.nan_to_num(0).flatten().max(0);
    const double chunkMaxValue = chunkMax.item<double>();
    if (chunkMaxValue > maxAbs) {
      maxAbs = chunkMaxValue;
      const int64_t flat = chunkArg.item<int64_t>();
      const size_t row = static_cast<size_t>(start + flat / width);
      m.maxDiffBatch = rows.batch[row];
      m.maxDiffPosition = rows.position[row];
      m.maxDiffIndex = flat % width;
    }
    sumAbs += absDiff.sum().item<double>();

    at::Tensor absRef = r.abs();
    at::Tensor rel = at::where(absDiff.eq(0), at::zeros_like(absDiff), absDiff / absRef);
    m.maxRelDiff = std::max(m.maxRelDiff, rel.nan_to_num(0, std::numeric_limits<double>::infinity()).max().item<double>());
    m.mismatchedElements += detail::countNotClose(r, t, tolerance.rtol, tolerance.atol);

    sumSquaredError += diff.square().sum().item<double>();
    sumSquaredDeviation += (r - refMean).square().sum().item<double>();

    // Cosine per position: 1 when both rows are zero, 0 when exactly one is.
    at::Tensor dot = (r * t).sum(1);
    at::Tensor normR = r.square().sum(1).sqrt();
    at::Tensor normT = t.square().sum(1).sqrt();
    at::Tensor cosine = (dot / (normR * normT)).clamp(-1, 1);
    at::Tensor bothZero = normR.eq(0).logical_and(normT.eq(0));
    // A NaN norm keeps the NaN cosine (the data has a NaN; do not call it "one side zero").
    at::Tensor oneZero = normR.eq(0).logical_xor(normT.eq(0)).logical_and(normR.isnan().logical_not())
                             .logical_and(normT.isnan().logical_not());
    cosine = at::where(bothZero, at::ones_like(cosine), cosine);
    cosine = at::where(oneZero, at::zeros_like(cosine), cosine);
    at::Tensor cosineCpu = cosine.to(at::kCPU).contiguous();
    const double* cos = cosineCpu.data_ptr<double>();
    for (int64_t i = 0; i < end - start; ++i) {
      m.cosinePerPosition.push_back(cos[i]);
      cosineSum += cos[i];
      m.cosineMin = stickyMin(m.cosineMin, cos[i]);
    }

    // KL(P_ref || P_test); terms where P_ref underflows to 0 contribute 0.
    at::Tensor logP = at::log_softmax(r, 1);
    at::Tensor logQ = at::log_softmax(t, 1);
    at::Tensor p = logP.exp();
    at::Tensor terms = at::where(p.gt(0), p * (logP - logQ), at::zeros_like(p));
    at::Tensor kl = terms.sum(1).clamp_min(0);  // rounding can go a hair below 0
    klSum += kl.sum().item<double>();
    m.klMax = stickyMax(m.klMax, kl.max().item<double>());

    top1Equal += r.argmax(1).eq(t.argmax(1)).sum().item<int64_t>();
    at::Tensor topR = std::get<1>(r.topk(k, 1));
    at::Tensor topT = std::get<1>(t.topk(k, 1));
    top5Sum += topR.unsqueeze(2).eq(topT.unsqueeze(1)).any(2).sum().item<double>() /
               static_cast<double>(k);
  }

  const double nan = std::numeric_limits<double>::quiet_NaN();
  m.maxAbsDiff = sawNan ? nan : maxAbs;
  if (sawNan) m.maxRelDiff = nan;
  m.meanAbsDiff = sumAbs / static_cast<double>(m.elements);
  m.cosineMean = cosineSum / static_cast<double>(n);
  m.klMean = klSum / static_cast<double>(n);
  m.top1Agreement = static_cast<double>(top1Equal) / static_cast<double>(n);
  m.top5Overlap = top5Sum / static_cast<double>(n);
  if (sumSquaredDeviation > 0) m.nmse = sumSquaredError / sumSquaredDeviation;
  else m.nmse = sumSquaredError == 0 ? 0 : std::numeric_limits<double>::infinity();
  return m;
}

}  // namespace nhb::harness
