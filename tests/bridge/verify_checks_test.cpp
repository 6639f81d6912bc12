// Verdict rules of the weight and config checks on hand-made inputs: the ULP budget when bitwise
// identity is not required, per-tensor checks naming the tensor, and documented vs undocumented
// config differences.
#include <gtest/gtest.h>

#include "bridge/verify/config_checks.h"
#include "bridge/verify/weight_compare.h"

namespace nhb::verify {
namespace {

const Check& find(const std::vector<Check>& checks, const std::string& id) {
  for (const Check& check : checks)
    if (check.id == id) return check;
  ADD_FAILURE() << "no check " << id;
  static Check none;
  return none;
}

WeightComparison oneDifferingTensor(uint64_t ulp) {
  WeightComparison c;
  c.expectedLabel = "source";
  c.actualLabel = "exported";
  c.tensorsCompared = 3;
  c.tensorsIdentical = 2;
  TensorDifference d;
  d.name = "backbone.norm_f.weight";
  d.status = TensorStatus::ValuesDiffer;
  d.expectedDType = d.actualDType = DType::BF16;
  d.expectedShape = d.actualShape = {4};
  d.numel = 4;
  d.differingElements = 1;
  d.maxAbsDiff = 0.0078125;
  d.maxRelDiff = 0.0078125;
  d.maxUlp = ulp;
  d.valuesDecoded = d.ulpMeasured = true;
  c.differences.push_back(d);
  return c;
}

TEST(WeightChecks, BitwiseByDefault) {
  const auto checks = weightChecks(oneDifferingTensor(1), WeightLimits{});
  EXPECT_EQ(find(checks, "weights.bitwise").verdict, Verdict::Fail);
  const Check& tensor = find(checks, "weights.tensor.backbone.norm_f.weight");
  EXPECT_EQ(tensor.verdict, Verdict::Fail);
  EXPECT_EQ(tensor.message, "backbone.norm_f.weight: 1 of 4 elements differ (max abs diff 0.0078125, max rel diff "
                            "0.0078125, max ULP 1)");
  EXPECT_EQ(*tensor.metrics.get("max_ulp"), 1);
  EXPECT_EQ(find(checks, "weights.inventory").verdict, Verdict::Pass);
}

TEST(WeightChecks, UlpBudget) {
  const WeightLimits limits{false, 2};
  EXPECT_EQ(find(weightChecks(oneDifferingTensor(2), limits), "weights.bitwise").verdict, Verdict::Pass);
  EXPECT_EQ(find(weightChecks(oneDifferingTensor(3), limits), "weights.bitwise").verdict, Verdict::Fail);
  EXPECT_EQ(*find(weightChecks(oneDifferingTensor(3), limits), "weights.bitwise").thresholds.get("max_ulp"), 2);
}

TEST(WeightChecks, MissingAndUnexpectedTensors) {
  WeightComparison c;
  c.expectedLabel = "source";
  c.actualLabel = "exported";
  TensorDifference missing;
  missing.name = "lm_head.weight";
  missing.status = TensorStatus::Missing;
  TensorDifference unexpected;
  unexpected.name = "extra.weight";
  unexpected.status = TensorStatus::Unexpected;
  c.differences = {missing, unexpected};
  const auto checks = weightChecks(c, WeightLimits{});
  const Check& inventory = find(checks, "weights.inventory");
  EXPECT_EQ(inventory.verdict, Verdict::Fail);
  EXPECT_EQ(inventory.message, "1 missing from the exported: lm_head.weight; 1 unexpected in the exported: extra.weight");
  EXPECT_EQ(find(checks, "weights.tensor.lm_head.weight").verdict, Verdict::Fail);
}

TEST(ConfigChecks, UndocumentedValueChangeFails) {
  config::ConfigDifference d;
  d.hfKey = "routed_scaling_factor";
  d.kind = config::DifferenceKind::ValueChanged;
  d.before = 2.5;
  d.after = 1.0;
  Check check;
  judgeConfigDifferences({d}, check);
  EXPECT_EQ(check.verdict, Verdict::Fail);
  EXPECT_EQ(check.message, "1 undocumented difference(s): routed_scaling_factor 2.5 -> 1.0 (value-changed)");
  EXPECT_EQ(check.details["differences"][0]["key"], "routed_scaling_factor");
}

TEST(ConfigChecks, DocumentedChangeWarnsAndCarriedKeysPass) {
  config::ConfigDifference carried;
  carried.hfKey = "hidden_size";
  carried.kind = config::DifferenceKind::Renamed;
  carried.before = carried.after = 64;
  carried.documented = true;
  Check pass;
  judgeConfigDifferences({carried}, pass);
  EXPECT_EQ(pass.verdict, Verdict::Pass);
  config::ConfigDifference autoMap;
  autoMap.hfKey = "auto_map";
  autoMap.kind = config::DifferenceKind::ValueChanged;
  autoMap.documented = true;
  Check warn;
  judgeConfigDifferences({carried, autoMap}, warn);
  EXPECT_EQ(warn.verdict, Verdict::Warn);
  EXPECT_EQ(warn.details["differences"].size(), 1u);  // carried keys are not listed
}

}  // namespace
}  // namespace nhb::verify
