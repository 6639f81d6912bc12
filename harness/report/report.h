// Renders one in-memory fidelity Report (bridge/verify/report_model.h) to the four report files:
// report.json (schema reports/schema/report.schema.json), report.md (verdict first; fit for a
// pull-request comment), junit.xml (one testcase per check) and report.html (self-contained:
// no scripts, no network; inline SVG charts). Also the one-line summary printed at the end of
// `nhbridge verify`, and reading an earlier report.json back (for --baseline).
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "bridge/verify/report_model.h"

namespace nhb::harness {

using verify::Check;
using verify::CheckCategory;
using verify::Report;
using verify::Verdict;

// ---- JSON (report_json.cpp) ------------------------------------------------------------------
// Keys in schema order; summary computed from the checks; non-finite numbers as "nan"/"inf"/"-inf".
nlohmann::ordered_json reportToJson(const Report& report);
std::string renderJson(const Report& report);  // reportToJson(report).dump(2) + "\n"

// Inverse of reportToJson. BadInput naming `source` and the offending field when a required key
// is missing or has the wrong type, or when schemaVersion is newer than this tool understands.
Report reportFromJson(const nlohmann::ordered_json& json, const std::string& source);
Report loadReportJson(const std::filesystem::path& path);  // Io / BadInput naming the file

// ---- Markdown, JUnit XML, HTML (report_markdown.cpp, report_junit.cpp, report_html.cpp) -------
std::string renderMarkdown(const Report& report);
std::string renderJunitXml(const Report& report);
std::string renderHtml(const Report& report);

// "nhbridge verify: FAIL - 41 checks: 38 passed, 2 failed, 1 warned, 0 skipped; first failure:
// forward.logits.hf_vs_megatron (max |diff| 3.2e-01 > ...)". No trailing newline.
std::string summaryLine(const Report& report);

// ---- Writing (report_writer.cpp) --------------------------------------------------------------
struct ReportFiles {
  std::filesystem::path json, markdown, junit, html;
};

// Writes report.json, report.md, junit.xml and report.html into `dir` (created if missing;
// existing report files are replaced). Each file is written to a temporary sibling and renamed
// into place, so a reader never sees a partial file. Io naming the file on failure.
ReportFiles writeReportFiles(const Report& report, const std::filesystem::path& dir);

}  // namespace nhb::harness
