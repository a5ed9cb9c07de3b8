// SvgCanvas (element writer), legends and the colour palette shared by all charts.
#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sangam/chart.h"

namespace sangam::report {
namespace {

constexpr const char* kFontFamily = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', sans-serif";

const char* AnchorName(SvgCanvas::Anchor a) {
  switch (a) {
    case SvgCanvas::Anchor::kStart:
      return "start";
    case SvgCanvas::Anchor::kEnd:
      return "end";
    default:
      return "middle";
  }
}

}  // namespace

const char* SeriesColor(size_t i) {
  // Okabe & Ito (2008), reordered so the first colours have the most contrast on white.
  static constexpr const char* kPalette[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
                                             "#E69F00", "#56B4E9", "#000000", "#F0E442"};
  return kPalette[i % 8];
}

SvgCanvas::SvgCanvas(int width, int height, std::string_view title)
    : width_(width), height_(height) {
  const std::string w = std::to_string(width), h = std::to_string(height);
  out_ += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out_ += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"" + w +
          "\" height=\"" + h + "\" viewBox=\"0 0 " + w + " " + h + "\" font-family=\"" +
          kFontFamily + "\" font-size=\"12\" role=\"img\"";
  if (!title.empty()) out_ += " aria-label=\"" + XmlEscape(title) + "\"";
  out_ += ">\n";
  if (!title.empty()) out_ += "<title>" + XmlEscape(title) + "</title>\n";
  out_ += "<rect class=\"background\" x=\"0\" y=\"0\" width=\"" + w + "\" height=\"" + h +
          "\" fill=\"#ffffff\"/>\n";
}

void SvgCanvas::Rect(double x, double y, double w, double h, std::string_view fill,
                     std::string_view extra) {
  out_ += "<rect x=\"" + Coord(x) + "\" y=\"" + Coord(y) + "\" width=\"" + Coord(std::max(w, 0.0)) +
          "\" height=\"" + Coord(std::max(h, 0.0)) + "\" fill=\"";
  out_ += fill;
  out_ += "\"";
  if (!extra.empty()) out_ += " ", out_ += extra;
  out_ += "/>\n";
}

void SvgCanvas::Line(double x1, double y1, double x2, double y2, std::string_view stroke,
                     double stroke_width, std::string_view extra) {
  out_ += "<line x1=\"" + Coord(x1) + "\" y1=\"" + Coord(y1) + "\" x2=\"" + Coord(x2) + "\" y2=\"" +
          Coord(y2) + "\" stroke=\"";
  out_ += stroke;
  out_ += "\" stroke-width=\"" + FormatFixed(stroke_width, 2) + "\"";
  if (!extra.empty()) out_ += " ", out_ += extra;
  out_ += "/>\n";
}

void SvgCanvas::Text(double x, double y, std::string_view utf8, double font_px, Anchor anchor,
                     std::string_view extra, double rotate_deg, std::string_view tooltip) {
  if (utf8.empty()) return;
  const bool rtl = IsRtl(utf8);
  // With direction="rtl" "start" is the right edge; mirror the anchor so the text keeps its place.
  if (rtl && anchor == Anchor::kStart) {
    anchor = Anchor::kEnd;
  } else if (rtl && anchor == Anchor::kEnd) {
    anchor = Anchor::kStart;
  }
  out_ += "<text x=\"" + Coord(x) + "\" y=\"" + Coord(y) + "\" font-size=\"" +
          FormatFixed(font_px, 1) + "\" text-anchor=\"" + AnchorName(anchor) + "\"";
  if (rtl) out_ += " direction=\"rtl\" unicode-bidi=\"embed\"";
  if (rotate_deg != 0) {
    out_ += " transform=\"rotate(" + FormatFixed(rotate_deg, 1) + " " + Coord(x) + " " + Coord(y) +
            ")\"";
  }
  if (!extra.empty()) out_ += " ", out_ += extra;
  out_ += ">";
  if (!tooltip.empty() && tooltip != utf8) out_ += "<title>" + XmlEscape(tooltip) + "</title>";
  out_ += XmlEscape(utf8);
  out_ += "</text>\n";
}

void SvgCanvas::Raw(std::string_view markup) { out_ += markup; }

std::string SvgCanvas::Finish() {
  out_ += "</svg>\n";
  return std::exchange(out_, std::string());
}

double DrawLegend(SvgCanvas* canvas, const std::vector<LegendItem>& items, double x, double y,
                  double max_width, bool line_swatch, int max_rows) {
  if (items.empty()) return 0;
  constexpr double kFont = 12, kRow = 18, kSwatch = 18, kGap = 6, kSpacing = 16;
  max_rows = std::max(max_rows, 1);
  const double max_text = std::max(60.0, max_width - kSwatch - kGap);
  struct Placed {
    size_t item;
    std::string name;
    double cx;
    int row;
    double w;
  };
  // Lay out first; when rows run out, drop items from the end of the last row until a
  // "(+k more)" note fits after them.
  std::vector<Placed> placed;
  double cx = 0;
  int row = 0;
  bool overflow = false;
  for (size_t i = 0; i < items.size(); ++i) {
    std::string name = TruncateToWidth(items[i].name, kFont, max_text);
    const double w = kSwatch + kGap + EstimateTextWidth(name, kFont);
    if (cx > 0 && cx + w > max_width) cx = 0, ++row;
    if (row >= max_rows) {
      overflow = true;
      break;
    }
    placed.push_back({i, std::move(name), cx, row, w});
    cx += w + kSpacing;
  }
  std::string more;
  double more_x = 0;
  if (overflow) {
    for (;;) {
      more = "(+" + std::to_string(items.size() - placed.size()) + " more)";
      const Placed* last = placed.empty() ? nullptr : &placed.back();
      more_x = last == nullptr || last->row < max_rows - 1 ? 0 : last->cx + last->w + kSpacing;
      if (more_x + EstimateTextWidth(more, kFont) <= max_width || placed.empty()) break;
      placed.pop_back();
    }
  }
  if (canvas != nullptr) {
    for (const Placed& p : placed) {
      const LegendItem& item = items[p.item];
      const double sx = x + p.cx, cy = y + p.row * kRow + kRow / 2;
      if (line_swatch) {
        std::string extra = "class=\"legend-swatch\" stroke-linecap=\"round\"";
        if (!item.dash.empty()) extra += " stroke-dasharray=\"" + item.dash + "\"";
        canvas->Line(sx, cy, sx + kSwatch, cy, item.color, 2.5, extra);
      } else {
        canvas->Rect(sx + 3, cy - 6, 12, 12, item.color, "class=\"legend-swatch\"");
      }
      canvas->Text(sx + kSwatch + kGap, cy + 4, p.name, kFont, SvgCanvas::Anchor::kStart,
                   "class=\"legend-label\"", 0, item.name);
    }
    if (overflow) {
      canvas->Text(x + more_x, y + (max_rows - 1) * kRow + kRow / 2 + 4, more, kFont,
                   SvgCanvas::Anchor::kStart, "class=\"legend-more\" fill=\"#666666\"");
    }
  }
  return (overflow ? max_rows : row + 1) * kRow;
}

}  // namespace sangam::report
