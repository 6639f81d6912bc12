#include "harness/report/baseline.h"

#include <cmath>
#include <map>
#include <string>

#include "harness/report/text_format.h"

namespace nhb::harness {
namespace {

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }
bool startsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }
bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Higher-is-better metrics whose best value is 1: compared through their gap to 1.
bool boundedByOne(std::string_view name) {
  return startsWith(name, "cosine") || contains(name, "agreement") || contains(name, "overlap") ||
         endsWith(name, "_rate");
}

// How much worse `current` is than `baseline`, in the metric's bad direction, on the scale the
// tolerance applies to; returns {amount, scale}. NaN current with a non-NaN baseline is infinitely
// worse.
bool regressed(MetricDirection direction, bool bounded, double baseline, double current,
               const BaselineOptions& options) {
  if (direction == MetricDirection::Neutral) return false;
  if (std::isnan(current)) return !std::isnan(baseline);
  if (std::isnan(baseline)) return false;
  double base = baseline, now = current;
  if (direction == MetricDirection::HigherIsBetter) {
    if (bounded) {
      base = 1 - baseline;  // the gap to a perfect score: lower is better
      now = 1 - current;
    } else {
      base = -baseline;
      now = -current;
    }
  }
  if (now == base) return false;  // also equal infinities
  return now > base + options.absoluteTolerance + options.relativeTolerance * std::fabs(base);
}

}  // namespace

MetricDirection metricDirection(std::string_view name) {
  if (startsWith(name, "cosine") || contains(name, "agreement") || contains(name, "overlap") ||
      contains(name, "identical") || endsWith(name, "_rate"))
    return MetricDirection::HigherIsBetter;
  for (std::string_view bad : {"diff", "ulp", "nmse", "mismatch", "differing", "missing", "unexpected",
                               "diverged", "changed", "failed", "problem", "disagreement", "undocumented",
                               "out_of_vocab", "zero_row", "error"})
    if (contains(name, bad)) return MetricDirection::LowerIsBetter;
  if (startsWith(name, "kl")) return MetricDirection::LowerIsBetter;
  return MetricDirection::Neutral;
}

std::vector<verify::Check> compareWithBaseline(const verify::Report& current, const verify::Report& baseline,
                                               const BaselineOptions& options) {
  std::map<std::string, const verify::Check*> now;
  for (const verify::Check& check : current.checks) now.emplace(check.id, &check);

  std::vector<verify::Check> out;
  size_t checksCompared = 0, metricsCompared = 0;
  auto regression = [&](std::string id, std::string name, verify::Verdict verdict, std::string message) {
    verify::Check check;
    check.id = std::move(id);
    check.category = verify::CheckCategory::Baseline;
    check.name = std::move(name);
    check.verdict = verdict;
    check.message = std::move(message);
    return check;
  };

  for (const verify::Check& before : baseline.checks) {
    if (before.category == verify::CheckCategory::Baseline) continue;  // regressions of regressions
    auto found = now.find(before.id);
    if (found == now.end()) {
      out.push_back(regression("baseline.missing." + before.id, "check missing since the baseline",
                               verify::Verdict::Warn,
                               before.id + " was in the baseline (" + verify::verdictName(before.verdict) +
                                   ") but not in this run"));
      continue;
    }
    const verify::Check& after = *found->second;
    ++checksCompared;
    const bool wasGood = before.verdict == verify::Verdict::Pass || before.verdict == verify::Verdict::Warn;
    if (wasGood && after.verdict == verify::Verdict::Fail) {
      out.push_back(regression("baseline." + before.id, "check now fails", verify::Verdict::Fail,
                               before.id + " was " + verify::verdictName(before.verdict) +
                                   " in the baseline and now fails: " + after.message));
    } else if (before.verdict == verify::Verdict::Pass && after.verdict == verify::Verdict::Warn) {
      out.push_back(regression("baseline." + before.id, "check now warns", verify::Verdict::Warn,
                               before.id + " passed in the baseline and now warns: " + after.message));
    }
    if (before.verdict == verify::Verdict::Skip || after.verdict == verify::Verdict::Skip) continue;

    for (const auto& [metric, baseValue] : before.metrics) {
      auto nowValue = after.metrics.get(metric);
      if (!nowValue) continue;
      ++metricsCompared;
      const MetricDirection direction = metricDirection(metric);
      if (!regressed(direction, boundedByOne(metric), baseValue, *nowValue, options)) continue;
      verify::Check check = regression(
          "baseline." + before.id + "." + metric, "metric regressed", options.metricRegressionVerdict,
          before.id + ": " + metric + " " + formatNumber(*nowValue) + " is worse than the baseline's " +
              formatNumber(baseValue) + " (" +
              (direction == MetricDirection::LowerIsBetter ? "lower" : "higher") + " is better)");
      check.metrics.set("baseline", baseValue);
      check.metrics.set("current", *nowValue);
      check.thresholds.set("relative_tolerance", options.relativeTolerance);
      check.thresholds.set("absolute_tolerance", options.absoluteTolerance);
      check.details["check"] = before.id;
      check.details["metric"] = metric;
      out.push_back(std::move(check));
    }
  }

  if (out.empty()) {
    verify::Check none = regression("baseline.no_regressions", "no regressions against the baseline",
                                    verify::Verdict::Pass,
                                    std::to_string(checksCompared) + " checks and " +
                                        std::to_string(metricsCompared) + " metrics compared; none got worse");
    none.metrics.set("checks_compared", static_cast<double>(checksCompared));
    none.metrics.set("metrics_compared", static_cast<double>(metricsCompared));
    out.push_back(std::move(none));
  }
  return out;
}

}  // namespace nhb::harness
