// Line charts (e.g. training loss curves) as standalone SVG.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "sangam/chart.h"

namespace sangam::report {
namespace {

constexpr double kMaxMagnitude = 1e300;
constexpr double kTickFont = 11, kLabelFont = 12, kTitleFont = 16;

struct Pt {
  double x, y;  // data space (y already log10 on a log axis)
};

// Drawable runs of one series: split at non-finite points (and y <= 0 on a log axis).
std::vector<std::vector<Pt>> SplitRuns(const Series& s, bool log_y, size_t* n_points) {
  std::vector<std::vector<Pt>> runs(1);
  const size_t n = std::min(s.x.size(), s.y.size());
  for (size_t i = 0; i < n; ++i) {
    double x = s.x[i], y = s.y[i];
    const bool ok = std::isfinite(x) && std::isfinite(y) && (!log_y || y > 0);
    if (!ok) {
      if (!runs.back().empty()) runs.emplace_back();
      continue;
    }
    x = std::clamp(x, -kMaxMagnitude, kMaxMagnitude);
    y = log_y ? std::log10(std::clamp(y, 1 / kMaxMagnitude, kMaxMagnitude))
              : std::clamp(y, -kMaxMagnitude, kMaxMagnitude);
    runs.back().push_back({x, y});
    ++*n_points;
  }
  if (runs.back().empty()) runs.pop_back();
  return runs;
}

// Keeps, for each stretch of consecutive points in one pixel column, the minimum and maximum y
// (in their original order). Input and output are in pixel space.
std::vector<Pt> DownsampleColumns(const std::vector<Pt>& px) {
  std::vector<Pt> out;
  size_t i = 0;
  while (i < px.size()) {
    const double col = std::floor(px[i].x);
    size_t lo = i, hi = i, j = i;
    for (; j < px.size() && std::floor(px[j].x) == col; ++j) {
      // Pixel y grows downwards: "hi" is the smallest pixel y.
      if (px[j].y > px[lo].y) lo = j;
      if (px[j].y < px[hi].y) hi = j;
    }
    out.push_back(px[std::min(lo, hi)]);
    if (lo != hi) out.push_back(px[std::max(lo, hi)]);
    i = j;
  }
  return out;
}

}  // namespace

std::string RenderLineChart(const LineChartSpec& spec) {
  const int width = std::clamp(spec.width, 240, 16000);
  const int height = std::clamp(spec.height, 160, 16000);
  SvgCanvas c(width, height, spec.title);

  // Data.
  std::vector<std::vector<std::vector<Pt>>> runs;
  std::vector<size_t> counts;
  double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
  for (const Series& s : spec.series) {
    size_t n = 0;
    runs.push_back(SplitRuns(s, spec.log_y, &n));
    counts.push_back(n);
    for (const auto& run : runs.back()) {
      for (const Pt& p : run) {
        xmin = std::min(xmin, p.x), xmax = std::max(xmax, p.x);
        ymin = std::min(ymin, p.y), ymax = std::max(ymax, p.y);
      }
    }
  }
  const bool has_data = xmin <= xmax;

  // Legend (measured first: it sits between the title and the plot).
  std::vector<LegendItem> legend;
  const bool show_legend =
      spec.series.size() > 1 || (spec.series.size() == 1 && !spec.series[0].name.empty());
  if (show_legend) {
    for (size_t i = 0; i < spec.series.size(); ++i) {
      LegendItem item{spec.series[i].name, SeriesColor(i), ""};
      if (item.name.empty()) item.name = "series " + std::to_string(i + 1);
      if (i >= 8) item.dash = (i / 8) % 2 == 1 ? "6 3" : "2 3";
      legend.push_back(item);
    }
  }
  const double margin = 12;
  double top = margin;
  const double title_y = top + kTitleFont;
  if (!spec.title.empty()) top += kTitleFont + 10;
  const double legend_y = top;
  const int legend_rows = std::max(1, static_cast<int>(height * 0.25 / 18));  // <= 1/4 of the chart
  const double legend_h =
      DrawLegend(nullptr, legend, margin, 0, width - 2 * margin, true, legend_rows);
  if (legend_h > 0) top += legend_h + 6;
  top += 6;
  const double bottom = margin + kTickFont + 8 + (spec.x_label.empty() ? 0 : kLabelFont + 10);

  // Ticks: y first (their label widths set the left margin, which sets the plot width for x).
  const double ph = std::max(40.0, height - top - bottom);
  AxisTicks yt;
  if (!has_data) {
    yt = AxisTicks();
  } else if (spec.log_y) {
    yt = LogTicks(std::pow(10.0, ymin), std::pow(10.0, ymax));
  } else {
    yt = NiceTicks(ymin, ymax, std::clamp(static_cast<int>(ph / 45), 2, 10));
  }
  double ytick_w = 0;
  for (const std::string& l : yt.labels)
    ytick_w = std::max(ytick_w, EstimateTextWidth(l, kTickFont));
  const double left = margin + (spec.y_label.empty() ? 0 : kLabelFont + 10) + ytick_w + 8;
  const double right = margin + 14;
  const double x0 = left, y0 = top;
  const double pw = std::max(40.0, width - left - right);
  AxisTicks xt;
  if (has_data) xt = NiceTicks(xmin, xmax, std::clamp(static_cast<int>(pw / 90), 2, 10));

  const double ylo = spec.log_y ? std::log10(yt.lo) : yt.lo;
  const double yhi = spec.log_y ? std::log10(yt.hi) : yt.hi;
  auto px = [&](double x) { return x0 + (x - xt.lo) / (xt.hi - xt.lo) * pw; };
  auto py = [&](double y) { return y0 + ph - (y - ylo) / (yhi - ylo) * ph; };

  // Plot area, grid and ticks.
  c.Rect(x0, y0, pw, ph, "#ffffff", "class=\"plot-area\" stroke=\"none\"");
  if (has_data) {
    c.Raw("<g class=\"grid\">\n");
    for (size_t i = 0; i < yt.values.size(); ++i) {
      const double y = py(spec.log_y ? std::log10(yt.values[i]) : yt.values[i]);
      c.Line(x0, y, x0 + pw, y, "#e6e6e6", 1);
    }
    for (size_t i = 0; i < xt.values.size(); ++i) {
      const double x = px(xt.values[i]);
      c.Line(x, y0, x, y0 + ph, "#e6e6e6", 1);
    }
    c.Raw("</g>\n");
    for (size_t i = 0; i < yt.values.size(); ++i) {
      const double y = py(spec.log_y ? std::log10(yt.values[i]) : yt.values[i]);
      c.Text(x0 - 6, y + 4, yt.labels[i], kTickFont, SvgCanvas::Anchor::kEnd,
             "class=\"tick-y\" fill=\"#444444\"");
    }
    for (size_t i = 0; i < xt.values.size(); ++i) {
      c.Text(px(xt.values[i]), y0 + ph + kTickFont + 5, xt.labels[i], kTickFont,
             SvgCanvas::Anchor::kMiddle, "class=\"tick-x\" fill=\"#444444\"");
    }
  } else {
    c.Text(x0 + pw / 2, y0 + ph / 2, "no data", 14, SvgCanvas::Anchor::kMiddle,
           "class=\"no-data\" fill=\"#777777\"");
  }
  c.Rect(x0, y0, pw, ph, "none", "class=\"plot-frame\" stroke=\"#888888\" stroke-width=\"1\"");

  // Series.
  for (size_t s = 0; s < runs.size(); ++s) {
    const bool downsample = counts[s] > kDownsampleThreshold;
    const std::string color = SeriesColor(s);
    const std::string dash = s >= 8 ? ((s / 8) % 2 == 1 ? "6 3" : "2 3") : "";
    for (const auto& run : runs[s]) {
      std::vector<Pt> pts;
      pts.reserve(run.size());
      for (const Pt& p : run) pts.push_back({px(p.x), py(p.y)});
      if (downsample) pts = DownsampleColumns(pts);
      const std::string cls = "series series-" + std::to_string(s);
      if (pts.size() == 1) {
        c.Raw("<circle class=\"" + cls + "\" cx=\"" + Coord(pts[0].x) + "\" cy=\"" +
              Coord(pts[0].y) + "\" r=\"2.5\" fill=\"" + color + "\"/>\n");
        continue;
      }
      std::string el =
          "<polyline class=\"" + cls + "\" fill=\"none\" stroke=\"" + color +
          "\" stroke-width=\"1.75\" stroke-linejoin=\"round\" stroke-linecap=\"round\"";
      if (!dash.empty()) el += " stroke-dasharray=\"" + dash + "\"";
      el += " points=\"";
      for (size_t i = 0; i < pts.size(); ++i) {
        if (i > 0) el += ' ';
        el += Coord(pts[i].x) + "," + Coord(pts[i].y);
      }
      el += "\"/>\n";
      c.Raw(el);
    }
  }

  // Labels.
  if (!spec.title.empty()) {
    c.Text(width / 2.0, title_y, TruncateToWidth(spec.title, kTitleFont, width - 2 * margin),
           kTitleFont, SvgCanvas::Anchor::kMiddle, "class=\"title\" font-weight=\"bold\"", 0,
           spec.title);
  }
  if (legend_h > 0) DrawLegend(&c, legend, margin, legend_y, width - 2 * margin, true, legend_rows);
  if (!spec.x_label.empty()) {
    c.Text(x0 + pw / 2, height - margin, TruncateToWidth(spec.x_label, kLabelFont, pw), kLabelFont,
           SvgCanvas::Anchor::kMiddle, "class=\"x-label\"", 0, spec.x_label);
  }
  if (!spec.y_label.empty()) {
    const double lx = margin + kLabelFont, ly = y0 + ph / 2;
    c.Text(lx, ly, TruncateToWidth(spec.y_label, kLabelFont, ph), kLabelFont,
           SvgCanvas::Anchor::kMiddle, "class=\"y-label\"", -90, spec.y_label);
  }
  return c.Finish();
}

}  // namespace sangam::report
