// report.md: verdict first, then what failed, then tables; sized for a pull-request comment
// (long per-check tables fold into <details>, which GitHub and GitLab render).
#include <iterator>
#include <sstream>

#include "harness/report/report.h"
#include "harness/report/report_sections.h"
#include "harness/report/text_format.h"

namespace nhb::harness {
namespace {

constexpr size_t kFoldAbove = 15;     // checks per table before it folds
constexpr size_t kMetricsShown = 6;   // metrics per row in the generic tables

const char* verdictIcon(Verdict verdict) {
  switch (verdict) {
    case Verdict::Pass: return "\xE2\x9C\x85";            // check mark
    case Verdict::Fail: return "\xE2\x9D\x8C";            // cross
    case Verdict::Warn: return "\xE2\x9A\xA0\xEF\xB8\x8F";  // warning sign
    case Verdict::Skip: return "\xE2\x8F\xAD\xEF\xB8\x8F";  // skip
  }
  return "";
}

std::string cell(const std::string& text) { return escapeMarkdownCell(text); }

void genericTable(std::ostringstream& out, const std::vector<const Check*>& checks) {
  out << "| Check | Verdict | Message | Metrics |\n|---|---|---|---|\n";
  for (const Check* check : checks)
    out << "| `" << cell(check->id) << "` | " << verdictLabel(verify::verdictName(check->verdict))
        << " | " << cell(check->message) << " | "
        << cell(detail::metricsDigest(check->metrics, kMetricsShown)) << " |\n";
}

void logitsTable(std::ostringstream& out, const std::vector<const Check*>& checks) {
  out << "| Comparison | Verdict |";
  for (const char* column : detail::kLogitsColumns) out << ' ' << column << " |";
  out << "\n|---|---|";
  for (size_t i = 0; i < std::size(detail::kLogitsColumns); ++i) out << "---:|";
  out << '\n';
  for (const Check* check : checks) {
    out << "| " << cell(check->name.empty() ? check->id : check->name) << " | "
        << verdictLabel(verify::verdictName(check->verdict)) << " |";
    for (const char* column : detail::kLogitsColumns) {
      auto value = check->metrics.get(column);
      out << ' ' << (value ? formatNumber(*value) : "") << " |";
    }
    out << '\n';
  }
}

void layerTable(std::ostringstream& out, const std::vector<const Check*>& checks) {
  out << "| Layer check | Verdict | max abs diff | mean abs diff | cosine min | mismatched |\n"
         "|---|---|---:|---:|---:|---:|\n";
  for (const Check* check : checks) {
    auto metric = [&](const char* name) {
      auto value = check->metrics.get(name);
      return value ? formatNumber(*value) : std::string();
    };
    out << "| `" << cell(check->id) << "` | " << verdictLabel(verify::verdictName(check->verdict))
        << " | " << metric("max_abs_diff") << " | " << metric("mean_abs_diff") << " | "
        << metric("cosine_min") << " | " << metric("mismatched_count") << " |\n";
  }
}

// A table under a heading, folded when long.
template <class Table>
void section(std::ostringstream& out, const std::string& title, const std::vector<const Check*>& checks,
             Table table) {
  if (checks.empty()) return;
  int failed = 0;
  for (const Check* check : checks) failed += check->verdict == Verdict::Fail;
  const std::string counts = plural(checks.size(), "check") + ", " + std::to_string(failed) + " failed";
  if (checks.size() > kFoldAbove) {
    out << "<details><summary><b>" << escapeHtml(title) << "</b> (" << counts << ")</summary>\n\n";
    table(out, checks);
    out << "\n</details>\n\n";
  } else {
    out << "### " << title << " (" << counts << ")\n\n";
    table(out, checks);
    out << '\n';
  }
}

}  // namespace

std::string renderMarkdown(const Report& report) {
  const verify::Summary summary = verify::summarize(report);
  std::ostringstream out;
  out << "## " << verdictLabel(verify::verdictName(summary.verdict)) << ' '
      << verdictIcon(summary.verdict) << " nhbridge fidelity report\n\n";
  out << "**" << summary.total << " checks:** " << summary.passed << " passed, " << summary.failed
      << " failed, " << summary.warned << " warned, " << summary.skipped << " skipped.\n\n";

  std::vector<const Check*> problems;
  for (const Check& check : report.checks)
    if (check.verdict == Verdict::Fail || check.verdict == Verdict::Warn) problems.push_back(&check);
  if (!problems.empty()) {
    out << "### Failures and warnings\n\n";
    const size_t limit = 50;  // keep a comment readable when everything breaks
    for (size_t i = 0; i < problems.size() && i < limit; ++i)
      out << "- " << verdictIcon(problems[i]->verdict) << " **"
          << verdictLabel(verify::verdictName(problems[i]->verdict)) << "** `"
          << cell(problems[i]->id) << "`: " << cell(problems[i]->message) << '\n';
    if (problems.size() > limit)
      out << "- ... and " << problems.size() - limit << " more (see report.json)\n";
    out << '\n';
  }

  out << "| Run | |\n|---|---|\n";
  for (const auto& [name, value] : detail::runFacts(report))
    out << "| " << cell(name) << " | " << cell(value) << " |\n";
  out << '\n';

  section(out, "Weights", detail::checksIn(report, CheckCategory::Weights, false), genericTable);
  section(out, "Config", detail::checksIn(report, CheckCategory::Config, false), genericTable);
  section(out, "Tokenizer", detail::checksIn(report, CheckCategory::Tokenizer, false), genericTable);
  {
    std::vector<const Check*> logits, other;
    for (const Check* check : detail::checksIn(report, CheckCategory::Forward, false))
      (check->id.rfind("forward.layers.", 0) == 0 ? other : logits).push_back(check);
    section(out, "Forward: logits", logits, logitsTable);
    section(out, "Forward: layers", other, genericTable);
  }
  section(out, "Forward: per layer", detail::checksIn(report, CheckCategory::Forward, true), layerTable);
  section(out, "Baseline regressions", detail::checksIn(report, CheckCategory::Baseline, false), genericTable);
  return out.str();
}

}  // namespace nhb::harness
