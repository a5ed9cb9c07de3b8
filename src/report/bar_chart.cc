// Grouped bar charts (e.g. per-language evaluation results) as standalone SVG.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "sangam/chart.h"

namespace sangam::report {
namespace {

constexpr double kMaxMagnitude = 1e300;
constexpr double kMargin = 12, kTickFont = 11, kLabelFont = 12, kTitleFont = 16;
constexpr double kValueFont = 10, kGroupFont = 11.5, kMaxGroupLabelPx = 160;

bool Finite(double v) { return std::isfinite(v); }

// Widens [lo, hi] so that a label of `frac` of the axis length fits past the longest bar on each
// side that has bars.
void PadForLabels(bool pos, bool neg, double frac, double* lo, double* hi) {
  frac = std::clamp(frac, 0.0, 0.45);
  const double span = *hi - *lo;
  const double pad = span * frac / (1 - frac);
  if (pos) *hi += pad;
  if (neg) *lo -= pad;
}

}  // namespace

std::string RenderBarChart(const BarChartSpec& spec) {
  const size_t n_groups = spec.groups.size();
  size_t n_series = spec.series_names.size();
  for (const BarGroup& g : spec.groups) n_series = std::max(n_series, g.values.size());

  // Values (clamped), their labels and the data range.
  auto value = [&](size_t g, size_t s) {
    const auto& v = spec.groups[g].values;
    if (s >= v.size() || !Finite(v[s])) return std::numeric_limits<double>::quiet_NaN();
    return std::clamp(v[s], -kMaxMagnitude, kMaxMagnitude);
  };
  double vmin = 0, vmax = 0, value_label_w = 0;
  bool any = false, any_pos = false, any_neg = false;
  for (size_t g = 0; g < n_groups; ++g) {
    for (size_t s = 0; s < n_series; ++s) {
      const double v = value(g, s);
      if (!Finite(v)) continue;
      any = true;
      any_pos |= v > 0, any_neg |= v < 0;
      vmin = std::min(vmin, v), vmax = std::max(vmax, v);
      value_label_w =
          std::max(value_label_w, EstimateTextWidth(FormatValue(v, spec.value_format), kValueFont));
    }
  }
  const double ref = Finite(spec.reference_line)
                         ? std::clamp(spec.reference_line, -kMaxMagnitude, kMaxMagnitude)
                         : NAN;
  if (any && Finite(ref)) vmin = std::min(vmin, ref), vmax = std::max(vmax, ref);
  if (vmin == vmax) vmax = 1;  // all zero: show [0, 1] with the bars on the baseline
  double group_label_w = 0;
  for (const BarGroup& g : spec.groups) {
    group_label_w = std::max(group_label_w, EstimateTextWidth(g.label, kGroupFont));
  }

  // Legend entries.
  std::vector<LegendItem> legend;
  const bool show_legend =
      n_series > 1 || (!spec.series_names.empty() && !spec.series_names[0].empty());
  if (show_legend) {
    for (size_t s = 0; s < n_series; ++s) {
      std::string name = s < spec.series_names.size() ? spec.series_names[s] : "";
      if (name.empty()) name = "series " + std::to_string(s + 1);
      legend.push_back({name, SeriesColor(s), ""});
    }
  }
  auto series_name = [&](size_t s) { return show_legend ? legend[s].name : std::string(); };

  // Layout. Width first (legend rows depend on it), then height.
  const AxisTicks pre = NiceTicks(vmin, vmax, 6);
  double tick_w = 0;
  for (const std::string& l : pre.labels)
    tick_w = std::max(tick_w, EstimateTextWidth(l, kTickFont));
  const bool horiz = spec.horizontal;
  const size_t slots = std::max<size_t>(n_groups, 1);
  // The reference line's label sits in the right margin of vertical charts (no bar labels there).
  const std::string ref_label = !Finite(ref) || !any           ? std::string()
                                : spec.reference_label.empty() ? FormatValue(ref, spec.value_format)
                                                               : spec.reference_label;
  const double ref_label_w = std::min(EstimateTextWidth(ref_label, kValueFont), 120.0);
  double left, right = kMargin + 8;
  if (!horiz && !ref_label.empty()) right = kMargin + ref_label_w + 6;
  int width;
  if (horiz) {
    width = spec.width > 0 ? spec.width : 800;
    width = std::clamp(width, 240, 16000);
    left = kMargin + (spec.category_label.empty() ? 0 : kLabelFont + 10) +
           std::min(group_label_w, 0.4 * width) + 10;
  } else {
    left = kMargin + (spec.y_label.empty() ? 0 : kLabelFont + 10) + tick_w + 10;
    if (spec.width > 0) {
      width = spec.width;
    } else {
      const double bar = std::clamp(value_label_w + 4, 16.0, 44.0);
      const double slot = std::max(bar * n_series / 0.8, 36.0);
      width = static_cast<int>(std::ceil(left + right + slots * slot));
      width = std::max(width, 360);
    }
    width = std::clamp(width, 240, 16000);
  }
  double pw = std::max(40.0, width - left - right);

  // Vertical bars: group labels rotate when they do not fit their slot. A rotated label reaches
  // 0.71 * its width left of its bar, so the plot moves right if the first one would be cut off.
  const bool rotate_groups = !horiz && group_label_w > pw / slots - 4;
  if (rotate_groups && n_groups > 0) {
    const double reach =
        std::min(EstimateTextWidth(spec.groups[0].label, kGroupFont), kMaxGroupLabelPx) * 0.71;
    if (left < reach) {
      if (spec.width <= 0)
        width = std::min(16000, static_cast<int>(std::ceil(width + reach - left)));
      left = reach;
      pw = std::max(40.0, width - left - right);
    }
  }

  double top = kMargin;
  const double title_y = top + kTitleFont;
  if (!spec.title.empty()) top += kTitleFont + 10;
  const double legend_y = top;
  // At most a quarter of a fixed height, or 6 rows when the height is automatic.
  const int legend_rows =
      spec.height > 0
          ? std::max(1, static_cast<int>(std::clamp(spec.height, 160, 16000) * 0.25 / 18))
          : 6;
  const double legend_h =
      DrawLegend(nullptr, legend, kMargin, 0, width - 2 * kMargin, false, legend_rows);
  if (legend_h > 0) top += legend_h + 6;
  top += horiz ? 6 : 10;

  double bottom = kMargin;
  if (horiz) {
    bottom += kTickFont + 8 + (spec.y_label.empty() ? 0 : kLabelFont + 10);
  } else {
    bottom +=
        (rotate_groups ? std::min(group_label_w, kMaxGroupLabelPx) * 0.71 + 14 : kGroupFont + 8) +
        (spec.category_label.empty() ? 0 : kLabelFont + 10);
  }
  int height;
  if (spec.height > 0) {
    height = spec.height;
  } else if (horiz) {
    const double bar = 16;
    height =
        static_cast<int>(std::ceil(top + bottom + slots * std::max(bar * n_series / 0.8, 22.0)));
  } else {
    height = static_cast<int>(std::ceil(top + bottom + 300));
  }
  height = std::clamp(height, 160, 16000);
  const double ph = std::max(40.0, height - top - bottom);
  const double x0 = left, y0 = top;

  // Bar geometry and value axis.
  const double slot = (horiz ? ph : pw) / slots;
  const double bar = slot * 0.8 / std::max<size_t>(n_series, 1);
  const bool rotate_values = !horiz && value_label_w > bar + 2;
  const bool draw_values = bar >= 7;
  const double label_ext = horiz ? value_label_w + 6 : (rotate_values ? value_label_w + 6 : 15);
  double dlo = vmin, dhi = vmax;
  if (draw_values) PadForLabels(any_pos, any_neg, label_ext / (horiz ? pw : ph), &dlo, &dhi);
  const double axis_len = horiz ? pw : ph;
  const AxisTicks t =
      NiceTicks(dlo, dhi, std::clamp(static_cast<int>(axis_len / (horiz ? 90 : 45)), 2, 10));
  // Position along the value axis, in pixels from the plot's origin side.
  auto vpos = [&](double v) { return (v - t.lo) / (t.hi - t.lo) * axis_len; };
  auto vx = [&](double v) { return x0 + vpos(v); };       // horizontal bars
  auto vy = [&](double v) { return y0 + ph - vpos(v); };  // vertical bars

  SvgCanvas c(width, height, spec.title);
  c.Rect(x0, y0, pw, ph, "#ffffff", "class=\"plot-area\" stroke=\"none\"");

  if (!any) {
    c.Text(x0 + pw / 2, y0 + ph / 2, "no data", 14, SvgCanvas::Anchor::kMiddle,
           "class=\"no-data\" fill=\"#777777\"");
  } else {
    // Grid and value ticks.
    c.Raw("<g class=\"grid\">\n");
    for (double v : t.values) {
      if (horiz) {
        c.Line(vx(v), y0, vx(v), y0 + ph, "#e6e6e6", 1);
      } else {
        c.Line(x0, vy(v), x0 + pw, vy(v), "#e6e6e6", 1);
      }
    }
    c.Raw("</g>\n");
    for (size_t i = 0; i < t.values.size(); ++i) {
      if (horiz) {
        c.Text(vx(t.values[i]), y0 + ph + kTickFont + 5, t.labels[i], kTickFont,
               SvgCanvas::Anchor::kMiddle, "class=\"tick-value\" fill=\"#444444\"");
      } else {
        c.Text(x0 - 6, vy(t.values[i]) + 4, t.labels[i], kTickFont, SvgCanvas::Anchor::kEnd,
               "class=\"tick-value\" fill=\"#444444\"");
      }
    }

    // Bars and their value labels.
    for (size_t g = 0; g < n_groups; ++g) {
      const double group_start = slot * g + slot * 0.1;
      for (size_t s = 0; s < n_series; ++s) {
        const double v = value(g, s);
        const double across = group_start + bar * s;  // offset across the category axis
        const std::string text = FormatValue(v, spec.value_format);
        std::string tip = spec.groups[g].label;
        if (!series_name(s).empty()) tip += (tip.empty() ? "" : " \xC2\xB7 ") + series_name(s);
        tip += (tip.empty() ? "" : ": ") + text;
        if (!Finite(v)) {
          if (!draw_values) continue;
          if (horiz) {
            c.Text(vx(0) + 4, y0 + across + bar / 2 + 3.5, "n/a", kValueFont,
                   SvgCanvas::Anchor::kStart, "class=\"missing\" fill=\"#999999\"");
          } else {
            c.Text(x0 + across + bar / 2, vy(0) - 4, "n/a", kValueFont, SvgCanvas::Anchor::kStart,
                   "class=\"missing\" fill=\"#999999\"", -90);
          }
          continue;
        }
        double rx, ry, rw, rh;
        if (horiz) {
          rx = std::min(vx(0), vx(v)), rw = std::fabs(vx(v) - vx(0));
          ry = y0 + across, rh = bar;
        } else {
          ry = std::min(vy(0), vy(v)), rh = std::fabs(vy(v) - vy(0));
          rx = x0 + across, rw = bar;
        }
        c.Raw("<rect class=\"bar series-" + std::to_string(s) + "\" x=\"" + Coord(rx) + "\" y=\"" +
              Coord(ry) + "\" width=\"" + Coord(rw) + "\" height=\"" + Coord(rh) + "\" fill=\"" +
              SeriesColor(s) + "\"><title>" + XmlEscape(tip) + "</title></rect>\n");
        if (!draw_values) continue;
        const char* cls = "class=\"value\" fill=\"#222222\"";
        if (horiz) {
          const double ty = ry + rh / 2 + 3.5;
          if (v >= 0) {
            c.Text(rx + rw + 3, ty, text, kValueFont, SvgCanvas::Anchor::kStart, cls);
          } else {
            c.Text(rx - 3, ty, text, kValueFont, SvgCanvas::Anchor::kEnd, cls);
          }
        } else if (rotate_values) {
          const double tx = rx + rw / 2 + 3.5;
          if (v >= 0) {
            c.Text(tx, ry - 4, text, kValueFont, SvgCanvas::Anchor::kStart, cls, -90);
          } else {
            c.Text(tx, ry + rh + 4, text, kValueFont, SvgCanvas::Anchor::kEnd, cls, -90);
          }
        } else {
          const double tx = rx + rw / 2;
          c.Text(tx, v >= 0 ? ry - 4 : ry + rh + kValueFont + 2, text, kValueFont,
                 SvgCanvas::Anchor::kMiddle, cls);
        }
      }
    }

    // Baseline at zero and the reference line on top of the bars.
    if (horiz) {
      c.Line(vx(0), y0, vx(0), y0 + ph, "#555555", 1, "class=\"baseline\"");
    } else {
      c.Line(x0, vy(0), x0 + pw, vy(0), "#555555", 1, "class=\"baseline\"");
    }
    if (Finite(ref)) {
      const std::string& label = ref_label;
      const char* extra = "class=\"reference\" stroke-dasharray=\"6 4\"";
      if (horiz) {
        c.Line(vx(ref), y0, vx(ref), y0 + ph, "#333333", 1.25, extra);
        c.Text(vx(ref), y0 - 3, TruncateToWidth(label, kValueFont, pw / 2), kValueFont,
               SvgCanvas::Anchor::kMiddle, "class=\"reference-label\" fill=\"#333333\"", 0, label);
      } else {
        c.Line(x0, vy(ref), x0 + pw, vy(ref), "#333333", 1.25, extra);
        c.Text(x0 + pw + 4, vy(ref) + 3.5, TruncateToWidth(label, kValueFont, ref_label_w + 1),
               kValueFont, SvgCanvas::Anchor::kStart, "class=\"reference-label\" fill=\"#333333\"",
               0, label);
      }
    }
  }

  // Group labels (left out when slots are too thin to tell them apart; bar tooltips remain).
  for (size_t g = 0; g < n_groups && slot >= 6; ++g) {
    const std::string& full = spec.groups[g].label;
    const double mid = slot * g + slot / 2;
    if (horiz) {
      const std::string l = TruncateToWidth(
          full, kGroupFont,
          left - kMargin - 10 - (spec.category_label.empty() ? 0 : kLabelFont + 10));
      c.Text(x0 - 6, y0 + mid + 4, l, kGroupFont, SvgCanvas::Anchor::kEnd, "class=\"group-label\"",
             0, full);
    } else if (rotate_groups) {
      const std::string l = TruncateToWidth(full, kGroupFont, kMaxGroupLabelPx);
      c.Text(x0 + mid + 4, y0 + ph + 10, l, kGroupFont, SvgCanvas::Anchor::kEnd,
             "class=\"group-label\"", -45, full);
    } else {
      c.Text(x0 + mid, y0 + ph + kGroupFont + 4, full, kGroupFont, SvgCanvas::Anchor::kMiddle,
             "class=\"group-label\"");
    }
  }
  c.Rect(x0, y0, pw, ph, "none", "class=\"plot-frame\" stroke=\"#888888\" stroke-width=\"1\"");

  // Title, legend, axis labels.
  if (!spec.title.empty()) {
    c.Text(width / 2.0, title_y, TruncateToWidth(spec.title, kTitleFont, width - 2 * kMargin),
           kTitleFont, SvgCanvas::Anchor::kMiddle, "class=\"title\" font-weight=\"bold\"", 0,
           spec.title);
  }
  if (legend_h > 0)
    DrawLegend(&c, legend, kMargin, legend_y, width - 2 * kMargin, false, legend_rows);
  const std::string& value_label = spec.y_label;
  const std::string& cat_label = spec.category_label;
  const std::string& bottom_label = horiz ? value_label : cat_label;
  const std::string& side_label = horiz ? cat_label : value_label;
  if (!bottom_label.empty()) {
    c.Text(x0 + pw / 2, height - kMargin, TruncateToWidth(bottom_label, kLabelFont, pw), kLabelFont,
           SvgCanvas::Anchor::kMiddle, horiz ? "class=\"value-label\"" : "class=\"category-label\"",
           0, bottom_label);
  }
  if (!side_label.empty()) {
    c.Text(kMargin + kLabelFont, y0 + ph / 2, TruncateToWidth(side_label, kLabelFont, ph),
           kLabelFont, SvgCanvas::Anchor::kMiddle,
           horiz ? "class=\"category-label\"" : "class=\"value-label\"", -90, side_label);
  }
  return c.Finish();
}

}  // namespace sangam::report
