// Standalone SVG charts (line charts for training curves, grouped bar charts for evaluations).
//
// Every Render* function is a pure function of its spec: it returns the full text of a
// self-contained SVG 1.1 document (UTF-8, no external fonts, CSS, scripts or images) that opens in
// a browser and renders on GitHub. Output is deterministic: the same spec gives the same bytes on
// every run, thread and locale (numbers are formatted with std::to_chars at fixed precision).
//
// Robustness contract (inputs may come from logs or user files):
//   * Render* never crash, abort or throw on any spec, and never emit "nan"/"inf" coordinates.
//     Non-finite points are skipped; a chart with nothing to draw shows a "no data" note.
//   * All text (titles, labels, series names) is XML-escaped (& < > " ') and kept as UTF-8 byte for
//     byte. Invalid UTF-8 is replaced by U+FFFD and characters XML 1.0 forbids (C0 controls) by a
//     space, so the document is always well-formed. Text whose first strong character is
//     right-to-left (Hebrew, Arabic, Syriac, Thaana, N'Ko, ...) gets direction="rtl" with the text
//     anchor mirrored, so it sits where LTR text would and is shaped by the renderer's bidi.
//     Text too long for its space is shortened with "…" at a boundary that keeps combining marks
//     and virama clusters whole; the full text stays in the document as a <title> tooltip.
//   * Finite values are clamped to [-1e300, 1e300] (to [1e-300, 1e300] on a log axis) so that
//     ranges never overflow.
//   * Absurd sizes are clamped: width to [240, 16000], height to [160, 16000] pixels.
//
// Thread-safety: all functions are reentrant and use no global state.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "sangam/status.h"

namespace sangam::report {

// ---------------------------------------------------------------------------------------------
// Line charts
// ---------------------------------------------------------------------------------------------

// One curve. x and y are paired by index; extra elements of the longer vector are ignored.
// A point whose x or y is NaN/inf (or y <= 0 on a log axis) is skipped and splits the curve: each
// unbroken run becomes its own <polyline>; a run of one point is drawn as a dot.
// Points are joined in the given order (x need not be sorted).
struct Series {
  // Legend text. The legend is omitted for a single unnamed series; otherwise unnamed series are
  // listed as "series N". A legend never takes more than a quarter of the chart's height; the
  // rest is summarised as "(+k more)".
  std::string name;
  std::vector<double> x, y;
};

// Series with more than this many drawable points are downsampled: consecutive points that fall
// into the same pixel column are replaced by that column's minimum and maximum (in their original
// order), so spikes survive and a polyline has at most ~2 points per pixel column.
inline constexpr size_t kDownsampleThreshold = 4000;

struct LineChartSpec {
  std::string title, x_label, y_label;
  std::vector<Series> series;
  bool log_y = false;  // log10 y axis (ticks as in LogTicks); y <= 0 is skipped
  int width = 800, height = 450;
};

// Returns the SVG text. Axes: 1-2-5 "nice" ticks with grid lines (decades on a log axis); the data
// range is widened to whole ticks. Colours: Okabe-Ito palette by series index; past 8 series the
// colours repeat with a dash pattern.
std::string RenderLineChart(const LineChartSpec& spec);

// ---------------------------------------------------------------------------------------------
// Grouped bar charts
// ---------------------------------------------------------------------------------------------

// One category (e.g. a language) with one value per series (e.g. "before", "after").
// values[i] belongs to series_names[i]; a missing or non-finite value draws no bar and a muted
// "n/a" label instead. The number of series is the longest of series_names and any values; series
// without a name are listed as "series N".
struct BarGroup {
  std::string label;
  std::vector<double> values;
};

struct BarChartSpec {
  std::string title;
  std::string y_label;         // value-axis label (drawn under the chart when horizontal)
  std::string category_label;  // optional label for the category axis (e.g. "language")
  // Legend; omitted for a single unnamed series. At most 6 rows (a quarter of a fixed height);
  // the rest is summarised as "(+k more)".
  std::vector<std::string> series_names;
  std::vector<BarGroup> groups;
  // Bars run left to right with group labels on the left: best for many or long labels. When
  // false, bars are vertical and group labels that do not fit their slot are rotated 45 degrees.
  bool horizontal = false;
  // A dashed line across the chart at this value (e.g. token premium 1.0); NaN = none.
  double reference_line = std::numeric_limits<double>::quiet_NaN();
  std::string reference_label;  // text beside the reference line; empty = the formatted value
  // Format of the value printed on each bar: literal text around one conversion
  // "%[+][.precision](f|e|g)" (precision <= 17), "%%" for a percent sign. Anything else (e.g. "%s",
  // "%d", two conversions) falls back to "%.2f". Formatting is locale-independent.
  std::string value_format = "%.2f";
  int width = 0, height = 0;  // 0 = chosen from the number of groups, series and label lengths
};

// Returns the SVG text. Bars start at 0 (the value axis always includes 0 and the reference line),
// so bar lengths are proportional to |value|; negative values extend the other way. Each value is
// printed at the end of its bar (rotated along narrow vertical bars; omitted when bars are thinner
// than 7 px, e.g. thousands of groups) and each bar has a hover tooltip "group · series: value".
// Group labels are left out when a group's slot is thinner than 6 px.
// Automatic sizes: vertical charts are as wide as the groups need (>= 360 px) and 300 px of plot
// high; horizontal charts are 800 px wide and as tall as the groups need. Sizes are clamped as
// above, so with very many groups bars get thin rather than the file huge.
std::string RenderBarChart(const BarChartSpec& spec);

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

// Writes text to path atomically (path + ".tmp", fsync, rename). On failure returns an IoError
// (InvalidArgument for an empty path) whose message names the path.
Status WriteTextFileAtomic(const std::string& path, std::string_view text);

// ---------------------------------------------------------------------------------------------
// Building blocks (used by the charts; public for tests and for custom charts)
// ---------------------------------------------------------------------------------------------

// Escapes text for XML character data and attribute values (see the robustness contract above).
std::string XmlEscape(std::string_view utf8);

// Locale-independent fixed-point formatting, e.g. FormatFixed(1.5, 2) == "1.50". Non-finite
// values give "0" (callers never pass them; this keeps "nan" out of documents).
std::string FormatFixed(double value, int decimals);

// Formats value with a printf-like pattern as described for BarChartSpec::value_format.
std::string FormatValue(double value, std::string_view pattern);

// Axis ticks: positions, their labels and the axis range they span (lo = first tick, hi = last).
struct AxisTicks {
  std::vector<double> values;
  std::vector<std::string> labels;
  double lo = 0, hi = 1;
};

// Linear "nice" ticks covering [lo, hi] with a 1-2-5 step chosen so that there are at most about
// max_ticks intervals, e.g. [0, 9.7] with max_ticks 5 -> 0 2 4 6 8 10. lo > hi is swapped; a
// degenerate or non-finite range is widened around its finite end (or [0, 1]).
AxisTicks NiceTicks(double lo, double hi, int max_ticks = 6);

// Log10 ticks covering [lo, hi] (values <= 0 or non-finite are ignored; neither usable -> [1, 10]).
// Ticks are m * 10^k: m in 1..9 when the range spans at most one decade, m in {1, 2, 5} up to 2.5
// decades, whole decades beyond (every n-th decade, at most ~9 ticks). The axis is widened to the
// nearest ticks outside [lo, hi], e.g. [3, 7000] -> 1 10 100 1000 10000, [2.1, 3.5] -> 2 3 4.
AxisTicks LogTicks(double lo, double hi);

// Writes an SVG document element by element; coordinates are printed with 2 decimals. Text goes
// through XmlEscape and gets RTL handling (see above). Holds the document text; not thread-safe.
class SvgCanvas {
 public:
  enum class Anchor { kStart, kMiddle, kEnd };
  // Starts the document: root element with viewBox, generic font family, <title> (accessible name)
  // and a white background.
  SvgCanvas(int width, int height, std::string_view title);

  // extra: further attributes, already escaped, e.g. R"(class="bar")".
  void Rect(double x, double y, double w, double h, std::string_view fill,
            std::string_view extra = {});
  void Line(double x1, double y1, double x2, double y2, std::string_view stroke,
            double stroke_width, std::string_view extra = {});
  // A single line of text with its baseline at y. rotate_deg turns it about (x, y).
  // tooltip, when non-empty and different from utf8, becomes a <title> child (shown on hover; e.g.
  // an untruncated label).
  void Text(double x, double y, std::string_view utf8, double font_px, Anchor anchor,
            std::string_view extra = {}, double rotate_deg = 0, std::string_view tooltip = {});
  // Appends raw markup (caller guarantees well-formedness).
  void Raw(std::string_view markup);
  // Closes the document and returns it. The canvas is empty afterwards.
  std::string Finish();

  int width() const { return width_; }
  int height() const { return height_; }

 private:
  std::string out_;
  int width_, height_;
};

// Formats an SVG coordinate (2 decimals, "-0.00" normalised to "0.00").
std::string Coord(double v);

// A legend entry: colour swatch (short line or square) plus name.
struct LegendItem {
  std::string name;
  std::string color;
  std::string dash;  // stroke-dasharray for line swatches; empty = solid
};
// Lays out items left to right in rows no wider than max_width starting at (x, y) (top-left) and
// returns the height used. Names too long for a row are truncated (full name as tooltip). Past
// max_rows rows the remaining items are summarised as "(+k more)". Draws only when canvas is
// non-null (so callers can measure first with the same arguments).
double DrawLegend(SvgCanvas* canvas, const std::vector<LegendItem>& items, double x, double y,
                  double max_width, bool line_swatch, int max_rows = 1000);

// Colour for series i (Okabe-Ito order tuned for lines on white); cycles after 8.
const char* SeriesColor(size_t i);

// True when the first strong directional character of utf8 is right-to-left.
bool IsRtl(std::string_view utf8);

// Rough rendered width of utf8 in pixels at the given font size (for layout only).
double EstimateTextWidth(std::string_view utf8, double font_px);

// Shortens utf8 to fit max_px (estimated) by cutting at a code-point boundary that does not split
// a combining mark, virama cluster or ZWJ sequence and appending U+2026. Unchanged if it fits.
std::string TruncateToWidth(std::string_view utf8, double font_px, double max_px);

}  // namespace sangam::report
