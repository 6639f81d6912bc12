// --baseline: compares this run's report with an earlier report.json and adds regression checks.
// Checks are matched by id and metrics by name; a metric is worse when it moved in its bad
// direction (metricDirection) by more than the tolerance; a check that passed before and now
// fails is a regression whatever its metrics say.
#pragma once

#include <string_view>
#include <vector>

#include "bridge/verify/report_model.h"

namespace nhb::harness {

enum class MetricDirection {
  LowerIsBetter,   // differences, ULPs, KL, NMSE, counts of problems
  HigherIsBetter,  // cosine, agreement, overlap, identical counts, rates
  Neutral,         // informational (numel, positions, sizes): never a regression
};

// From the metric's name, following the naming conventions in report_model.h.
MetricDirection metricDirection(std::string_view metricName);

struct BaselineOptions {
  // A metric regresses when worse by more than absoluteTolerance + relativeTolerance * |baseline|.
  // Higher-is-better metrics bounded by 1 (cosine, agreement, overlap) are compared through their
  // gap to 1, so that cosine 0.99999 -> 0.9999 (a 10x larger gap) is caught. Defaults: 5% (noise
  // of reductions across devices or thread counts), plus a tiny absolute floor so exact-zero
  // baselines only flag real changes.
  double relativeTolerance = 0.05;
  double absoluteTolerance = 1e-12;
  // Verdict of a metric regression (a check that passed and now fails is always Fail).
  verify::Verdict metricRegressionVerdict = verify::Verdict::Fail;
};

// Returns the regression checks, category Baseline, verdict per options:
//  - "baseline.<check id>": the check passed (or warned) in the baseline and now fails (Fail), or
//    passed and now warns (Warn).
//  - "baseline.<check id>.<metric>": a metric got worse; metrics {baseline, current}.
//  - "baseline.missing.<check id>": the baseline had a check this run lacks (Warn).
// Checks new in this run and skipped checks are ignored. When nothing regressed, one passing
// "baseline.no_regressions" check says how many checks and metrics were compared.
std::vector<verify::Check> compareWithBaseline(const verify::Report& current,
                                               const verify::Report& baseline,
                                               const BaselineOptions& options = {});

}  // namespace nhb::harness
