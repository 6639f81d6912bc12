// Text helpers shared by the report renderers: compact number formatting and escaping for XML,
// HTML and Markdown table cells.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace nhb::harness {

// Integers (|x| < 1e15) without a fraction: "42"; others with 6 significant digits in the
// shortest of %g forms: "0.99999", "3.2e-07"; "nan", "inf", "-inf".
std::string formatNumber(double value);

// &, <, >, ", ' as entities; control characters other than tab/newline/CR (not allowed in XML 1.0)
// become U+FFFD.
std::string escapeXml(std::string_view text);
inline std::string escapeHtml(std::string_view text) { return escapeXml(text); }

// For one Markdown table cell: '|' and '\' escaped, newlines as spaces, HTML-sensitive '<', '>' and
// '&' as entities (GitHub renders inline HTML).
std::string escapeMarkdownCell(std::string_view text);

// "1 check", "3 checks".
std::string plural(size_t count, const std::string& noun);

// "PASS", "FAIL", "WARN", "SKIP".
std::string verdictLabel(const char* verdictName);

}  // namespace nhb::harness
