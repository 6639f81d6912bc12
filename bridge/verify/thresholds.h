// Pass/fail limits of `nhbridge verify`, with defaults and a JSON file format to override them.
//
// Thresholds file (every key optional; unknown keys are errors, so a typo cannot silently keep a
// default). Dtype keys use the short names: "f16", "bf16", "f32", "f64". See
// reports/thresholds.example.json.
//
//   {
//     "version": 1,
//     "weights": {
//       "bitwise": true,      // default: every tensor must be byte-identical after the round trip
//       "max_ulp": 0          // when bitwise is false: largest ULP distance allowed per element
//     },
//     "forward": {
//       "bf16": {
//         "rtol": 1.6e-2,     // logits: |actual - expected| <= atol + rtol * |expected| per element
//         "atol": 1e-5,
//         "cosine_min": 0.995,// smallest per-position cosine similarity of the logits
//         "kl_max": 5e-3,     // largest per-position KL(expected || actual), nats
//         "top1_min": 0.95    // smallest fraction of positions whose argmax agrees
//       },
//       "f32": { ... }, "f16": { ... }, "f64": { ... }
//     }
//   }
//
// Defaults: rtol/atol follow torch.testing.assert_close (peers-and-formats.md §5.2): f16 1e-3/1e-5,
// bf16 1.6e-2/1e-5, f32 1.3e-6/1e-5, f64 1e-7/1e-7. cosine/KL/top-1 defaults tighten with precision
// (bf16 0.995/5e-3/0.95, f16 0.999/1e-3/0.98, f32 0.99999/1e-6/0.999, f64 0.9999999/1e-9/1.0).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/core/dtype.h"
#include "bridge/verify/report_model.h"

namespace nhb::verify {

struct ForwardLimits {
  double rtol = 0.0;
  double atol = 0.0;
  double cosineMin = 1.0;
  double klMax = 0.0;
  double top1Min = 1.0;
};

struct WeightLimits {
  bool bitwise = true;
  uint64_t maxUlp = 0;  // used when !bitwise
};

struct Thresholds {
  WeightLimits weights;
  std::map<DType, ForwardLimits> forward;  // F16, BF16, F32, F64

  // The limits for a compute dtype; Unsupported for a dtype without forward limits (ints, F8).
  const ForwardLimits& forwardLimits(DType dtype) const;
};

Thresholds defaultThresholds();

// Starts from the defaults and applies the file's overrides. BadInput naming `source` and the key
// path ("forward.bf16.rtol") for unknown keys, wrong types, negative tolerances, cosine/top-1
// outside [0, 1], or an unsupported version.
Thresholds parseThresholds(const nlohmann::ordered_json& json, const std::string& source);
Thresholds loadThresholds(const std::filesystem::path& path);

// |actual - expected| <= atol + rtol * |expected| (torch.testing.assert_close; NaN never passes,
// equal infinities do).
bool withinTolerance(double expected, double actual, double rtol, double atol);

// What a forward comparison measured, reduced to the numbers the verdict uses.
struct ForwardObservation {
  int64_t elementsOutsideTolerance = 0;  // counted with the rtol/atol of the compute dtype
  double cosineMin = 1.0;
  double klMax = 0.0;
  double top1Agreement = 1.0;
};

// Fail when any limit is exceeded (the message names each one: "3 logits outside rtol 0.016 / atol
// 1e-05; min cosine 0.98 < 0.995"); fills check.verdict, message and thresholds.
void judgeForward(const ForwardObservation& observed, const ForwardLimits& limits, Check& check);

}  // namespace nhb::verify
