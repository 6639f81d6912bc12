// Turns forward-pass comparisons into report checks with verdicts.
#pragma once

#include <string>
#include <vector>

#include "bridge/verify/report_model.h"
#include "harness/compare/layer_compare.h"
#include "harness/compare/logits_metrics.h"
#include "harness/compare/tolerance.h"

namespace nhb::harness {

// Check "forward.<what>.<pair>" (what = "logits" or e.g. "mtp0_logits"; pair e.g.
// "hf_vs_megatron"), category forward. Fails when any element is outside thresholds.logits
// (metrics.mismatchedElements > 0; compareLogits must have been given thresholds.logits) or a
// metric is past its threshold; the message names every failing metric with its value, the limit
// and where the largest difference is. Metrics: max_abs_diff, mean_abs_diff, max_rel_diff,
// cosine_min, cosine_mean, kl_mean, kl_max, top1_agreement, top5_overlap, nmse,
// mismatched_count, positions. Series: cosine_per_position.
verify::Check makeLogitsCheck(const std::string& what, const std::string& pair,
                              const std::string& title, const LogitsMetrics& metrics,
                              const ForwardThresholds& thresholds);

// A summary check "forward.layers.<pair>" (fails when a layer diverged; the message names the
// first one; series max_abs_diff_per_layer, log scale) followed by one check per layer,
// "forward.layer.<pair>.<layer name>", each with max_abs_diff, mean_abs_diff, cosine_min,
// mismatched_count.
std::vector<verify::Check> makeLayerChecks(const std::string& pair, const std::string& title,
                                           const LayerComparison& comparison,
                                           const ForwardThresholds& thresholds);

}  // namespace nhb::harness
