// Thresholds: defaults (torch.testing.assert_close), the JSON override format and its errors,
// the tolerance criterion and the forward verdict.
#include <gtest/gtest.h>

#include "bridge/core/error.h"
#include "bridge/verify/thresholds.h"
#include "support/test_support.h"

namespace nhb::verify {
namespace {
using Json = nlohmann::ordered_json;

void expectBadInput(const Json& json, const std::string& part) {
  try {
    parseThresholds(json, "t.json");
    FAIL() << "accepted " << json.dump();
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find(part), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("t.json"), std::string::npos) << error.what();
  }
}

TEST(Thresholds, DefaultsFollowAssertClose) {
  const Thresholds t = defaultThresholds();
  EXPECT_TRUE(t.weights.bitwise);
  EXPECT_EQ(t.forwardLimits(DType::BF16).rtol, 1.6e-2);
  EXPECT_EQ(t.forwardLimits(DType::BF16).atol, 1e-5);
  EXPECT_EQ(t.forwardLimits(DType::F16).rtol, 1e-3);
  EXPECT_EQ(t.forwardLimits(DType::F32).rtol, 1.3e-6);
  EXPECT_EQ(t.forwardLimits(DType::F32).atol, 1e-5);
  EXPECT_EQ(t.forwardLimits(DType::F64).atol, 1e-7);
  EXPECT_THROW(t.forwardLimits(DType::I32), Error);
}

TEST(Thresholds, OverridesKeepOtherDefaults) {
  const Thresholds t = parseThresholds(
      Json::parse(R"({"version": 1, "weights": {"bitwise": false, "max_ulp": 2},
                      "forward": {"bf16": {"atol": 0.5, "top1_min": 0.9}, "float32": {"kl_max": 0.01}}})"),
      "t.json");
  EXPECT_FALSE(t.weights.bitwise);
  EXPECT_EQ(t.weights.maxUlp, 2u);
  EXPECT_EQ(t.forwardLimits(DType::BF16).atol, 0.5);
  EXPECT_EQ(t.forwardLimits(DType::BF16).top1Min, 0.9);
  EXPECT_EQ(t.forwardLimits(DType::BF16).rtol, 1.6e-2);
  EXPECT_EQ(t.forwardLimits(DType::F32).klMax, 0.01);
}

TEST(Thresholds, ExampleFileParsesToTheDefaults) {
  const Thresholds t = loadThresholds(nhb::testing::sourceDir() / "reports/thresholds.example.json");
  const Thresholds d = defaultThresholds();
  for (DType dtype : {DType::F16, DType::BF16, DType::F32, DType::F64}) {
    EXPECT_EQ(t.forwardLimits(dtype).rtol, d.forwardLimits(dtype).rtol);
    EXPECT_EQ(t.forwardLimits(dtype).atol, d.forwardLimits(dtype).atol);
    EXPECT_EQ(t.forwardLimits(dtype).cosineMin, d.forwardLimits(dtype).cosineMin);
    EXPECT_EQ(t.forwardLimits(dtype).klMax, d.forwardLimits(dtype).klMax);
    EXPECT_EQ(t.forwardLimits(dtype).top1Min, d.forwardLimits(dtype).top1Min);
  }
}

TEST(Thresholds, UnknownTopLevelKey) { expectBadInput(Json::parse(R"({"weight": {}})"), "weight: unknown key"); }
TEST(Thresholds, UnknownForwardKey) {
  expectBadInput(Json::parse(R"({"forward": {"bf16": {"rtoll": 1}}})"), "forward.bf16.rtoll: unknown key");
}
TEST(Thresholds, UnknownDType) { expectBadInput(Json::parse(R"({"forward": {"int8": {}}})"), "forward.int8: unknown dtype"); }
TEST(Thresholds, NegativeTolerance) {
  expectBadInput(Json::parse(R"({"forward": {"f32": {"atol": -1}}})"), "forward.f32.atol: must be >= 0");
}
TEST(Thresholds, Top1OutOfRange) {
  expectBadInput(Json::parse(R"({"forward": {"f32": {"top1_min": 1.5}}})"), "forward.f32.top1_min: must be in [0, 1]");
}
TEST(Thresholds, WrongType) {
  expectBadInput(Json::parse(R"({"forward": {"f32": {"rtol": "small"}}})"), "forward.f32.rtol: expected a number");
}
TEST(Thresholds, BitwiseNotBool) { expectBadInput(Json::parse(R"({"weights": {"bitwise": 1}})"), "weights.bitwise"); }
TEST(Thresholds, UnsupportedVersion) { expectBadInput(Json::parse(R"({"version": 2})"), "version: unsupported"); }
TEST(Thresholds, MissingFile) {
  try {
    loadThresholds("/nonexistent/thresholds.json");
    FAIL();
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent/thresholds.json"), std::string::npos);
  }
}
TEST(Thresholds, InvalidJson) {
  nhb::testing::TempDir dir;
  nhb::testing::writeFile(dir / "t.json", "{\"version\": ");
  try {
    loadThresholds(dir / "t.json");
    FAIL();
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("not valid JSON"), std::string::npos);
  }
}

TEST(Thresholds, ToleranceCriterion) {
  // |a - e| <= atol + rtol * |e|: e = 100, rtol 0.01, atol 0.5 -> 1.5 allowed.
  EXPECT_TRUE(withinTolerance(100, 101.5, 0.01, 0.5));
  EXPECT_FALSE(withinTolerance(100, 101.6, 0.01, 0.5));
  EXPECT_TRUE(withinTolerance(-100, -98.5, 0.01, 0.5));
  EXPECT_FALSE(withinTolerance(0, std::nan(""), 1, 1));
  EXPECT_TRUE(withinTolerance(INFINITY, INFINITY, 0, 0));
}

TEST(Thresholds, ForwardVerdict) {
  const ForwardLimits limits{1e-3, 1e-5, 0.99, 0.01, 0.9};
  Check pass;
  judgeForward(ForwardObservation{0, 0.995, 0.001, 1.0}, limits, pass);
  EXPECT_EQ(pass.verdict, Verdict::Pass);
  EXPECT_EQ(*pass.thresholds.get("cosine_min"), 0.99);
  Check failCheck;
  judgeForward(ForwardObservation{3, 0.98, 0.001, 0.8}, limits, failCheck);
  EXPECT_EQ(failCheck.verdict, Verdict::Fail);
  EXPECT_NE(failCheck.message.find("3 logits outside"), std::string::npos) << failCheck.message;
  EXPECT_NE(failCheck.message.find("min cosine 0.98 < 0.99"), std::string::npos) << failCheck.message;
  EXPECT_NE(failCheck.message.find("top-1 agreement 0.8 < 0.9"), std::string::npos) << failCheck.message;
  EXPECT_EQ(failCheck.message.find("KL"), std::string::npos) << failCheck.message;
}

}  // namespace
}  // namespace nhb::verify
