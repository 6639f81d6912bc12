// junit.xml for CI dashboards (Jenkins xUnit, GitLab, GitHub test reporters): one <testsuite> per
// category, one <testcase> per check. fail -> <failure>, skip -> <skipped>, warn -> a passing case
// whose <system-out> starts with "WARN" (the usual convention), metrics in <system-out>.
#include <sstream>

#include "harness/report/report.h"
#include "harness/report/report_sections.h"
#include "harness/report/text_format.h"

namespace nhb::harness {
namespace {

// JUnit's timestamp is an xs:dateTime without a zone designator.
std::string junitTimestamp(const std::string& createdAt) {
  if (!createdAt.empty() && createdAt.back() == 'Z') return createdAt.substr(0, createdAt.size() - 1);
  return createdAt;
}

std::string systemOut(const Check& check) {
  std::string text;
  if (check.verdict == Verdict::Warn) text += "WARN: " + check.message + "\n";
  for (const auto& [name, value] : check.metrics) text += name + " = " + formatNumber(value) + "\n";
  for (const auto& [name, value] : check.thresholds)
    text += "threshold " + name + " = " + formatNumber(value) + "\n";
  return text;
}

}  // namespace

std::string renderJunitXml(const Report& report) {
  const verify::Summary summary = verify::summarize(report);
  const std::string timestamp = junitTimestamp(report.createdAt);
  std::ostringstream out;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites name=\"nhbridge verify\" tests=\"" << summary.total << "\" failures=\""
      << summary.failed << "\" errors=\"0\" skipped=\"" << summary.skipped << "\" time=\""
      << formatNumber(report.elapsedSeconds) << "\">\n";
  for (CheckCategory category : detail::kCategoryOrder) {
    std::vector<const Check*> checks;
    for (const Check& check : report.checks)
      if (check.category == category) checks.push_back(&check);
    if (checks.empty()) continue;
    int failed = 0, skipped = 0;
    for (const Check* check : checks) {
      failed += check->verdict == Verdict::Fail;
      skipped += check->verdict == Verdict::Skip;
    }
    const std::string suite = std::string("nhbridge.") + verify::categoryName(category);
    out << "  <testsuite name=\"" << suite << "\" tests=\"" << checks.size() << "\" failures=\""
        << failed << "\" errors=\"0\" skipped=\"" << skipped << "\" time=\"0\"";
    if (!timestamp.empty()) out << " timestamp=\"" << escapeXml(timestamp) << "\"";
    out << ">\n";
    for (const Check* check : checks) {
      out << "    <testcase name=\"" << escapeXml(check->id) << "\" classname=\"" << suite
          << "\" time=\"0\">\n";
      if (check->verdict == Verdict::Fail)
        out << "      <failure message=\"" << escapeXml(check->message) << "\" type=\"fidelity\">"
            << escapeXml(check->name + ": " + check->message) << "</failure>\n";
      else if (check->verdict == Verdict::Skip)
        out << "      <skipped message=\"" << escapeXml(check->message) << "\"/>\n";
      const std::string text = systemOut(*check);
      if (!text.empty()) out << "      <system-out>" << escapeXml(text) << "</system-out>\n";
      out << "    </testcase>\n";
    }
    out << "  </testsuite>\n";
  }
  out << "</testsuites>\n";
  return out.str();
}

}  // namespace nhb::harness
