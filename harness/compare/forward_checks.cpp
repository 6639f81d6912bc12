#include "harness/compare/forward_checks.h"

#include <algorithm>
#include <cmath>

#include "harness/report/text_format.h"

namespace nhb::harness {
namespace {

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& part : parts) out += (out.empty() ? "" : "; ") + part;
  return out;
}

// Written as !(value <= limit) so that a NaN metric fails.
void requireAtMost(std::vector<std::string>& failures, const char* name, double value, double limit) {
  if (!(value <= limit))
    failures.push_back(std::string(name) + " " + formatNumber(value) + " > " + formatNumber(limit));
}
void requireAtLeast(std::vector<std::string>& failures, const char* name, double value, double limit) {
  if (!(value >= limit))
    failures.push_back(std::string(name) + " " + formatNumber(value) + " < " + formatNumber(limit));
}

}  // namespace

verify::Check makeLogitsCheck(const std::string& what, const std::string& pair,
                              const std::string& title, const LogitsMetrics& m,
                              const ForwardThresholds& thresholds) {
  verify::Check check;
  check.id = "forward." + what + "." + pair;
  check.category = verify::CheckCategory::Forward;
  check.name = title;

  check.metrics.set("max_abs_diff", m.maxAbsDiff);
  check.metrics.set("mean_abs_diff", m.meanAbsDiff);
  check.metrics.set("max_rel_diff", m.maxRelDiff);
  check.metrics.set("cosine_min", m.cosineMin);
  check.metrics.set("cosine_mean", m.cosineMean);
  check.metrics.set("kl_mean", m.klMean);
  check.metrics.set("kl_max", m.klMax);
  check.metrics.set("top1_agreement", m.top1Agreement);
  check.metrics.set("top5_overlap", m.top5Overlap);
  check.metrics.set("nmse", m.nmse);
  check.metrics.set("mismatched_count", static_cast<double>(m.mismatchedElements));
  check.metrics.set("positions", static_cast<double>(m.positions));

  check.thresholds.set("rtol", thresholds.logits.rtol);
  check.thresholds.set("atol", thresholds.logits.atol);
  check.thresholds.set("min_cosine", thresholds.minCosine);
  check.thresholds.set("max_kl_mean", thresholds.maxKlMean);
  check.thresholds.set("max_kl", thresholds.maxKl);
  check.thresholds.set("min_top1_agreement", thresholds.minTop1Agreement);
  check.thresholds.set("min_top5_overlap", thresholds.minTop5Overlap);
  check.thresholds.set("max_nmse", thresholds.maxNmse);

  const std::string where = "batch " + std::to_string(m.maxDiffBatch) + ", position " +
                            std::to_string(m.maxDiffPosition) + ", index " +
                            std::to_string(m.maxDiffIndex);
  check.details["max_abs_diff_at"] = {{"batch", m.maxDiffBatch},
                                      {"position", m.maxDiffPosition},
                                      {"index", m.maxDiffIndex}};

  std::vector<std::string> failures;
  if (m.mismatchedElements > 0 || std::isnan(m.maxAbsDiff))
    failures.push_back(std::to_string(m.mismatchedElements) + " of " + std::to_string(m.elements) +
                       " elements outside atol + rtol*|ref| (rtol " + formatNumber(thresholds.logits.rtol) +
                       ", atol " + formatNumber(thresholds.logits.atol) + "); max |diff| " +
                       formatNumber(m.maxAbsDiff) + " at " + where);
  requireAtLeast(failures, "cosine_min", m.cosineMin, thresholds.minCosine);
  requireAtMost(failures, "kl_mean", m.klMean, thresholds.maxKlMean);
  requireAtMost(failures, "kl_max", m.klMax, thresholds.maxKl);
  requireAtLeast(failures, "top1_agreement", m.top1Agreement, thresholds.minTop1Agreement);
  requireAtLeast(failures, "top5_overlap", m.top5Overlap, thresholds.minTop5Overlap);
  requireAtMost(failures, "nmse", m.nmse, thresholds.maxNmse);

  if (failures.empty()) {
    check.verdict = verify::Verdict::Pass;
    check.message = "max |diff| " + formatNumber(m.maxAbsDiff) + " over " +
                    std::to_string(m.positions) + " positions; cosine min " +
                    formatNumber(m.cosineMin) + "; KL mean " + formatNumber(m.klMean) +
                    "; top-1 agreement " + formatNumber(m.top1Agreement);
  } else {
    check.verdict = verify::Verdict::Fail;
    check.message = joined(failures);
  }

  verify::Series cosine;
  cosine.name = "cosine_per_position";
  cosine.xLabel = "position";
  cosine.yLabel = "cosine similarity";
  cosine.values = m.cosinePerPosition;
  check.series.push_back(std::move(cosine));
  return check;
}

std::vector<verify::Check> makeLayerChecks(const std::string& pair, const std::string& title,
                                           const LayerComparison& comparison,
                                           const ForwardThresholds& thresholds) {
  std::vector<verify::Check> checks;
  verify::Check summary;
  summary.id = "forward.layers." + pair;
  summary.category = verify::CheckCategory::Forward;
  summary.name = title;
  summary.thresholds.set("layer_rtol", thresholds.layers.rtol);
  summary.thresholds.set("layer_atol", thresholds.layers.atol);

  double largest = 0;
  size_t largestAt = 0;
  int diverged = 0;
  verify::Series series;
  series.name = "max_abs_diff_per_layer";
  series.xLabel = "layer";
  series.yLabel = "max |diff|";
  series.logScale = true;
  for (size_t i = 0; i < comparison.layers.size(); ++i) {
    const LayerDiff& layer = comparison.layers[i];
    if (layer.diverged) ++diverged;
    // The first NaN, once seen, stays the "largest".
    if (!std::isnan(largest) && (std::isnan(layer.maxAbsDiff) || layer.maxAbsDiff > largest)) {
      largest = layer.maxAbsDiff;
      largestAt = i;
    }
    series.xTicks.push_back(layer.name);
    series.values.push_back(layer.maxAbsDiff);
  }
  summary.metrics.set("layers", static_cast<double>(comparison.layers.size()));
  summary.metrics.set("diverged_count", diverged);
  summary.metrics.set("max_abs_diff", largest);
  if (comparison.firstDiverging) {
    const LayerDiff& first = comparison.layers[*comparison.firstDiverging];
    summary.metrics.set("first_diverging_index", static_cast<double>(*comparison.firstDiverging));
    summary.details["first_diverging_layer"] = first.name;
    summary.verdict = verify::Verdict::Fail;
    summary.message = "first diverging layer: " + first.name + " (max |diff| " +
                      formatNumber(first.maxAbsDiff) + ", " + std::to_string(first.mismatchedElements) +
                      " elements outside atol " + formatNumber(thresholds.layers.atol) + " + rtol " +
                      formatNumber(thresholds.layers.rtol) + "*|ref|); " + std::to_string(diverged) +
                      " of " + std::to_string(comparison.layers.size()) + " layers diverged";
  } else if (comparison.layers.empty()) {
    summary.verdict = verify::Verdict::Skip;
    summary.message = "no layers captured";
  } else {
    summary.details["first_diverging_layer"] = nullptr;
    summary.verdict = verify::Verdict::Pass;
    summary.message = "all " + std::to_string(comparison.layers.size()) +
                      " layers within tolerance; largest max |diff| " + formatNumber(largest) +
                      " at " + comparison.layers[largestAt].name;
  }
  summary.series.push_back(std::move(series));
  checks.push_back(std::move(summary));

  for (const LayerDiff& layer : comparison.layers) {
    verify::Check check;
    check.id = "forward.layer." + pair + "." + layer.name;
    check.category = verify::CheckCategory::Forward;
    check.name = title + ": " + layer.name;
    check.metrics.set("max_abs_diff", layer.maxAbsDiff);
    check.metrics.set("mean_abs_diff", layer.meanAbsDiff);
    check.metrics.set("max_abs_reference", layer.maxAbsReference);
    check.metrics.set("cosine_min", layer.cosineMin);
    check.metrics.set("mismatched_count", static_cast<double>(layer.mismatchedElements));
    check.thresholds.set("layer_rtol", thresholds.layers.rtol);
    check.thresholds.set("layer_atol", thresholds.layers.atol);
    check.verdict = layer.diverged ? verify::Verdict::Fail : verify::Verdict::Pass;
    check.message = (layer.diverged ? std::to_string(layer.mismatchedElements) +
                                          " elements outside tolerance; max |diff| "
                                    : std::string("within tolerance; max |diff| ")) +
                    formatNumber(layer.maxAbsDiff) + " (activations up to " +
                    formatNumber(layer.maxAbsReference) + ")";
    checks.push_back(std::move(check));
  }
  return checks;
}

}  // namespace nhb::harness
