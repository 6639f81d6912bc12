// --baseline regression detection: metric directions, tolerances, verdict changes, missing checks.
#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "harness/report/baseline.h"
#include "harness/report/report.h"
#include "report_fixture.h"

namespace nhb::harness {
namespace {

Check* find(Report& report, const std::string& id) {
  for (Check& check : report.checks)
    if (check.id == id) return &check;
  return nullptr;
}

const Check* find(const std::vector<Check>& checks, const std::string& id) {
  for (const Check& check : checks)
    if (check.id == id) return &check;
  return nullptr;
}

TEST(MetricDirection, FromNames) {
  EXPECT_EQ(metricDirection("max_abs_diff"), MetricDirection::LowerIsBetter);
  EXPECT_EQ(metricDirection("max_ulp"), MetricDirection::LowerIsBetter);
  EXPECT_EQ(metricDirection("kl_mean"), MetricDirection::LowerIsBetter);
  EXPECT_EQ(metricDirection("nmse"), MetricDirection::LowerIsBetter);
  EXPECT_EQ(metricDirection("differing_count"), MetricDirection::LowerIsBetter);
  EXPECT_EQ(metricDirection("missing_count"), MetricDirection::LowerIsBetter);
  EXPECT_EQ(metricDirection("cosine_min"), MetricDirection::HigherIsBetter);
  EXPECT_EQ(metricDirection("top1_agreement"), MetricDirection::HigherIsBetter);
  EXPECT_EQ(metricDirection("top5_overlap"), MetricDirection::HigherIsBetter);
  EXPECT_EQ(metricDirection("tensors_identical_count"), MetricDirection::HigherIsBetter);
  EXPECT_EQ(metricDirection("positions"), MetricDirection::Neutral);
  EXPECT_EQ(metricDirection("numel"), MetricDirection::Neutral);
  EXPECT_EQ(metricDirection("tensors_compared_count"), MetricDirection::Neutral);
  EXPECT_EQ(metricDirection("vocab_size"), MetricDirection::Neutral);
}

TEST(Baseline, IdenticalReportsHaveNoRegressions) {
  const Report report = testing::sampleReport();
  std::vector<Check> checks = compareWithBaseline(report, report);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_EQ(checks[0].id, "baseline.no_regressions");
  EXPECT_EQ(checks[0].category, CheckCategory::Baseline);
  EXPECT_EQ(checks[0].verdict, Verdict::Pass);
  EXPECT_EQ(checks[0].metrics.get("checks_compared"), 7.0);
}

TEST(Baseline, WorseLowerIsBetterMetricIsARegression) {
  const Report baseline = testing::sampleReport();
  Report current = baseline;
  find(current, "forward.logits.hf_vs_megatron")->metrics.set("max_abs_diff", 3.3);  // +10% > 5%
  std::vector<Check> checks = compareWithBaseline(current, baseline);
  const Check* regression = find(checks, "baseline.forward.logits.hf_vs_megatron.max_abs_diff");
  ASSERT_NE(regression, nullptr);
  EXPECT_EQ(regression->verdict, Verdict::Fail);
  EXPECT_EQ(regression->metrics.get("baseline"), 3.0);
  EXPECT_EQ(regression->metrics.get("current"), 3.3);
  EXPECT_NE(regression->message.find("lower is better"), std::string::npos);
  EXPECT_EQ(find(checks, "baseline.no_regressions"), nullptr);
}

TEST(Baseline, ChangeWithinToleranceIsNotARegression) {
  const Report baseline = testing::sampleReport();
  Report current = baseline;
  find(current, "forward.logits.hf_vs_megatron")->metrics.set("max_abs_diff", 3.1);  // +3.3% < 5%
  std::vector<Check> checks = compareWithBaseline(current, baseline);
  EXPECT_EQ(find(checks, "baseline.forward.logits.hf_vs_megatron.max_abs_diff"), nullptr);
}

TEST(Baseline, ImprovementIsNotARegression) {
  const Report baseline = testing::sampleReport();
  Report current = baseline;
  find(current, "forward.logits.hf_vs_megatron")->metrics.set("max_abs_diff", 0.1);
  find(current, "forward.logits.hf_vs_megatron")->metrics.set("cosine_min", 1.0);
  EXPECT_EQ(compareWithBaseline(current, baseline)[0].id, "baseline.no_regressions");
}

TEST(Baseline, CosineIsJudgedByItsGapToOne) {
  // 0.998 -> 0.99: 0.8% lower, but the gap to 1 grew from 0.002 to 0.01 (5x): a regression.
  const Report baseline = testing::sampleReport();
  Report current = baseline;
  find(current, "forward.logits.hf_vs_megatron")->metrics.set("cosine_min", 0.99);
  std::vector<Check> checks = compareWithBaseline(current, baseline);
  const Check* regression = find(checks, "baseline.forward.logits.hf_vs_megatron.cosine_min");
  ASSERT_NE(regression, nullptr);
  EXPECT_NE(regression->message.find("higher is better"), std::string::npos);
}

TEST(Baseline, ZeroBaselineFlagsAnyIncrease) {
  const Report baseline = testing::sampleReport();
  Report current = baseline;
  find(current, "weights.bitwise")->metrics.set("differing_count", 1);
  EXPECT_NE(find(compareWithBaseline(current, baseline), "baseline.weights.bitwise.differing_count"), nullptr);
}

TEST(Baseline, NeutralMetricsNeverRegress) {
  const Report baseline = testing::sampleReport();
  Report current = baseline;
  find(current, "weights.bitwise")->metrics.set("tensors_compared_count", 10);
  EXPECT_EQ(compareWithBaseline(current, baseline)[0].id, "baseline.no_regressions");
}

TEST(Baseline, NanAfterFiniteIsARegression) {
  const Report baseline = testing::sampleReport();
  Report current = baseline;
  find(current, "forward.logits.hf_vs_megatron")->metrics.set("max_abs_diff", std::nan(""));
  EXPECT_NE(find(compareWithBaseline(current, baseline), "baseline.forward.logits.hf_vs_megatron.max_abs_diff"),
            nullptr);
}

TEST(Baseline, PassThatNowFailsIsARegression) {
  const Report baseline = testing::sampleReport();
  Report current = baseline;
  Check* weights = find(current, "weights.bitwise");
  weights->verdict = Verdict::Fail;
  weights->message = "1 tensor differs";
  std::vector<Check> checks = compareWithBaseline(current, baseline);
  const Check* regression = find(checks, "baseline.weights.bitwise");
  ASSERT_NE(regression, nullptr);
  EXPECT_EQ(regression->verdict, Verdict::Fail);
  EXPECT_NE(regression->message.find("was pass in the baseline and now fails: 1 tensor differs"), std::string::npos)
      << regression->message;
}

TEST(Baseline, PassThatNowWarnsIsAWarning) {
  const Report baseline = testing::sampleReport();
  Report current = baseline;
  find(current, "weights.bitwise")->verdict = Verdict::Warn;
  const Check* regression = find(compareWithBaseline(current, baseline), "baseline.weights.bitwise");
  ASSERT_NE(regression, nullptr);
  EXPECT_EQ(regression->verdict, Verdict::Warn);
}

TEST(Baseline, FailThatStillFailsIsNotANewRegression) {
  const Report baseline = testing::sampleReport();  // its logits check already fails
  EXPECT_EQ(find(compareWithBaseline(baseline, baseline), "baseline.forward.logits.hf_vs_megatron"), nullptr);
}

TEST(Baseline, MissingCheckIsAWarning) {
  const Report baseline = testing::sampleReport();
  Report current = baseline;
  current.checks.erase(current.checks.begin());
  const Check* missing = find(compareWithBaseline(current, baseline), "baseline.missing.weights.bitwise");
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(missing->verdict, Verdict::Warn);
}

TEST(Baseline, NewChecksAreIgnored) {
  const Report baseline = testing::sampleReport();
  Report current = baseline;
  Check extra;
  extra.id = "tokenizer.new";
  extra.category = CheckCategory::Tokenizer;
  extra.verdict = Verdict::Fail;
  current.checks.push_back(extra);
  EXPECT_EQ(compareWithBaseline(current, baseline)[0].id, "baseline.no_regressions");
}

TEST(Baseline, OptionsSetToleranceAndVerdict) {
  const Report baseline = testing::sampleReport();
  Report current = baseline;
  find(current, "forward.logits.hf_vs_megatron")->metrics.set("max_abs_diff", 3.3);
  BaselineOptions loose;
  loose.relativeTolerance = 0.5;
  EXPECT_EQ(compareWithBaseline(current, baseline, loose)[0].id, "baseline.no_regressions");
  BaselineOptions warnOnly;
  warnOnly.metricRegressionVerdict = Verdict::Warn;
  EXPECT_EQ(find(compareWithBaseline(current, baseline, warnOnly),
                 "baseline.forward.logits.hf_vs_megatron.max_abs_diff")->verdict,
            Verdict::Warn);
}

TEST(Baseline, WorksThroughJson) {
  // The baseline comes from an earlier report.json on disk in practice.
  const Report baseline = reportFromJson(reportToJson(testing::sampleReport()), "baseline.json");
  Report current = testing::sampleReport();
  find(current, "forward.layer.hf_vs_megatron.layers.0")->metrics.set("max_abs_diff", 1e-3);
  EXPECT_NE(find(compareWithBaseline(current, baseline), "baseline.forward.layer.hf_vs_megatron.layers.0.max_abs_diff"),
            nullptr);
}

}  // namespace
}  // namespace nhb::harness
