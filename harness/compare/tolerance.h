// Numeric tolerances for forward-pass comparisons, following torch.testing.assert_close: two
// values are close when |test - ref| <= atol + rtol * |ref|, with (rtol, atol) chosen from the
// dtype the forward ran in (pytorch torch/testing/_comparison.py _DTYPE_PRECISIONS):
//   float16  rtol 1e-3    atol 1e-5
//   bfloat16 rtol 1.6e-2  atol 1e-5
//   float32  rtol 1.3e-6  atol 1e-5
//   float64  rtol 1e-7    atol 1e-7
//   others   exact (0, 0)
#pragma once

#include <nlohmann/json.hpp>

#include <ATen/ATen.h>

#include "bridge/core/dtype.h"
#include "bridge/verify/thresholds.h"

namespace nhb::harness {

struct Tolerance {
  double rtol = 0;
  double atol = 0;
};

Tolerance defaultTolerance(DType dtype);
Tolerance defaultTolerance(at::ScalarType dtype);

// Thresholds for the forward checks. Defaults (forwardThresholdsFor) use the dtype's Tolerance
// for elementwise closeness and per-layer divergence, and metric floors that a faithful
// conversion meets with a wide margin at that precision.
struct ForwardThresholds {
  Tolerance logits;              // elementwise closeness of logits
  Tolerance layers;              // elementwise closeness of captured hidden states (divergence)
  double minCosine = 0;          // per-position cosine similarity, minimum over positions
  double maxKlMean = 0;          // KL(softmax(ref) || softmax(test)), mean over positions
  double maxKl = 0;              // ... maximum over positions
  double minTop1Agreement = 0;   // fraction of positions with the same argmax
  double minTop5Overlap = 0;     // mean |top5(ref) ∩ top5(test)| / 5
  double maxNmse = 0;            // sum (test-ref)^2 / sum (ref-mean ref)^2
};

// float32: cosine >= 0.99999, KL mean <= 1e-6, max <= 1e-5, top-1 = 1, top-5 >= 0.99, NMSE <= 1e-8.
// bfloat16 / float16: cosine >= 0.999, KL mean <= 1e-3, max <= 1e-2, top-1 >= 0.99, top-5 >= 0.95,
// NMSE <= 1e-3. float64: as float32 but tighter (cosine >= 1 - 1e-9, KL <= 1e-12/1e-10, NMSE <= 1e-14).
ForwardThresholds forwardThresholdsFor(at::ScalarType dtype);

// Overrides fields from a JSON object with any of the keys: "rtol", "atol" (logits),
// "layer_rtol", "layer_atol", "min_cosine", "max_kl_mean", "max_kl", "min_top1_agreement",
// "min_top5_overlap", "max_nmse". BadInput naming `source` and the key for unknown keys or
// non-numeric or negative values.
void applyThresholdOverrides(ForwardThresholds& thresholds, const nlohmann::json& overrides,
                             const std::string& source);

// The verify command's limits (bridge/verify/thresholds.h: defaults plus a --thresholds file) for
// what they cover (rtol, atol, cosine min, KL max, top-1); everything else from
// forwardThresholdsFor(dtype), with the layer tolerance equal to the logits tolerance.
ForwardThresholds forwardThresholdsFrom(const verify::ForwardLimits& limits, at::ScalarType dtype);

}  // namespace nhb::harness
