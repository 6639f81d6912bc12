#include "harness/compare/layer_compare.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "bridge/core/error.h"
#include "harness/compare/compare_rows.h"

namespace nhb::harness {
namespace {

LayerDiff compareOneLayer(const std::string& name, const at::Tensor& reference,
                          const at::Tensor& test, const Tolerance& tolerance, const at::Tensor& mask) {
  detail::SelectedRows rows = detail::selectRows(reference, test, mask, "layer " + name);
  const int64_t n = rows.reference.size(0);
  const int64_t width = rows.reference.size(1);
  LayerDiff diff;
  diff.name = name;
  double sumAbs = 0;
  bool sawNan = false;
  const int64_t chunk = detail::rowsPerChunk(width);
  for (int64_t start = 0; start < n; start += chunk) {
    const int64_t end = std::min(n, start + chunk);
    at::Tensor r = rows.reference.slice(0, start, end).to(at::kDouble);
    at::Tensor t = rows.test.slice(0, start, end).to(at::kDouble);
    at::Tensor absDiff = (t - r).abs();
    if (absDiff.isnan().any().item<bool>()) sawNan = true;
    diff.maxAbsDiff = std::max(diff.maxAbsDiff, absDiff.nan_to_num(0).max().item<double>());
    diff.maxAbsReference = std::max(diff.maxAbsReference, r.abs().nan_to_num(0).max().item<double>());
    sumAbs += absDiff.sum().item<double>();
    diff.mismatchedElements += detail::countNotClose(r, t, tolerance.rtol, tolerance.atol);

    at::Tensor normR = r.square().sum(1).sqrt();
    at::Tensor normT = t.square().sum(1).sqrt();
    at::Tensor cosine = ((r * t).sum(1) / (normR * normT)).clamp(-1, 1);
    cosine = at::where(normR.eq(0).logical_and(normT.eq(0)), at::ones_like(cosine), cosine);
    at::Tensor oneZero = normR.eq(0).logical_xor(normT.eq(0)).logical_and(normR.isnan().logical_not())
                             .logical_and(normT.isnan().logical_not());
    cosine = at::where(oneZero, at::zeros_like(cosine), cosine);
    const double chunkMin = cosine.min().item<double>();
    if (std::isnan(chunkMin) || std::isnan(diff.cosineMin)) diff.cosineMin = chunkMin + diff.cosineMin;
    else diff.cosineMin = std::min(diff.cosineMin, chunkMin);
  }
  if (sawNan) diff.maxAbsDiff = std::numeric_limits<double>::quiet_NaN();
  diff.meanAbsDiff = sumAbs / static_cast<double>(n * width);
  diff.diverged = diff.mismatchedElements > 0;
  return diff;
}

}  // namespace

LayerComparison compareLayers(const NamedTensors& reference, const NamedTensors& test,
                              const Tolerance& tolerance, const at::Tensor& mask) {
  LayerComparison comparison;
  for (size_t i = 0; i < reference.size(); ++i) {
    const std::string& name = reference[i].first;
    if (i >= test.size()) badInput("layer " + name + ": missing from the test captures");
    if (test[i].first != name) {
      bool elsewhere = std::any_of(test.begin(), test.end(),
                                   [&](const auto& entry) { return entry.first == name; });
      badInput("layer " + name + ": " +
               (elsewhere ? "captured in a different order by the test (found \"" + test[i].first + "\" in its place)"
                          : "missing from the test captures (found \"" + test[i].first + "\" in its place)"));
    }
    comparison.layers.push_back(compareOneLayer(name, reference[i].second, test[i].second, tolerance, mask));
    if (!comparison.firstDiverging && comparison.layers.back().diverged) comparison.firstDiverging = i;
  }
  if (test.size() > reference.size())
    badInput("layer " + test[reference.size()].first + ": captured by the test but not by the reference");
  return comparison;
}

}  // namespace nhb::harness
