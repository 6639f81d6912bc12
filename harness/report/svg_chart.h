// Inline SVG line charts for report.html: no scripts, no external resources (the <svg> element
// is embedded in HTML5, so it needs no namespace URL either). Hovering a point shows its value
// through a <title> element.
#pragma once

#include <string>

#include "bridge/verify/report_model.h"

namespace nhb::harness {

struct ChartSize {
  int width = 640;
  int height = 260;
};

// One line chart of series.values against their index (x tick labels from series.xTicks when
// present). Log scale plots log10 of the values; zeros and negatives sit one decade under the
// smallest positive value (labelled "<= ..."), and non-finite values are red markers on the top
// edge. Returns "" for an empty series.
std::string renderSvgLineChart(const verify::Series& series, ChartSize size = {});

}  // namespace nhb::harness
