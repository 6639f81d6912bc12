// report.json: validated against reports/schema/report.schema.json by a small hand-written checker
// (type, required, properties, items, additionalProperties, enum, const, oneOf, $ref), read back,
// and rejected with a precise message when malformed.
#include <cmath>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "bridge/core/error.h"
#include "harness/report/report.h"
#include "report_fixture.h"
#include "support/test_support.h"

namespace nhb::harness {
namespace {

using Json = nlohmann::ordered_json;

bool hasType(const Json& value, const std::string& type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "integer") return value.is_number_integer();
  if (type == "number") return value.is_number();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  return false;
}

// Appends one line per violation at `path`.
void validate(const Json& schema, const Json& root, const Json& value, const std::string& path,
              std::vector<std::string>& errors) {
  if (schema.contains("$ref")) {
    const std::string ref = schema["$ref"];
    ASSERT_EQ(ref.rfind("#/$defs/", 0), 0u) << ref;
    validate(root["$defs"][ref.substr(8)], root, value, path, errors);
    return;
  }
  if (schema.contains("type")) {
    bool ok = false;
    if (schema["type"].is_array()) {
      for (const Json& t : schema["type"]) ok = ok || hasType(value, t);
    } else {
      ok = hasType(value, schema["type"]);
    }
    if (!ok) errors.push_back(path + ": wrong type, expected " + schema["type"].dump());
  }
  if (schema.contains("const") && value != schema["const"]) errors.push_back(path + ": not the const");
  if (schema.contains("enum")) {
    bool found = false;
    for (const Json& option : schema["enum"]) found = found || option == value;
    if (!found) errors.push_back(path + ": " + value.dump() + " not in enum");
  }
  if (schema.contains("oneOf")) {
    int matches = 0;
    for (const Json& option : schema["oneOf"]) {
      std::vector<std::string> sub;
      validate(option, root, value, path, sub);
      matches += sub.empty();
    }
    if (matches != 1) errors.push_back(path + ": matches " + std::to_string(matches) + " oneOf branches");
  }
  if (value.is_object()) {
    if (schema.contains("required"))
      for (const Json& key : schema["required"])
        if (!value.contains(key.get<std::string>())) errors.push_back(path + ": missing required key " + key.dump());
    for (const auto& [key, member] : value.items()) {
      if (schema.contains("properties") && schema["properties"].contains(key))
        validate(schema["properties"][key], root, member, path + "." + key, errors);
      else if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object())
        validate(schema["additionalProperties"], root, member, path + "." + key, errors);
    }
  }
  if (value.is_array() && schema.contains("items"))
    for (size_t i = 0; i < value.size(); ++i)
      validate(schema["items"], root, value[i], path + "[" + std::to_string(i) + "]", errors);
}

Json loadSchema() {
  return Json::parse(nhb::testing::readFile(nhb::testing::sourceDir() / "reports/schema/report.schema.json"));
}

TEST(ReportJson, ValidatesAgainstTheSchema) {
  const Json schema = loadSchema();
  const Json json = Json::parse(renderJson(testing::sampleReport()));
  std::vector<std::string> errors;
  validate(schema, schema, json, "report", errors);
  for (const std::string& error : errors) ADD_FAILURE() << error;
}

TEST(ReportJson, TheCheckerCatchesAMissingRequiredKey) {
  // Guards the checker itself: a report without "summary" must not validate.
  const Json schema = loadSchema();
  Json json = Json::parse(renderJson(testing::sampleReport()));
  json.erase("summary");
  json["checks"][0].erase("verdict");
  std::vector<std::string> errors;
  validate(schema, schema, json, "report", errors);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("summary"), std::string::npos);
  EXPECT_NE(errors[1].find("verdict"), std::string::npos);
}

TEST(ReportJson, SchemaVersionMatchesTheCode) {
  EXPECT_EQ(loadSchema()["properties"]["schema_version"]["const"], verify::kReportSchemaVersion);
}

TEST(ReportJson, SummaryIsComputedFromTheChecks) {
  const Json json = reportToJson(testing::sampleReport());
  EXPECT_EQ(json["summary"]["verdict"], "fail");
  EXPECT_EQ(json["summary"]["total"], 7);
  EXPECT_EQ(json["summary"]["passed"], 2);
  EXPECT_EQ(json["summary"]["failed"], 3);
  EXPECT_EQ(json["summary"]["warned"], 1);
  EXPECT_EQ(json["summary"]["skipped"], 1);
}

TEST(ReportJson, NonFiniteNumbersAreStrings) {
  const Json json = reportToJson(testing::sampleReport());
  EXPECT_EQ(json["checks"][3]["metrics"]["kl_mean"], "nan");
  EXPECT_EQ(json["checks"][3]["metrics"]["nmse"], "inf");
}

TEST(ReportJson, RoundTripsThroughText) {
  const Report original = testing::sampleReport();
  const Report back = reportFromJson(Json::parse(renderJson(original)), "report.json");
  EXPECT_EQ(back.mode, "roundtrip");
  EXPECT_EQ(back.inputs, original.inputs);
  EXPECT_EQ(back.layout.tp, 2);
  EXPECT_EQ(back.layout.ep, 2);
  ASSERT_EQ(back.checks.size(), original.checks.size());
  const Check& logits = back.checks[3];
  EXPECT_EQ(logits.id, "forward.logits.hf_vs_megatron");
  EXPECT_EQ(logits.verdict, Verdict::Fail);
  EXPECT_EQ(logits.message, original.checks[3].message);
  EXPECT_TRUE(std::isnan(*logits.metrics.get("kl_mean")));
  EXPECT_TRUE(std::isinf(*logits.metrics.get("nmse")));
  EXPECT_EQ(logits.metrics.get("cosine_min"), 0.998);
  EXPECT_EQ(logits.thresholds.get("atol"), 1e-5);
  ASSERT_EQ(logits.series.size(), 1u);
  EXPECT_EQ(logits.series[0].values, original.checks[3].series[0].values);
  EXPECT_EQ(back.checks[1].details["dropped"][0], "conv_kernel");
  EXPECT_EQ(back.checks[4].series[0].xTicks[2], "layers.1");
  EXPECT_TRUE(back.checks[4].series[0].logScale);
  // Metric order is kept.
  auto it = back.checks[0].metrics.begin();
  EXPECT_EQ(it->first, "tensors_compared_count");
}

TEST(ReportJson, WriteAndLoad) {
  nhb::testing::TempDir dir;
  const ReportFiles files = writeReportFiles(testing::sampleReport(), dir / "reports");
  const Report back = loadReportJson(files.json);
  EXPECT_EQ(back.checks.size(), 7u);
}

void expectBadInput(const Json& json, const std::string& fragment) {
  try {
    reportFromJson(json, "old/report.json");
    ADD_FAILURE() << "expected BadInput mentioning " << fragment;
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("old/report.json"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos) << error.what();
  }
}

TEST(ReportJsonErrors, MissingChecksNamesTheKey) {
  Json json = reportToJson(testing::sampleReport());
  json.erase("checks");
  expectBadInput(json, "\"report.checks\"");
}

TEST(ReportJsonErrors, NewerSchemaVersionIsRefused) {
  Json json = reportToJson(testing::sampleReport());
  json["schema_version"] = verify::kReportSchemaVersion + 1;
  expectBadInput(json, "schema_version 2 is not supported");
}

TEST(ReportJsonErrors, UnknownVerdictNamesTheCheck) {
  Json json = reportToJson(testing::sampleReport());
  json["checks"][1]["verdict"] = "maybe";
  expectBadInput(json, "checks[1] (config.roundtrip).verdict: unknown verdict \"maybe\"");
}

TEST(ReportJsonErrors, NonNumericMetricNamesIt) {
  Json json = reportToJson(testing::sampleReport());
  json["checks"][0]["metrics"]["differing_count"] = "zero";
  expectBadInput(json, "metrics.differing_count must be a number");
}

TEST(ReportJsonErrors, NotAnObject) { expectBadInput(Json::array(), "must be a JSON object"); }

TEST(ReportJsonErrors, UnreadableFileIsIo) {
  nhb::testing::TempDir dir;
  try {
    loadReportJson(dir / "absent.json");
    FAIL() << "expected Io";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::Io);
    EXPECT_NE(std::string(error.what()).find("absent.json"), std::string::npos);
  }
}

TEST(ReportJsonErrors, InvalidJsonTextIsBadInput) {
  nhb::testing::TempDir dir;
  nhb::testing::writeFile(dir / "broken.json", "{\"schema_version\": 1,");
  try {
    loadReportJson(dir / "broken.json");
    FAIL() << "expected BadInput";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::BadInput);
    EXPECT_NE(std::string(error.what()).find("broken.json: not valid JSON"), std::string::npos);
  }
}

}  // namespace
}  // namespace nhb::harness
