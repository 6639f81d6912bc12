#include "bridge/verify/config_checks.h"

#include "bridge/config/json_read.h"
#include "bridge/convert/checkpoint_convert.h"
#include "bridge/config/provider_config.h"
#include "bridge/config/translate.h"
#include "bridge/core/error.h"

namespace nhb::verify {
namespace fs = std::filesystem;
using config::Json;

namespace {

Check makeCheck(const std::string& id, const std::string& name) { return newCheck(CheckCategory::Config, id, name); }

std::string describe(const config::ConfigDifference& d) {
  return d.hfKey + " " + d.before.dump() + " -> " + d.after.dump() + " (" + config::differenceKindName(d.kind) + ")";
}

}  // namespace

void judgeConfigDifferences(const std::vector<config::ConfigDifference>& differences, Check& check) {
  Json list = Json::array();
  std::vector<std::string> undocumented, documentedChanges;
  for (const config::ConfigDifference& d : differences) {
    const bool change = config::isChange(d.kind);
    if (!d.documented) undocumented.push_back(describe(d));
    else if (change) documentedChanges.push_back(describe(d));
    if (!change && d.documented) continue;  // carried unchanged: not evidence worth listing
    list.push_back(Json{{"key", d.hfKey},
                        {"megatron_field", d.megatronField},
                        {"kind", config::differenceKindName(d.kind)},
                        {"before", d.before},
                        {"after", d.after},
                        {"documented", d.documented},
                        {"reason", d.reason}});
  }
  check.details["differences"] = list;
  check.metrics.set("keys_compared_count", static_cast<double>(differences.size()));
  check.metrics.set("undocumented_count", static_cast<double>(undocumented.size()));
  check.metrics.set("documented_change_count", static_cast<double>(documentedChanges.size()));
  auto join = [](const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "; " : "") + items[i];
    return out;
  };
  if (!undocumented.empty()) {
    check.verdict = Verdict::Fail;
    check.message = std::to_string(undocumented.size()) + " undocumented difference(s): " + join(undocumented);
  } else if (!documentedChanges.empty()) {
    check.verdict = Verdict::Warn;
    check.message = std::to_string(documentedChanges.size()) + " documented change(s): " + join(documentedChanges);
  } else {
    check.verdict = Verdict::Pass;
    check.message = "every key of " + std::to_string(differences.size()) + " carried unchanged";
  }
}

Check configRoundTripCheck(const config::HfConfig& source) {
  Check check = makeCheck("config.roundtrip", "config HF -> Megatron -> HF");
  judgeConfigDifferences(config::diffRoundTrip(source, /*withReference=*/true), check);
  check.message = source.source + ": " + check.message;
  return check;
}

Check exportedConfigCheck(const config::HfConfig& source, const Json& exported, const std::string& exportedLabel) {
  Check check = makeCheck("config.exported", "exported config.json vs source");
  judgeConfigDifferences(config::diffHfConfigs(source.raw, exported, /*withReference=*/true), check);
  check.message = exportedLabel + " vs " + source.source + ": " + check.message;
  return check;
}

Check megatronConfigCheck(const config::HfConfig& hf, const fs::path& megatronDir) {
  Check check = makeCheck("config.megatron", "Megatron configs vs HF config.json");
  const fs::path recordPath = megatronDir / convert::kConversionRecordName;
  const fs::path providerPath = megatronDir / convert::kProviderConfigName;
  if (!fs::exists(recordPath) && !fs::exists(providerPath)) {
    check.verdict = Verdict::Skip;
    check.message = megatronDir.string() + ": neither " + convert::kConversionRecordName + " nor " +
                    convert::kProviderConfigName + " present";
    return check;
  }
  std::vector<std::string> problems;
  if (fs::exists(recordPath)) {
    const Json record = config::readConfigFile(recordPath);
    if (!record.contains("hf_config")) {
      problems.push_back(recordPath.string() + ": no \"hf_config\"");
    } else {
      Check recordCheck;
      judgeConfigDifferences(config::diffHfConfigs(hf.raw, record["hf_config"], /*withReference=*/true), recordCheck);
      check.details["record_differences"] = recordCheck.details["differences"];
      if (recordCheck.verdict == Verdict::Fail)
        problems.push_back(recordPath.string() + " hf_config: " + recordCheck.message);
    }
  }
  if (fs::exists(providerPath)) {
    const Json stored = config::readConfigFile(providerPath);
    const Json expected = config::providerToJson(config::hfToProvider(hf));
    Json fields = Json::array();
    for (const auto& [key, value] : expected.items()) {
      const Json actual = stored.contains(key) ? stored[key] : Json(nullptr);
      if (actual != value) {
        fields.push_back(Json{{"field", key}, {"expected", value}, {"actual", actual}});
        problems.push_back(providerPath.string() + ": " + key + " is " + actual.dump() + ", the HF config gives " +
                           value.dump());
      }
    }
    for (const auto& [key, value] : stored.items()) {
      if (!expected.contains(key)) {
        fields.push_back(Json{{"field", key}, {"expected", nullptr}, {"actual", value}});
        problems.push_back(providerPath.string() + ": unexpected field " + key);
      }
    }
    check.details["provider_differences"] = fields;
  }
  check.metrics.set("problem_count", static_cast<double>(problems.size()));
  if (problems.empty()) {
    check.verdict = Verdict::Pass;
    check.message = megatronDir.string() + ": stored configs match " + hf.source;
  } else {
    check.verdict = Verdict::Fail;
    check.message.clear();
    for (std::size_t i = 0; i < problems.size(); ++i) check.message += (i ? "; " : "") + problems[i];
  }
  return check;
}

}  // namespace nhb::verify
