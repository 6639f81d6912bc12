#include "harness/report/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "harness/report/text_format.h"

namespace nhb::harness {
namespace {

constexpr double kRight = 16, kTop = 16, kBottom = 56;
constexpr double kCharWidth = 6;  // of a 10px label, roughly

std::string fixed(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  return buffer;
}

// Enough decimals to tell ticks `step` apart (cosines near 1 differ in the 12th digit).
std::string tickLabel(double value, double step) {
  char buffer[64];
  if (std::fabs(value) >= 1e6 || step <= 0) {
    std::snprintf(buffer, sizeof buffer, "%.6g", value);
  } else {
    const int decimals = std::clamp(int(std::ceil(-std::log10(step))) + 1, 0, 16);
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  }
  return buffer;
}

}  // namespace

std::string renderSvgLineChart(const verify::Series& series, ChartSize size) {
  const size_t n = series.values.size();
  if (n == 0) return "";
  const double plotH = size.height - kTop - kBottom;

  // Transformed y values; non-finite points are drawn as markers, not scaled.
  double minPositive = INFINITY;
  for (double v : series.values)
    if (std::isfinite(v) && v > 0) minPositive = std::min(minPositive, v);
  const bool anyPositive = std::isfinite(minPositive);
  const double logFloor = anyPositive ? std::floor(std::log10(minPositive)) - 1 : -1;
  std::vector<double> y(n);
  std::vector<bool> finite(n);
  for (size_t i = 0; i < n; ++i) {
    const double v = series.values[i];
    finite[i] = std::isfinite(v);
    if (!finite[i]) continue;
    y[i] = series.logScale ? (v > 0 ? std::log10(v) : logFloor) : v;
  }
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < n; ++i)
    if (finite[i]) lo = std::min(lo, y[i]), hi = std::max(hi, y[i]);
  if (!std::isfinite(lo)) lo = 0, hi = 1;  // nothing finite to scale by
  if (series.logScale) {
    lo = std::floor(lo);
    hi = std::ceil(hi);
    if (hi <= lo) hi = lo + 1;
  } else if (hi - lo <= 0) {
    const double pad = std::max(1e-12, std::fabs(hi) * 1e-6);
    lo -= pad;
    hi += pad;
  }
  // y ticks: decades on a log scale, five even steps otherwise; the left margin fits their labels.
  std::vector<std::pair<double, std::string>> ticks;
  if (series.logScale) {
    const int step = std::max(1, int((hi - lo) / 8));
    for (double t = lo; t <= hi + 1e-9; t += step) {
      std::string label = "1e" + std::to_string(int(std::lround(t)));
      if (anyPositive && std::lround(t) == std::lround(logFloor)) label = "<=" + label;
      ticks.emplace_back(t, label);
    }
  } else {
    for (int k = 0; k <= 4; ++k) {
      const double t = lo + (hi - lo) * k / 4;
      ticks.emplace_back(t, tickLabel(t, (hi - lo) / 4));
    }
  }
  size_t longest = 0;
  for (const auto& tick : ticks) longest = std::max(longest, tick.second.size());
  const double left = std::max(72.0, 24 + kCharWidth * double(longest));
  const double plotW = size.width - left - kRight;

  auto px = [&](size_t i) { return left + (n == 1 ? plotW / 2 : plotW * double(i) / double(n - 1)); };
  auto py = [&](double value) { return kTop + plotH * (1 - (value - lo) / (hi - lo)); };

  std::ostringstream svg;
  svg << "<svg role=\"img\" width=\"" << size.width << "\" height=\"" << size.height
      << "\" viewBox=\"0 0 " << size.width << ' ' << size.height << "\" class=\"chart\">\n";
  svg << "<title>" << escapeXml(series.name) << "</title>\n";
  svg << "<rect x=\"" << left << "\" y=\"" << kTop << "\" width=\"" << plotW << "\" height=\"" << plotH
      << "\" fill=\"#fafafa\" stroke=\"#999\"/>\n";
  for (const auto& [t, label] : ticks) {
    const double yy = py(t);
    svg << "<line x1=\"" << left << "\" x2=\"" << left + plotW << "\" y1=\"" << fixed(yy) << "\" y2=\""
        << fixed(yy) << "\" stroke=\"#e0e0e0\"/>"
        << "<text x=\"" << left - 4 << "\" y=\"" << fixed(yy + 3) << "\" font-size=\"10\" text-anchor=\"end\">"
        << escapeXml(label) << "</text>\n";
  }

  // x ticks: at most ten labels.
  const size_t every = std::max<size_t>(1, (n + 9) / 10);
  for (size_t i = 0; i < n; i += every) {
    const std::string label = i < series.xTicks.size() ? series.xTicks[i] : std::to_string(i);
    svg << "<text x=\"" << fixed(px(i)) << "\" y=\"" << kTop + plotH + 14
        << "\" font-size=\"10\" text-anchor=\"middle\">" << escapeXml(label) << "</text>\n";
  }
  svg << "<text x=\"" << left + plotW / 2 << "\" y=\"" << size.height - 8
      << "\" font-size=\"11\" text-anchor=\"middle\">" << escapeXml(series.xLabel) << "</text>\n";
  svg << "<text x=\"12\" y=\"" << kTop + plotH / 2 << "\" font-size=\"11\" text-anchor=\"middle\" "
      << "transform=\"rotate(-90 12 " << kTop + plotH / 2 << ")\">" << escapeXml(series.yLabel)
      << (series.logScale ? " (log)" : "") << "</text>\n";

  // The line through finite points (broken at non-finite ones), then the points.
  std::string points;
  auto flush = [&] {
    if (!points.empty())
      svg << "<polyline fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"1.5\" points=\"" << points << "\"/>\n";
    points.clear();
  };
  for (size_t i = 0; i < n; ++i) {
    if (!finite[i]) {
      flush();
      continue;
    }
    points += (points.empty() ? "" : " ") + fixed(px(i)) + "," + fixed(py(y[i]));
  }
  flush();
  const bool markers = n <= 400;
  for (size_t i = 0; i < n; ++i) {
    if (finite[i] && !markers) continue;
    const std::string label = (i < series.xTicks.size() ? series.xTicks[i] : std::to_string(i)) +
                              ": " + formatNumber(series.values[i]);
    const double cy = finite[i] ? py(y[i]) : kTop;
    svg << "<circle cx=\"" << fixed(px(i)) << "\" cy=\"" << fixed(cy) << "\" r=\"" << (finite[i] ? 2.5 : 4)
        << "\" fill=\"" << (finite[i] ? "#1f6feb" : "#d1242f") << "\"><title>" << escapeXml(label)
        << "</title></circle>\n";
  }
  svg << "</svg>\n";
  return svg.str();
}

}  // namespace nhb::harness
