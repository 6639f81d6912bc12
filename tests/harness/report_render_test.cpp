// report.md, junit.xml, report.html, the SVG charts, the summary line and the atomic writes.
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness/report/report.h"
#include "harness/report/svg_chart.h"
#include "harness/report/text_format.h"
#include "report_fixture.h"
#include "support/test_support.h"

namespace nhb::harness {
namespace {

size_t count(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

// A minimal XML well-formedness check: tags balance, attribute values are quoted, and every '&' starts
// a predefined entity. Enough to catch unescaped text from messages.
::testing::AssertionResult wellFormedXml(const std::string& xml) {
  std::vector<std::string> open;
  size_t i = 0;
  while (i < xml.size()) {
    const char c = xml[i];
    if (c == '&') {
      static const std::regex entity("^&(amp|lt|gt|quot|apos);");
      if (!std::regex_search(xml.substr(i, 8), entity))
        return ::testing::AssertionFailure() << "bare '&' at offset " << i;
      ++i;
      continue;
    }
    if (c == '>') return ::testing::AssertionFailure() << "bare '>' in text at offset " << i;
    if (c != '<') {
      ++i;
      continue;
    }
    const size_t end = xml.find('>', i);
    if (end == std::string::npos) return ::testing::AssertionFailure() << "unclosed tag at " << i;
    std::string tag = xml.substr(i + 1, end - i - 1);
    if (count(tag, "\"") % 2 != 0 || tag.find('<') != std::string::npos)
      return ::testing::AssertionFailure() << "bad tag <" << tag << ">";
    if (tag[0] == '?') {
      // declaration
    } else if (tag[0] == '/') {
      if (open.empty() || open.back() != tag.substr(1))
        return ::testing::AssertionFailure() << "mismatched </" << tag.substr(1) << ">";
      open.pop_back();
    } else if (tag.back() != '/') {
      open.push_back(tag.substr(0, tag.find_first_of(" \n")));
    }
    i = end + 1;
  }
  if (!open.empty()) return ::testing::AssertionFailure() << "unclosed <" << open.back() << ">";
  return ::testing::AssertionSuccess();
}

Report passingReport() {
  Report report = testing::sampleReport();
  for (Check& check : report.checks) check.verdict = Verdict::Pass;
  return report;
}

TEST(Markdown, StartsWithTheVerdict) {
  const std::string failing = renderMarkdown(testing::sampleReport());
  EXPECT_EQ(failing.rfind("## FAIL", 0), 0u) << failing.substr(0, 80);
  const std::string passing = renderMarkdown(passingReport());
  EXPECT_EQ(passing.rfind("## PASS", 0), 0u) << passing.substr(0, 80);
}

TEST(Markdown, ListsFailuresBeforeTheTables) {
  const std::string md = renderMarkdown(testing::sampleReport());
  const size_t failures = md.find("### Failures and warnings");
  const size_t firstTable = md.find("| Check |");
  ASSERT_NE(failures, std::string::npos);
  ASSERT_NE(firstTable, std::string::npos);
  EXPECT_LT(failures, firstTable);
  EXPECT_NE(md.find("`forward.logits.hf_vs_megatron`"), std::string::npos);
  EXPECT_NE(md.find("### Forward: per layer (2 checks, 1 failed)"), std::string::npos);
}

TEST(Markdown, EscapesTableCells) {
  Report report = testing::sampleReport();
  report.checks[0].message = "a | b <c>";
  const std::string md = renderMarkdown(report);
  EXPECT_NE(md.find("a \\| b &lt;c&gt;"), std::string::npos);
}

TEST(Markdown, LongSectionsFold) {
  Report report = testing::sampleReport();
  for (int i = 0; i < 20; ++i) {
    Check check;
    check.id = "weights.tensor.t" + std::to_string(i);
    check.category = CheckCategory::Weights;
    check.verdict = Verdict::Pass;
    report.checks.push_back(check);
  }
  const std::string md = renderMarkdown(report);
  EXPECT_NE(md.find("<details><summary><b>Weights</b> (21 checks, 0 failed)</summary>"), std::string::npos);
}

TEST(Junit, CountsAndOneTestcasePerCheck) {
  const std::string xml = renderJunitXml(testing::sampleReport());
  EXPECT_NE(xml.find("<testsuites name=\"nhbridge verify\" tests=\"7\" failures=\"3\" errors=\"0\" skipped=\"1\""),
            std::string::npos)
      << xml;
  EXPECT_EQ(count(xml, "<testcase "), 7u);
  EXPECT_EQ(count(xml, "<failure "), 3u);
  EXPECT_EQ(count(xml, "<skipped "), 1u);
  EXPECT_NE(xml.find("<testsuite name=\"nhbridge.forward\" tests=\"4\" failures=\"3\""), std::string::npos);
  EXPECT_NE(xml.find("name=\"forward.layer.hf_vs_megatron.layers.1\""), std::string::npos);
  EXPECT_NE(xml.find("timestamp=\"2026-11-29T21:40:00\""), std::string::npos);
  EXPECT_NE(xml.find("WARN: conv_kernel dropped by design"), std::string::npos);
}

TEST(Junit, EscapesMarkupInMessages) {
  const std::string xml = renderJunitXml(testing::sampleReport());
  // The fixture's failing message is: max |diff| 3 at <batch 0> & "position 1"
  EXPECT_EQ(xml.find("<batch 0>"), std::string::npos);
  EXPECT_NE(xml.find("message=\"max |diff| 3 at &lt;batch 0&gt; &amp; &quot;position 1&quot;\""),
            std::string::npos)
      << xml;
  EXPECT_TRUE(wellFormedXml(xml));
}

TEST(Junit, EscapesIdsAndControlCharacters) {
  Report report = testing::sampleReport();
  report.checks[0].id = "weights.tensor.<odd>&\"name\"";
  report.checks[0].verdict = Verdict::Fail;
  report.checks[0].message = std::string("bell\x07 here");
  const std::string xml = renderJunitXml(report);
  EXPECT_TRUE(wellFormedXml(xml));
  EXPECT_NE(xml.find("name=\"weights.tensor.&lt;odd&gt;&amp;&quot;name&quot;\""), std::string::npos);
  EXPECT_EQ(xml.find('\x07'), std::string::npos);
}

TEST(Junit, TheCheckerRejectsBrokenXml) {
  EXPECT_FALSE(wellFormedXml("<a>x & y</a>"));
  EXPECT_FALSE(wellFormedXml("<a><b></a>"));
  EXPECT_TRUE(wellFormedXml("<?xml version=\"1.0\"?><a x=\"1\"><b/>&lt;</a>"));
}

TEST(Html, SelfContainedWithCharts) {
  const std::string html = renderHtml(testing::sampleReport());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(count(html, "<svg"), 2u);  // per-position cosine and per-layer max diff
  EXPECT_EQ(html.find("http"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_NE(html.find("class=\"verdict fail\">FAIL</div>"), std::string::npos);
  EXPECT_EQ(html.find("<batch 0>"), std::string::npos);
  EXPECT_NE(html.find("&lt;batch 0&gt;"), std::string::npos);
  EXPECT_TRUE(wellFormedXml(html.substr(html.find("<html"))));
}

TEST(Html, VerdictComesBeforeTables) {
  const std::string html = renderHtml(passingReport());
  EXPECT_LT(html.find("class=\"verdict pass\">PASS"), html.find("<table"));
}

TEST(SvgChart, LogScaleChartHasDecadeTicksAndPoints) {
  verify::Series series;
  series.name = "max_abs_diff_per_layer";
  series.xLabel = "layer";
  series.yLabel = "max |diff|";
  series.logScale = true;
  series.xTicks = {"embeddings", "layers.0", "layers.1"};
  series.values = {0, 1e-7, 0.5};
  const std::string svg = renderSvgLineChart(series);
  EXPECT_EQ(count(svg, "<circle"), 3u);
  EXPECT_NE(svg.find(">1e-7<"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">1e0<"), std::string::npos) << svg;
  EXPECT_NE(svg.find("&lt;=1e-8"), std::string::npos) << svg;  // the zero sits below the smallest value
  EXPECT_NE(svg.find("<title>layers.1: 0.5</title>"), std::string::npos);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  EXPECT_TRUE(wellFormedXml(svg));
}

TEST(SvgChart, NonFiniteValuesAreRedMarkers) {
  verify::Series series;
  series.name = "cosine_per_position";
  series.values = {1, std::numeric_limits<double>::quiet_NaN(), 0.5};
  const std::string svg = renderSvgLineChart(series);
  EXPECT_NE(svg.find("<title>1: nan</title>"), std::string::npos);
  EXPECT_EQ(count(svg, "<polyline"), 2u);  // the line breaks at the NaN
  EXPECT_EQ(count(svg, "#d1242f"), 1u);
}

TEST(SvgChart, ConstantSeriesStillDraws) {
  verify::Series series;
  series.values = {1, 1, 1};
  const std::string svg = renderSvgLineChart(series);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
}

TEST(SvgChart, EmptySeriesRendersNothing) { EXPECT_EQ(renderSvgLineChart(verify::Series{}), ""); }

TEST(SummaryLine, NamesVerdictCountsAndFirstFailure) {
  EXPECT_EQ(summaryLine(testing::sampleReport()),
            "nhbridge verify: FAIL - 7 checks: 2 passed, 3 failed, 1 warned, 1 skipped; first failure: "
            "forward.logits.hf_vs_megatron (max |diff| 3 at <batch 0> & \"position 1\")");
  EXPECT_EQ(summaryLine(passingReport()),
            "nhbridge verify: PASS - 7 checks: 7 passed, 0 failed, 0 warned, 0 skipped");
}

TEST(SummaryLine, EmptyReportIsSkip) {
  EXPECT_EQ(summaryLine(Report{}), "nhbridge verify: SKIP - 0 checks: 0 passed, 0 failed, 0 warned, 0 skipped");
}

TEST(TextFormat, Numbers) {
  EXPECT_EQ(formatNumber(42), "42");
  EXPECT_EQ(formatNumber(0.99999), "0.99999");
  EXPECT_EQ(formatNumber(0.99999999), "1");
  EXPECT_EQ(formatNumber(0.9876), "0.9876");
  EXPECT_EQ(formatNumber(3.2e-7), "3.2e-07");
  EXPECT_EQ(formatNumber(-std::numeric_limits<double>::infinity()), "-inf");
}

TEST(WriteReportFiles, WritesFourFilesAndNoTemporaries) {
  nhb::testing::TempDir dir;
  const ReportFiles files = writeReportFiles(testing::sampleReport(), dir / "out");
  for (const auto& path : {files.json, files.markdown, files.junit, files.html})
    EXPECT_TRUE(std::filesystem::is_regular_file(path)) << path;
  EXPECT_EQ(nhb::testing::readFile(files.markdown), renderMarkdown(testing::sampleReport()));
  size_t entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "out")) {
    (void)entry;
    ++entries;
  }
  EXPECT_EQ(entries, 4u);
}

TEST(WriteReportFiles, ReplacesAnEarlierReport) {
  nhb::testing::TempDir dir;
  writeReportFiles(testing::sampleReport(), dir.path());
  writeReportFiles(passingReport(), dir.path());
  EXPECT_EQ(nhb::testing::readFile(dir / "report.md").rfind("## PASS", 0), 0u);
}

}  // namespace
}  // namespace nhb::harness
