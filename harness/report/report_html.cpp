// report.html: one self-contained page (inline CSS and SVG; no scripts, fonts or links), so it
// can be archived as a CI artifact and opened anywhere offline.
#include <iterator>
#include <sstream>

#include "harness/report/report.h"
#include "harness/report/report_sections.h"
#include "harness/report/svg_chart.h"
#include "harness/report/text_format.h"

namespace nhb::harness {
namespace {

constexpr const char* kStyle = R"(
body { font-family: system-ui, sans-serif; margin: 2em; color: #1f2328; max-width: 1200px; }
.verdict { display: inline-block; font-size: 2em; font-weight: bold; padding: .2em .8em; border-radius: 6px; color: #fff; }
.pass { background: #1a7f37; } .fail { background: #d1242f; } .warn { background: #9a6700; } .skip { background: #6e7781; }
td.v { font-weight: bold; color: #fff; text-align: center; }
table { border-collapse: collapse; margin: .5em 0 1.5em; font-size: 13px; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: 12px; } figure { display: inline-block; margin: 0 1em 1em 0; }
figcaption { font-size: 13px; font-weight: bold; }
)";

std::string verdictCell(Verdict verdict) {
  const char* name = verify::verdictName(verdict);
  return std::string("<td class=\"v ") + name + "\">" + verdictLabel(name) + "</td>";
}

std::string metricCell(const Check& check, const char* name) {
  auto value = check.metrics.get(name);
  return "<td class=\"num\">" + (value ? formatNumber(*value) : std::string()) + "</td>";
}

void genericTable(std::ostringstream& out, const std::vector<const Check*>& checks) {
  out << "<table><tr><th>Check</th><th>Verdict</th><th>Message</th><th>Metrics</th></tr>\n";
  for (const Check* check : checks)
    out << "<tr><td><code>" << escapeHtml(check->id) << "</code></td>" << verdictCell(check->verdict)
        << "<td>" << escapeHtml(check->message) << "</td><td>"
        << escapeHtml(detail::metricsDigest(check->metrics, 8)) << "</td></tr>\n";
  out << "</table>\n";
}

void logitsTable(std::ostringstream& out, const std::vector<const Check*>& checks) {
  out << "<table><tr><th>Comparison</th><th>Verdict</th>";
  for (const char* column : detail::kLogitsColumns) out << "<th>" << column << "</th>";
  out << "</tr>\n";
  for (const Check* check : checks) {
    out << "<tr><td>" << escapeHtml(check->name.empty() ? check->id : check->name) << "</td>"
        << verdictCell(check->verdict);
    for (const char* column : detail::kLogitsColumns) out << metricCell(*check, column);
    out << "</tr>\n";
  }
  out << "</table>\n";
}

void layerTable(std::ostringstream& out, const std::vector<const Check*>& checks) {
  out << "<table><tr><th>Layer check</th><th>Verdict</th><th>max abs diff</th><th>mean abs diff</th>"
         "<th>max abs activation</th><th>cosine min</th><th>mismatched</th></tr>\n";
  for (const Check* check : checks)
    out << "<tr><td><code>" << escapeHtml(check->id) << "</code></td>" << verdictCell(check->verdict)
        << metricCell(*check, "max_abs_diff") << metricCell(*check, "mean_abs_diff")
        << metricCell(*check, "max_abs_reference") << metricCell(*check, "cosine_min")
        << metricCell(*check, "mismatched_count") << "</tr>\n";
  out << "</table>\n";
}

template <class Table>
void section(std::ostringstream& out, const std::string& title, const std::vector<const Check*>& checks,
             Table table, bool folded = false) {
  if (checks.empty()) return;
  int failed = 0;
  for (const Check* check : checks) failed += check->verdict == Verdict::Fail;
  const std::string heading = escapeHtml(title) + " <small>(" + plural(checks.size(), "check") + ", " +
                              std::to_string(failed) + " failed)</small>";
  if (folded) {
    out << "<details" << (failed ? " open" : "") << "><summary><b>" << heading << "</b></summary>\n";
    table(out, checks);
    out << "</details>\n";
  } else {
    out << "<h2>" << heading << "</h2>\n";
    table(out, checks);
  }
}

}  // namespace

std::string renderHtml(const Report& report) {
  const verify::Summary summary = verify::summarize(report);
  const std::string verdict = verdictLabel(verify::verdictName(summary.verdict));
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>nhbridge fidelity report: "
      << verdict << "</title>\n<style>" << kStyle << "</style>\n</head>\n<body>\n";
  out << "<h1>nhbridge fidelity report</h1>\n<div class=\"verdict " << verify::verdictName(summary.verdict)
      << "\">" << verdict << "</div>\n";
  out << "<p>" << summary.total << " checks: " << summary.passed << " passed, " << summary.failed
      << " failed, " << summary.warned << " warned, " << summary.skipped << " skipped.</p>\n";

  std::vector<const Check*> problems;
  for (const Check& check : report.checks)
    if (check.verdict == Verdict::Fail || check.verdict == Verdict::Warn) problems.push_back(&check);
  if (!problems.empty()) {
    out << "<h2>Failures and warnings</h2>\n<ul>\n";
    for (const Check* check : problems)
      out << "<li><b>" << verdictLabel(verify::verdictName(check->verdict)) << "</b> <code>"
          << escapeHtml(check->id) << "</code>: " << escapeHtml(check->message) << "</li>\n";
    out << "</ul>\n";
  }

  out << "<h2>Run</h2>\n<table>\n";
  for (const auto& [name, value] : detail::runFacts(report))
    out << "<tr><th>" << escapeHtml(name) << "</th><td>" << escapeHtml(value) << "</td></tr>\n";
  out << "</table>\n";

  bool chartsHeading = false;
  for (const Check& check : report.checks) {
    for (const verify::Series& series : check.series) {
      const std::string svg = renderSvgLineChart(series);
      if (svg.empty()) continue;
      if (!chartsHeading) out << "<h2>Charts</h2>\n";
      chartsHeading = true;
      out << "<figure><figcaption>" << escapeHtml(check.name.empty() ? check.id : check.name) << ": "
          << escapeHtml(series.name) << "</figcaption>\n" << svg << "</figure>\n";
    }
  }

  section(out, "Weights", detail::checksIn(report, CheckCategory::Weights, false), genericTable);
  section(out, "Config", detail::checksIn(report, CheckCategory::Config, false), genericTable);
  section(out, "Tokenizer", detail::checksIn(report, CheckCategory::Tokenizer, false), genericTable);
  std::vector<const Check*> logits, layerSummaries;
  for (const Check* check : detail::checksIn(report, CheckCategory::Forward, false))
    (check->id.rfind("forward.layers.", 0) == 0 ? layerSummaries : logits).push_back(check);
  section(out, "Forward: logits", logits, logitsTable);
  section(out, "Forward: layers", layerSummaries, genericTable);
  section(out, "Forward: per layer", detail::checksIn(report, CheckCategory::Forward, true), layerTable,
          /*folded=*/true);
  section(out, "Baseline regressions", detail::checksIn(report, CheckCategory::Baseline, false), genericTable);
  out << "</body>\n</html>\n";
  return out.str();
}

}  // namespace nhb::harness
