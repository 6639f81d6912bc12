#include "harness/report/report_sections.h"

#include "harness/report/text_format.h"

namespace nhb::harness::detail {

bool isLayerCheck(const verify::Check& check) {
  return check.category == verify::CheckCategory::Forward && check.id.rfind("forward.layer.", 0) == 0;
}

std::vector<const verify::Check*> checksIn(const verify::Report& report, verify::CheckCategory category,
                                           bool layerChecks) {
  std::vector<const verify::Check*> out;
  for (const verify::Check& check : report.checks)
    if (check.category == category && isLayerCheck(check) == layerChecks) out.push_back(&check);
  return out;
}

std::string metricsDigest(const verify::Metrics& metrics, size_t limit) {
  std::string out;
  size_t shown = 0;
  for (const auto& [name, value] : metrics) {
    if (shown == limit) {
      out += ", ...";
      break;
    }
    out += (shown ? ", " : "") + name + "=" + formatNumber(value);
    ++shown;
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> runFacts(const verify::Report& report) {
  std::vector<std::pair<std::string, std::string>> facts;
  facts.emplace_back("tool", report.toolName + " " + report.toolVersion);
  if (!report.mode.empty()) facts.emplace_back("mode", report.mode);
  for (const auto& [role, path] : report.inputs) facts.emplace_back(role, path);
  facts.emplace_back("layout", "TP=" + std::to_string(report.layout.tp) + " PP=" +
                                   std::to_string(report.layout.pp) + " EP=" +
                                   std::to_string(report.layout.ep) + " ETP=" +
                                   std::to_string(report.layout.etp));
  if (!report.dtype.empty() || !report.device.empty())
    facts.emplace_back("compute", report.dtype + " on " + report.device);
  if (report.baselinePath) facts.emplace_back("baseline", *report.baselinePath);
  if (!report.createdAt.empty()) facts.emplace_back("created", report.createdAt);
  facts.emplace_back("elapsed", formatNumber(report.elapsedSeconds) + " s");
  return facts;
}

}  // namespace nhb::harness::detail
