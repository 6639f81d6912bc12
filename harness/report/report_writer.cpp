// Writing the report set, and the one-line summary printed at the end of a run.
#include <fstream>

#include "bridge/core/error.h"
#include "bridge/io/atomic_output.h"
#include "harness/report/report.h"
#include "harness/report/text_format.h"

namespace nhb::harness {
namespace {

constexpr size_t kSummaryMessageLimit = 160;

void writeAtomically(const std::filesystem::path& path, const std::string& text) {
  io::AtomicOutputFile output(path, /*overwrite=*/true);
  {
    std::ofstream out(output.path(), std::ios::binary | std::ios::trunc);
    if (!out) fail(ErrorKind::Io, path.string() + ": cannot create temporary file " + output.path().string());
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) fail(ErrorKind::Io, path.string() + ": write failed (disk full?)");
  }
  output.commit();
}

}  // namespace

std::string summaryLine(const Report& report) {
  const verify::Summary s = verify::summarize(report);
  std::string line = "nhbridge verify: " + verdictLabel(verify::verdictName(s.verdict)) + " - " +
                     std::to_string(s.total) + " checks: " + std::to_string(s.passed) + " passed, " +
                     std::to_string(s.failed) + " failed, " + std::to_string(s.warned) + " warned, " +
                     std::to_string(s.skipped) + " skipped";
  for (const Check& check : report.checks) {
    if (check.verdict != Verdict::Fail) continue;
    std::string message = check.message;
    for (char& c : message)
      if (c == '\n' || c == '\r') c = ' ';
    if (message.size() > kSummaryMessageLimit) message = message.substr(0, kSummaryMessageLimit) + "...";
    line += "; first failure: " + check.id + " (" + message + ")";
    break;
  }
  return line;
}

ReportFiles writeReportFiles(const Report& report, const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) fail(ErrorKind::Io, dir.string() + ": cannot create report directory: " + error.message());
  ReportFiles files{dir / "report.json", dir / "report.md", dir / "junit.xml", dir / "report.html"};
  writeAtomically(files.json, renderJson(report));
  writeAtomically(files.markdown, renderMarkdown(report));
  writeAtomically(files.junit, renderJunitXml(report));
  writeAtomically(files.html, renderHtml(report));
  return files;
}

}  // namespace nhb::harness
