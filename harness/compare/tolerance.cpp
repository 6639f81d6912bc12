#include "harness/compare/tolerance.h"

#include <algorithm>
#include <string>

#include "bridge/core/error.h"

namespace nhb::harness {

Tolerance defaultTolerance(DType dtype) {
  switch (dtype) {
    case DType::F16: return {1e-3, 1e-5};
    case DType::BF16: return {1.6e-2, 1e-5};
    case DType::F32: return {1.3e-6, 1e-5};
    case DType::F64: return {1e-7, 1e-7};
    default: return {0, 0};  // integers, bool, fp8: exact, as torch.testing does
  }
}

Tolerance defaultTolerance(at::ScalarType dtype) {
  switch (dtype) {
    case at::kHalf: return defaultTolerance(DType::F16);
    case at::kBFloat16: return defaultTolerance(DType::BF16);
    case at::kFloat: return defaultTolerance(DType::F32);
    case at::kDouble: return defaultTolerance(DType::F64);
    default: return {0, 0};
  }
}

ForwardThresholds forwardThresholdsFor(at::ScalarType dtype) {
  ForwardThresholds t;
  t.logits = defaultTolerance(dtype);
  t.layers = t.logits;
  switch (dtype) {
    case at::kHalf:
    case at::kBFloat16:
      t.minCosine = 0.999;
      t.maxKlMean = 1e-3;
      t.maxKl = 1e-2;
      t.minTop1Agreement = 0.99;
      t.minTop5Overlap = 0.95;
      t.maxNmse = 1e-3;
      break;
    case at::kDouble:
      t.minCosine = 1 - 1e-9;
      t.maxKlMean = 1e-12;
      t.maxKl = 1e-10;
      t.minTop1Agreement = 1;
      t.minTop5Overlap = 0.99;
      t.maxNmse = 1e-14;
      break;
    default:  // float32 and anything else computed at float32 precision
      t.minCosine = 0.99999;
      t.maxKlMean = 1e-6;
      t.maxKl = 1e-5;
      t.minTop1Agreement = 1;
      t.minTop5Overlap = 0.99;
      t.maxNmse = 1e-8;
      break;
  }
  return t;
}

void applyThresholdOverrides(ForwardThresholds& thresholds, const nlohmann::json& overrides,
                             const std::string& source) {
  if (!overrides.is_object())
    badInput(source + ": forward thresholds must be a JSON object, got " +
             std::string(overrides.type_name()));
  for (const auto& [key, value] : overrides.items()) {
    double* field = nullptr;
    if (key == "rtol") field = &thresholds.logits.rtol;
    else if (key == "atol") field = &thresholds.logits.atol;
    else if (key == "layer_rtol") field = &thresholds.layers.rtol;
    else if (key == "layer_atol") field = &thresholds.layers.atol;
    else if (key == "min_cosine") field = &thresholds.minCosine;
    else if (key == "max_kl_mean") field = &thresholds.maxKlMean;
    else if (key == "max_kl") field = &thresholds.maxKl;
    else if (key == "min_top1_agreement") field = &thresholds.minTop1Agreement;
    else if (key == "min_top5_overlap") field = &thresholds.minTop5Overlap;
    else if (key == "max_nmse") field = &thresholds.maxNmse;
    else
      badInput(source + ": unknown forward threshold \"" + key +
               "\" (known: rtol, atol, layer_rtol, layer_atol, min_cosine, max_kl_mean, max_kl, "
               "min_top1_agreement, min_top5_overlap, max_nmse)");
    if (!value.is_number())
      badInput(source + ": forward threshold \"" + key + "\" must be a number, got " +
               std::string(value.type_name()));
    double number = value.get<double>();
    if (!(number >= 0))
      badInput(source + ": forward threshold \"" + key + "\" must be >= 0, got " +
               std::to_string(number));
    *field = number;
  }
}

ForwardThresholds forwardThresholdsFrom(const verify::ForwardLimits& limits, at::ScalarType dtype) {
  ForwardThresholds t = forwardThresholdsFor(dtype);
  t.logits = {limits.rtol, limits.atol};
  t.layers = t.logits;
  t.minCosine = limits.cosineMin;
  t.maxKl = limits.klMax;
  t.maxKlMean = std::min(t.maxKlMean, limits.klMax);
  t.minTop1Agreement = limits.top1Min;
  return t;
}

}  // namespace nhb::harness
