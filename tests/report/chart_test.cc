// SVG line and bar charts: well-formedness, escaping, UTF-8, geometry, degenerate inputs.
#include "sangam/chart.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "sangam/file.h"

namespace sangam::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Name with a number; append() sidesteps a gcc 12 -Wrestrict false positive on "lit" + string.
std::string Numbered(const char* prefix, int i) {
  std::string s = prefix;
  s.append(std::to_string(i));
  return s;
}

// ---------------------------------------------------------------------------------------------
// A minimal XML well-formedness checker and tree (enough for our SVG: elements, attributes,
// character data, entity references, an optional <?xml?> declaration; no DTD, no CDATA).
// ---------------------------------------------------------------------------------------------

struct Element {
  std::string name;
  std::map<std::string, std::string> attrs;  // unescaped
  std::string text;                          // direct character data, unescaped
  std::vector<Element> children;

  std::string Attr(const std::string& k) const {
    auto it = attrs.find(k);
    return it == attrs.end() ? "" : it->second;
  }
  bool HasClass(const std::string& c) const {
    const std::string cls = " " + Attr("class") + " ";
    return cls.find(" " + c + " ") != std::string::npos;
  }
  // Depth-first collection of all descendants (and self) matching pred.
  template <typename Pred>
  void Collect(Pred pred, std::vector<const Element*>* out) const {
    if (pred(*this)) out->push_back(this);
    for (const Element& c : children) c.Collect(pred, out);
  }
};

bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (b < 0x80) {
      if (b < 0x20 && b != '\t' && b != '\n' && b != '\r') return false;  // not allowed in XML
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      n = 2, cp = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
      n = 3, cp = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
      n = 4, cp = b & 0x07;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3F);
    }
    const uint32_t min = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (cp == 0xFFFE || cp == 0xFFFF) return false;
    i += n;
  }
  return true;
}

class XmlParser {
 public:
  explicit XmlParser(std::string_view s) : s_(s) {}

  bool Parse(Element* root, std::string* err) {
    if (!ValidUtf8(s_)) return Fail("document is not valid UTF-8 XML text", err);
    if (s_.substr(0, 5) == "<?xml") {
      const size_t e = s_.find("?>");
      if (e == std::string_view::npos) return Fail("unterminated declaration", err);
      i_ = e + 2;
    }
    SkipSpace();
    if (!ParseElement(root, err)) return false;
    SkipSpace();
    if (i_ != s_.size()) return Fail("content after the root element", err);
    return true;
  }

 private:
  bool Fail(const std::string& what, std::string* err) {
    *err = what + " at byte " + std::to_string(i_);
    return false;
  }
  void SkipSpace() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r'))
      ++i_;
  }
  static bool NameChar(char c, bool first) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == ':') return true;
    return !first && ((c >= '0' && c <= '9') || c == '-' || c == '.');
  }
  bool ParseName(std::string* name, std::string* err) {
    const size_t start = i_;
    while (i_ < s_.size() && NameChar(s_[i_], i_ == start)) ++i_;
    if (i_ == start) return Fail("expected a name", err);
    *name = std::string(s_.substr(start, i_ - start));
    return true;
  }
  // Character data up to the next '<' (or the closing quote); validates and resolves entities.
  bool ParseChars(char stop, std::string* out, std::string* err) {
    while (i_ < s_.size() && s_[i_] != stop) {
      const char c = s_[i_];
      if (c == '<') return Fail("raw '<' in character data", err);
      if (c == '>' && stop == '<' && i_ >= 2 && s_.substr(i_ - 2, 3) == "]]>") {
        return Fail("']]>' in character data", err);
      }
      if (c != '&') {
        out->push_back(c);
        ++i_;
        continue;
      }
      const size_t semi = s_.find(';', i_);
      if (semi == std::string_view::npos || semi - i_ > 10) return Fail("bare '&'", err);
      const std::string_view ent = s_.substr(i_ + 1, semi - i_ - 1);
      if (ent == "amp") {
        out->push_back('&');
      } else if (ent == "lt") {
        out->push_back('<');
      } else if (ent == "gt") {
        out->push_back('>');
      } else if (ent == "quot") {
        out->push_back('"');
      } else if (ent == "apos") {
        out->push_back('\'');
      } else if (ent.size() >= 2 && ent[0] == '#') {
        out->append("&" + std::string(ent) + ";");  // kept verbatim; we never emit these
      } else {
        return Fail("unknown entity &" + std::string(ent) + ";", err);
      }
      i_ = semi + 1;
    }
    return true;
  }
  bool ParseElement(Element* el, std::string* err) {
    if (i_ >= s_.size() || s_[i_] != '<') return Fail("expected '<'", err);
    ++i_;
    if (!ParseName(&el->name, err)) return false;
    for (;;) {
      const size_t before = i_;
      SkipSpace();
      if (i_ >= s_.size()) return Fail("unterminated start tag", err);
      if (s_.substr(i_, 2) == "/>") {
        i_ += 2;
        return true;
      }
      if (s_[i_] == '>') {
        ++i_;
        break;
      }
      if (i_ == before) return Fail("attributes must be separated by space", err);
      std::string key, value;
      if (!ParseName(&key, err)) return false;
      if (i_ >= s_.size() || s_[i_] != '=') return Fail("expected '='", err);
      ++i_;
      if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) return Fail("expected quote", err);
      const char q = s_[i_++];
      if (!ParseChars(q, &value, err)) return false;
      if (i_ >= s_.size()) return Fail("unterminated attribute", err);
      ++i_;
      if (!el->attrs.emplace(key, value).second) return Fail("duplicate attribute " + key, err);
    }
    // Content.
    for (;;) {
      if (!ParseChars('<', &el->text, err)) return false;
      if (i_ >= s_.size()) return Fail("unclosed <" + el->name + ">", err);
      if (s_.substr(i_, 4) == "<!--") {
        const size_t e = s_.find("-->", i_);
        if (e == std::string_view::npos) return Fail("unterminated comment", err);
        i_ = e + 3;
        continue;
      }
      if (s_.substr(i_, 2) == "</") {
        i_ += 2;
        std::string name;
        if (!ParseName(&name, err)) return false;
        if (name != el->name) return Fail("</" + name + "> closes <" + el->name + ">", err);
        SkipSpace();
        if (i_ >= s_.size() || s_[i_] != '>') return Fail("bad end tag", err);
        ++i_;
        return true;
      }
      el->children.emplace_back();
      if (!ParseElement(&el->children.back(), err)) return false;
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

// Parses and asserts well-formedness (fails the calling test otherwise).
Element ParseSvg(const std::string& svg) {
  Element root;
  std::string err;
  EXPECT_TRUE(XmlParser(svg).Parse(&root, &err)) << err << "\n" << svg.substr(0, 2000);
  EXPECT_EQ(root.name, "svg");
  return root;
}

// Pointers into root: keep root alive while using them (only .size() is safe on a temporary).
std::vector<const Element*> Find(const Element& root, const std::string& name,
                                 const std::string& cls = "") {
  std::vector<const Element*> out;
  root.Collect([&](const Element& e) { return e.name == name && (cls.empty() || e.HasClass(cls)); },
               &out);
  return out;
}

double Num(const Element& e, const std::string& attr) {
  const std::string v = e.Attr(attr);
  EXPECT_FALSE(v.empty()) << "missing " << attr << " on <" << e.name << ">";
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  EXPECT_TRUE(end != nullptr && *end == '\0') << attr << "=\"" << v << "\" is not a number";
  return d;
}

struct Pt {
  double x, y;
};
std::vector<Pt> Points(const Element& polyline) {
  std::vector<Pt> pts;
  const std::string s = polyline.Attr("points");
  const char* p = s.c_str();
  for (;;) {
    while (*p == ' ') ++p;
    if (*p == '\0') break;
    char* end;
    const double x = std::strtod(p, &end);
    EXPECT_EQ(*end, ',') << "bad points list: " << s.substr(0, 100);
    if (*end != ',') break;
    const double y = std::strtod(end + 1, &end);
    pts.push_back({x, y});
    p = end;
  }
  return pts;
}

struct Box {
  double x0, y0, x1, y1;
  bool Contains(double x, double y, double tol = 0.011) const {
    return x >= x0 - tol && x <= x1 + tol && y >= y0 - tol && y <= y1 + tol;
  }
};
Box PlotArea(const Element& root) {
  auto rects = Find(root, "rect", "plot-area");
  EXPECT_EQ(rects.size(), 1u);
  if (rects.empty()) return {0, 0, 0, 0};
  const Element& r = *rects[0];
  return {Num(r, "x"), Num(r, "y"), Num(r, "x") + Num(r, "width"), Num(r, "y") + Num(r, "height")};
}

// Every numeric geometry attribute must be a finite number, and no "nan"/"inf" anywhere.
void ExpectFiniteGeometry(const std::string& svg, const Element& root) {
  std::string lower = svg;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  EXPECT_EQ(lower.find("nan"), std::string::npos);
  EXPECT_EQ(lower.find("inf"), std::string::npos);
  std::vector<const Element*> all;
  root.Collect([](const Element&) { return true; }, &all);
  for (const Element* e : all) {
    for (const char* a : {"x", "y", "width", "height", "x1", "y1", "x2", "y2", "cx", "cy", "r"}) {
      if (e->attrs.count(a) == 0) continue;
      EXPECT_TRUE(std::isfinite(Num(*e, a))) << a;
    }
    if (e->name == "polyline") {
      for (const Pt& p : Points(*e)) EXPECT_TRUE(std::isfinite(p.x) && std::isfinite(p.y));
    }
  }
}

// Plain text of all <text> elements with a given class (direct character data, no tooltip).
std::vector<std::string> Texts(const Element& root, const std::string& cls) {
  std::vector<std::string> out;
  for (const Element* e : Find(root, "text", cls)) out.push_back(e->text);
  return out;
}

// Maps a value to a pixel y using the horizontal grid lines and the y tick labels (both drawn
// in tick order), independently of the chart's own projection code.
struct YMap {
  double v0, p0, v1, p1;
  double operator()(double v) const { return p0 + (v - v0) / (v1 - v0) * (p1 - p0); }
};
YMap GridYMap(const Element& root, const std::string& tick_class) {
  std::vector<double> ys;
  for (const Element* g : Find(root, "g", "grid")) {
    for (const Element& l : g->children) {
      if (l.name == "line" && Num(l, "y1") == Num(l, "y2")) ys.push_back(Num(l, "y1"));
    }
  }
  const std::vector<std::string> labels = Texts(root, tick_class);
  EXPECT_GE(labels.size(), 2u);
  EXPECT_EQ(labels.size(), ys.size());
  if (labels.size() < 2 || labels.size() != ys.size()) return {0, 0, 1, 1};
  return {std::strtod(labels.front().c_str(), nullptr), ys.front(),
          std::strtod(labels.back().c_str(), nullptr), ys.back()};
}

// ---------------------------------------------------------------------------------------------
// Line charts
// ---------------------------------------------------------------------------------------------

TEST(LineChart, WellFormedWithTitleLegendAxesAndGrid) {
  LineChartSpec spec;
  spec.title = "Training loss";
  spec.x_label = "step";
  spec.y_label = "loss";
  spec.series = {{"train", {0, 1, 2, 3}, {4, 3, 2.5, 2}}, {"val", {0, 2}, {4.2, 2.8}}};
  const std::string svg = RenderLineChart(spec);
  const Element root = ParseSvg(svg);
  EXPECT_EQ(root.Attr("width"), "800");
  EXPECT_EQ(root.Attr("height"), "450");
  EXPECT_EQ(root.Attr("xmlns"), "http://www.w3.org/2000/svg");
  EXPECT_NE(root.Attr("font-family").find("sans-serif"), std::string::npos);
  EXPECT_EQ(Texts(root, "title"), std::vector<std::string>{"Training loss"});
  EXPECT_EQ(Texts(root, "x-label"), std::vector<std::string>{"step"});
  EXPECT_EQ(Texts(root, "y-label"), std::vector<std::string>{"loss"});
  EXPECT_EQ(Texts(root, "legend-label"), (std::vector<std::string>{"train", "val"}));
  EXPECT_EQ(Find(root, "polyline").size(), 2u);
  EXPECT_GE(Find(root, "line").size(), 6u);  // grid lines
  // Self-contained: no external references, styles or scripts.
  EXPECT_EQ(svg.find("href"), std::string::npos);
  EXPECT_EQ(svg.find("<style"), std::string::npos);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("@import"), std::string::npos);
  ExpectFiniteGeometry(svg, root);
}

TEST(LineChart, EscapesMarkupInAllText) {
  const std::string evil = "a<b & c>\"d\" 'e' </text><script>";
  LineChartSpec spec;
  spec.title = evil;
  spec.x_label = evil;
  spec.y_label = evil;
  spec.series = {{evil, {0, 1}, {1, 2}}, {"ok", {0, 1}, {2, 1}}};
  const std::string svg = RenderLineChart(spec);
  const Element root = ParseSvg(svg);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
  EXPECT_EQ(svg.find("a<b"), std::string::npos);
  EXPECT_NE(svg.find("a&lt;b &amp; c&gt;&quot;d&quot; &apos;e&apos;"), std::string::npos);
  EXPECT_EQ(root.Attr("aria-label"), evil);  // round-trips through the parser unchanged
  EXPECT_EQ(Texts(root, "x-label"), std::vector<std::string>{evil});
  const std::vector<std::string> legend = Texts(root, "legend-label");
  ASSERT_EQ(legend.size(), 2u);
  EXPECT_EQ(legend[0], evil);
}

TEST(LineChart, PointsStayInsidePlotArea) {
  LineChartSpec spec;
  Series a{"a", {}, {}}, b{"b", {}, {}};
  for (int i = 0; i < 300; ++i) {
    a.x.push_back(i * 0.37 - 20);
    a.y.push_back(std::sin(i * 0.1) * 1e4 - 3e3);
    b.x.push_back(i * 0.5);
    b.y.push_back(i % 7 == 0 ? -9.99e3 : 7777.7);
  }
  spec.series = {a, b, {"dot", {5}, {123}}};
  for (bool log_y : {false, true}) {
    spec.log_y = log_y;
    const std::string svg = RenderLineChart(spec);
    const Element root = ParseSvg(svg);
    const Box box = PlotArea(root);
    EXPECT_GT(box.x1 - box.x0, 100);
    EXPECT_GT(box.y1 - box.y0, 100);
    size_t n = 0;
    for (const Element* pl : Find(root, "polyline")) {
      for (const Pt& p : Points(*pl)) {
        EXPECT_TRUE(box.Contains(p.x, p.y)) << p.x << "," << p.y;
        ++n;
      }
    }
    for (const Element* c : Find(root, "circle"))
      EXPECT_TRUE(box.Contains(Num(*c, "cx"), Num(*c, "cy")));
    EXPECT_GT(n, 100u);
    ExpectFiniteGeometry(svg, root);
  }
}

TEST(LineChart, NonFinitePointsSplitPolylines) {
  LineChartSpec spec;
  spec.series = {{"s", {0, 1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, kNaN, 3, 4, 5, kInf, 6, -kInf}}};
  const Element root = ParseSvg(RenderLineChart(spec));
  const auto lines = Find(root, "polyline");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(Points(*lines[0]).size(), 2u);
  EXPECT_EQ(Points(*lines[1]).size(), 3u);
  EXPECT_EQ(Find(root, "circle").size(), 1u);  // the isolated point 6 is a dot
  // The gap is real: the first run ends left of where the second begins.
  EXPECT_LT(Points(*lines[0]).back().x, Points(*lines[1]).front().x);

  // A NaN in x also splits; on a log axis y <= 0 does too.
  spec.series = {{"s", {0, 1, kNaN, 3, 4}, {1, 2, 3, 4, 5}}};
  EXPECT_EQ(Find(ParseSvg(RenderLineChart(spec)), "polyline").size(), 2u);
  spec.series = {{"s", {0, 1, 2, 3, 4}, {1, 2, 0, 4, 5}}};
  spec.log_y = true;
  EXPECT_EQ(Find(ParseSvg(RenderLineChart(spec)), "polyline").size(), 2u);
}

TEST(LineChart, LongSeriesAreDownsampledPerPixelColumnKeepingExtremes) {
  constexpr int kN = 100000, kSpike = 54321;
  Series s{"long", {}, {}};
  for (int i = 0; i < kN; ++i) {
    s.x.push_back(i);
    s.y.push_back(i == kSpike ? 100.0 : std::sin(i * 0.01));
  }
  LineChartSpec spec;
  spec.series = {s};
  const std::string svg = RenderLineChart(spec);
  const Element root = ParseSvg(svg);
  const Box box = PlotArea(root);
  const double plot_w = box.x1 - box.x0;
  const auto lines = Find(root, "polyline");
  ASSERT_EQ(lines.size(), 1u);
  const std::vector<Pt> pts = Points(*lines[0]);
  // At most a min and a max per pixel column, and nearly every column is used.
  EXPECT_LE(pts.size(), static_cast<size_t>(2 * (std::ceil(plot_w) + 1)));
  EXPECT_GE(pts.size(), static_cast<size_t>(1.5 * plot_w));
  EXPECT_LT(svg.size(), 60000u);
  // The one-sample spike survives, at the height the grid says 100 is.
  const YMap ymap = GridYMap(root, "tick-y");
  const double spike_y = ymap(100.0);
  double top = 1e9;
  for (const Pt& p : pts) top = std::min(top, p.y);
  EXPECT_NEAR(top, spike_y, 0.02);
  // Points go left to right (x order kept).
  for (size_t i = 1; i < pts.size(); ++i) EXPECT_GE(pts[i].x, pts[i - 1].x);

  // Short series are drawn point for point.
  Series small{"short", {}, {}};
  for (int i = 0; i < 1000; ++i) small.x.push_back(i), small.y.push_back(i % 3);
  spec.series = {small};
  const Element small_root = ParseSvg(RenderLineChart(spec));
  const auto small_lines = Find(small_root, "polyline");
  ASSERT_EQ(small_lines.size(), 1u);
  EXPECT_EQ(Points(*small_lines[0]).size(), 1000u);
}

TEST(LineChart, DataPointsMatchTheAxis) {
  LineChartSpec spec;
  spec.series = {{"s", {0, 5, 10}, {0, 9.7, 4}}};
  const Element root = ParseSvg(RenderLineChart(spec));
  const std::vector<std::string> ticks = Texts(root, "tick-y");
  ASSERT_FALSE(ticks.empty());
  EXPECT_EQ(ticks.front(), "0");
  const YMap ymap = GridYMap(root, "tick-y");
  const auto pts = Points(*Find(root, "polyline").at(0));
  ASSERT_EQ(pts.size(), 3u);
  EXPECT_NEAR(pts[0].y, ymap(0), 0.02);
  EXPECT_NEAR(pts[1].y, ymap(9.7), 0.02);
  EXPECT_NEAR(pts[2].y, ymap(4), 0.02);
  EXPECT_NEAR(pts[1].x, (pts[0].x + pts[2].x) / 2, 0.02);  // x is linear
}

TEST(LineChart, LogAxisUsesDecades) {
  LineChartSpec spec;
  spec.log_y = true;
  spec.series = {{"s", {0, 1, 2, 3}, {1, 10, 100, 1000}}};
  const Element root = ParseSvg(RenderLineChart(spec));
  EXPECT_EQ(Texts(root, "tick-y"), (std::vector<std::string>{"1", "10", "100", "1000"}));
  const auto pts = Points(*Find(root, "polyline").at(0));
  ASSERT_EQ(pts.size(), 4u);
  // Equal ratios are equal distances on a log axis.
  EXPECT_NEAR(pts[0].y - pts[1].y, pts[1].y - pts[2].y, 0.02);
  EXPECT_NEAR(pts[1].y - pts[2].y, pts[2].y - pts[3].y, 0.02);
}

TEST(LineChart, DegenerateInputsGiveValidChartsWithoutNan) {
  const double big = std::numeric_limits<double>::max();
  struct Case {
    const char* what;
    std::vector<Series> series;
    bool log_y;
    bool expect_no_data;
  };
  const std::vector<Case> cases = {
      {"no series", {}, false, true},
      {"empty series", {{"e", {}, {}}}, false, true},
      {"all NaN", {{"n", {kNaN, 1, 2}, {1, kNaN, kInf}}}, false, true},
      {"all <= 0 on log", {{"z", {1, 2}, {0, -1}}}, true, true},
      {"mismatched sizes", {{"m", {1, 2, 3}, {}}}, false, true},
      {"single point", {{"p", {3}, {7}}}, false, false},
      {"constant", {{"c", {1, 2, 3}, {2.5, 2.5, 2.5}}}, false, false},
      {"constant x", {{"c", {4, 4, 4}, {1, 2, 3}}}, false, false},
      {"all zero", {{"z", {0, 0}, {0, 0}}}, false, false},
      {"huge range", {{"h", {-big, big}, {-big, big}}}, false, false},
      {"huge log range", {{"h", {0, 1}, {1e-320, big}}}, true, false},
      {"tiny range", {{"t", {1, 1 + 1e-15}, {1e-300, 2e-300}}}, false, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    LineChartSpec spec;
    spec.series = c.series;
    spec.log_y = c.log_y;
    const std::string svg = RenderLineChart(spec);
    const Element root = ParseSvg(svg);
    ExpectFiniteGeometry(svg, root);
    EXPECT_EQ(Texts(root, "no-data").size(), c.expect_no_data ? 1u : 0u);
    const Box box = PlotArea(root);
    for (const Element* pl : Find(root, "polyline")) {
      for (const Pt& p : Points(*pl)) EXPECT_TRUE(box.Contains(p.x, p.y));
    }
    for (const Element* e : Find(root, "circle"))
      EXPECT_TRUE(box.Contains(Num(*e, "cx"), Num(*e, "cy")));
  }
}

TEST(LineChart, AbsurdSizesAreClamped) {
  LineChartSpec spec;
  spec.series = {{"s", {0, 1}, {0, 1}}};
  for (auto [w, h] : {std::pair{0, 0}, {-5, -5}, {1 << 30, 1 << 30}, {1, 100000}}) {
    spec.width = w, spec.height = h;
    const std::string svg = RenderLineChart(spec);
    const Element root = ParseSvg(svg);
    const double rw = Num(root, "width"), rh = Num(root, "height");
    EXPECT_GE(rw, 240);
    EXPECT_LE(rw, 16000);
    EXPECT_GE(rh, 160);
    EXPECT_LE(rh, 16000);
    ExpectFiniteGeometry(svg, root);
  }
}

TEST(LineChart, ManySeriesCycleColoursWithDashes) {
  LineChartSpec spec;
  for (int i = 0; i < 10; ++i) spec.series.push_back({Numbered("s", i), {0, 1}, {0, double(i)}});
  const Element root = ParseSvg(RenderLineChart(spec));
  const auto lines = Find(root, "polyline");
  ASSERT_EQ(lines.size(), 10u);
  EXPECT_EQ(lines[0]->Attr("stroke"), lines[8]->Attr("stroke"));
  EXPECT_TRUE(lines[0]->Attr("stroke-dasharray").empty());
  EXPECT_FALSE(lines[8]->Attr("stroke-dasharray").empty());
  // The first eight colours are distinct.
  std::vector<std::string> colours;
  for (int i = 0; i < 8; ++i) colours.push_back(lines[i]->Attr("stroke"));
  std::sort(colours.begin(), colours.end());
  EXPECT_EQ(std::unique(colours.begin(), colours.end()), colours.end());
}

TEST(LineChart, HugeLegendIsCappedAndSummarised) {
  LineChartSpec spec;
  for (int i = 0; i < 300; ++i)
    spec.series.push_back({Numbered("run ", i), {0, 1}, {0, double(i)}});
  const Element root = ParseSvg(RenderLineChart(spec));
  const std::vector<std::string> more = Texts(root, "legend-more");
  ASSERT_EQ(more.size(), 1u);
  const size_t shown = Texts(root, "legend-label").size();
  EXPECT_LT(shown, 300u);
  EXPECT_GT(shown, 10u);
  EXPECT_EQ(more[0], "(+" + std::to_string(300 - shown) + " more)");
  // The plot keeps most of the height; every curve is still drawn.
  const Box box = PlotArea(root);
  EXPECT_GT(box.y1 - box.y0, 0.5 * 450);
  EXPECT_EQ(Find(root, "polyline").size(), 300u);
  for (const Element* e : Find(root, "text", "legend-label")) {
    EXPECT_LE(Num(*e, "y"), box.y0);
  }
}

// ---------------------------------------------------------------------------------------------
// Bar charts
// ---------------------------------------------------------------------------------------------

BarChartSpec PremiumSpec() {
  BarChartSpec spec;
  spec.title = "Token premium per language";
  spec.y_label = "premium";
  spec.category_label = "language";
  spec.series_names = {"before", "after"};
  spec.groups = {{"en", {1.0, 1.0}}, {"hi", {4.8, 1.9}}, {"ta", {6.1, 2.3}}, {"ar", {2.9, 1.4}}};
  spec.reference_line = 1.0;
  return spec;
}

TEST(BarChart, BarLengthsAreProportionalToValues) {
  for (bool horizontal : {false, true}) {
    SCOPED_TRACE(horizontal ? "horizontal" : "vertical");
    BarChartSpec spec = PremiumSpec();
    spec.horizontal = horizontal;
    const std::string svg = RenderBarChart(spec);
    const Element root = ParseSvg(svg);
    const auto bars = Find(root, "rect", "bar");
    ASSERT_EQ(bars.size(), 8u);
    std::vector<double> values;
    for (const BarGroup& g : spec.groups)
      values.insert(values.end(), g.values.begin(), g.values.end());
    const char* len_attr = horizontal ? "width" : "height";
    const double unit = Num(*bars[0], len_attr) / values[0];
    EXPECT_GT(unit, 1);
    for (size_t i = 0; i < bars.size(); ++i) {
      EXPECT_NEAR(Num(*bars[i], len_attr), values[i] * unit, 0.02) << i;
      // All bars start at the same baseline.
      if (horizontal) {
        EXPECT_NEAR(Num(*bars[i], "x"), Num(*bars[0], "x"), 0.011);
      } else {
        EXPECT_NEAR(Num(*bars[i], "y") + Num(*bars[i], "height"),
                    Num(*bars[0], "y") + Num(*bars[0], "height"), 0.011);
      }
    }
    // Series alternate colours inside a group; each series keeps its colour.
    EXPECT_NE(bars[0]->Attr("fill"), bars[1]->Attr("fill"));
    EXPECT_EQ(bars[0]->Attr("fill"), bars[2]->Attr("fill"));
    // Bars stay inside the plot area.
    const Box box = PlotArea(root);
    for (const Element* b : bars) {
      EXPECT_TRUE(box.Contains(Num(*b, "x"), Num(*b, "y")));
      EXPECT_TRUE(box.Contains(Num(*b, "x") + Num(*b, "width"), Num(*b, "y") + Num(*b, "height")));
    }
    // Values are printed on the bars with the requested format, the legend names the series.
    EXPECT_EQ(Texts(root, "value"), (std::vector<std::string>{"1.00", "1.00", "4.80", "1.90",
                                                              "6.10", "2.30", "2.90", "1.40"}));
    EXPECT_EQ(Texts(root, "legend-label"), (std::vector<std::string>{"before", "after"}));
    EXPECT_EQ(Texts(root, "group-label"), (std::vector<std::string>{"en", "hi", "ta", "ar"}));
    // The reference line sits where a bar of value 1.0 ends.
    const auto ref = Find(root, "line", "reference");
    ASSERT_EQ(ref.size(), 1u);
    if (horizontal) {
      EXPECT_NEAR(Num(*ref[0], "x1"), Num(*bars[0], "x") + Num(*bars[0], "width"), 0.011);
    } else {
      EXPECT_NEAR(Num(*ref[0], "y1"), Num(*bars[0], "y"), 0.011);
    }
    EXPECT_EQ(Texts(root, "reference-label"), std::vector<std::string>{"1.00"});
    ExpectFiniteGeometry(svg, root);
  }
}

TEST(BarChart, NegativeValuesExtendBelowTheBaseline) {
  BarChartSpec spec;
  spec.series_names = {"delta"};
  spec.groups = {{"a", {2}}, {"b", {-1}}, {"c", {0.5}}};
  const Element root = ParseSvg(RenderBarChart(spec));
  const auto bars = Find(root, "rect", "bar");
  ASSERT_EQ(bars.size(), 3u);
  const double base = Num(*bars[0], "y") + Num(*bars[0], "height");
  EXPECT_NEAR(Num(*bars[1], "y"), base, 0.011);  // the negative bar hangs from the baseline
  EXPECT_NEAR(Num(*bars[1], "height") * 2, Num(*bars[0], "height"), 0.02);
  EXPECT_NEAR(Num(*bars[2], "height") * 4, Num(*bars[0], "height"), 0.02);
  const auto baseline = Find(root, "line", "baseline");
  ASSERT_EQ(baseline.size(), 1u);
  EXPECT_NEAR(Num(*baseline[0], "y1"), base, 0.011);
  const Box box = PlotArea(root);
  for (const Element* b : bars) {
    EXPECT_TRUE(box.Contains(Num(*b, "x"), Num(*b, "y") + Num(*b, "height")));
    EXPECT_TRUE(box.Contains(Num(*b, "x"), Num(*b, "y")));
  }
}

TEST(BarChart, ValueFormatIsAppliedSafely) {
  BarChartSpec spec;
  spec.groups = {{"g", {12.345}}};
  spec.value_format = "%.1f%%";
  EXPECT_EQ(Texts(ParseSvg(RenderBarChart(spec)), "value"), std::vector<std::string>{"12.3%"});
  spec.value_format = "%s%n%d";  // never reaches printf: falls back to %.2f
  EXPECT_EQ(Texts(ParseSvg(RenderBarChart(spec)), "value"), std::vector<std::string>{"12.35"});
  spec.value_format = "<%.0f>";  // literal text is escaped too
  EXPECT_EQ(Texts(ParseSvg(RenderBarChart(spec)), "value"), std::vector<std::string>{"<12>"});
}

TEST(BarChart, MissingValuesDrawNoBar) {
  BarChartSpec spec;
  spec.series_names = {"before", "after"};
  spec.groups = {{"sw", {1.6, kNaN}}, {"yo", {2.0}}, {"zu", {kInf, 3.0}}};
  const std::string svg = RenderBarChart(spec);
  const Element root = ParseSvg(svg);
  EXPECT_EQ(Find(root, "rect", "bar").size(), 3u);
  EXPECT_EQ(Texts(root, "missing").size(), 3u);
  ExpectFiniteGeometry(svg, root);
}

TEST(BarChart, LongLabelsRotateOrTruncateWithoutSplittingClusters) {
  // Vertical: labels wider than their slot are rotated.
  BarChartSpec spec;
  spec.series_names = {"bpc"};
  for (int i = 0; i < 12; ++i) {
    spec.groups.push_back({Numbered("a rather long language name number ", i), {1.0 + i}});
  }
  Element root = ParseSvg(RenderBarChart(spec));
  auto labels = Find(root, "text", "group-label");
  ASSERT_EQ(labels.size(), 12u);
  for (const Element* l : labels)
    EXPECT_NE(l->Attr("transform").find("rotate(-45"), std::string::npos);
  // The first rotated label (about 200 px long, reaching ~140 px to the left) stays on the canvas.
  const double reach = EstimateTextWidth(labels[0]->text, 11.5) * 0.71;
  EXPECT_GT(reach, 100);
  EXPECT_GE(Num(*labels[0], "x") - reach, 0);

  // Horizontal with a very long Devanagari label: truncated at a cluster boundary with an
  // ellipsis, the full label kept as a tooltip.
  std::string hindi;
  for (int i = 0; i < 40; ++i)
    hindi += "\xE0\xA4\xB9\xE0\xA4\xBF\xE0\xA4\xA8\xE0\xA5\x8D\xE0\xA4\xA6\xE0\xA5\x80 ";  // हिन्दी
  spec.horizontal = true;
  spec.groups = {{hindi, {1.0}}, {"en", {2.0}}};
  root = ParseSvg(RenderBarChart(spec));
  labels = Find(root, "text", "group-label");
  ASSERT_EQ(labels.size(), 2u);
  const std::string shown = labels[0]->text;
  const std::string ellipsis = "\xE2\x80\xA6";
  ASSERT_GT(shown.size(), ellipsis.size());
  EXPECT_EQ(shown.substr(shown.size() - ellipsis.size()), ellipsis);
  const std::string kept = shown.substr(0, shown.size() - ellipsis.size());
  EXPECT_EQ(hindi.compare(0, kept.size(), kept), 0) << "not a prefix";
  EXPECT_LT(kept.size(), hindi.size());
  // Not cut after a virama (U+094D) nor before a vowel sign (U+093E..U+094C) or virama.
  EXPECT_NE(kept.substr(kept.size() - 3), "\xE0\xA5\x8D");
  const std::string next = hindi.substr(kept.size(), 3);
  EXPECT_NE(next, "\xE0\xA5\x8D");
  EXPECT_NE(next, "\xE0\xA4\xBF");
  EXPECT_NE(next, "\xE0\xA5\x80");
  ASSERT_EQ(labels[0]->children.size(), 1u);
  EXPECT_EQ(labels[0]->children[0].name, "title");
  EXPECT_EQ(labels[0]->children[0].text, hindi);
  // The label column does not take more than ~40% of the width.
  EXPECT_LT(PlotArea(root).x0, 0.45 * Num(root, "width"));
}

TEST(BarChart, DegenerateInputsGiveValidChartsWithoutNan) {
  const double big = std::numeric_limits<double>::max();
  struct Case {
    const char* what;
    std::vector<BarGroup> groups;
    double ref;
    bool expect_no_data;
  };
  const std::vector<Case> cases = {
      {"no groups", {}, kNaN, true},
      {"groups without values", {{"a", {}}, {"b", {}}}, kNaN, true},
      {"all NaN", {{"a", {kNaN, kInf}}, {"b", {-kInf}}}, 1.0, true},
      {"single zero", {{"a", {0}}}, kNaN, false},
      {"single value", {{"a", {3}}}, kInf, false},
      {"huge", {{"a", {big}}, {"b", {-big}}}, big, false},
      {"tiny", {{"a", {1e-300}}, {"b", {2e-300}}}, kNaN, false},
      {"many groups", std::vector<BarGroup>(3000, BarGroup{"g", {1, 2, 3}}), 2, false},
  };
  for (bool horizontal : {false, true}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(std::string(c.what) + (horizontal ? " horizontal" : " vertical"));
      BarChartSpec spec;
      spec.groups = c.groups;
      spec.reference_line = c.ref;
      spec.horizontal = horizontal;
      const std::string svg = RenderBarChart(spec);
      const Element root = ParseSvg(svg);
      ExpectFiniteGeometry(svg, root);
      EXPECT_EQ(Texts(root, "no-data").size(), c.expect_no_data ? 1u : 0u);
      const Box box = PlotArea(root);
      for (const Element* b : Find(root, "rect", "bar")) {
        EXPECT_TRUE(box.Contains(Num(*b, "x"), Num(*b, "y")));
        EXPECT_TRUE(
            box.Contains(Num(*b, "x") + Num(*b, "width"), Num(*b, "y") + Num(*b, "height")));
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Text: UTF-8, scripts, escaping
// ---------------------------------------------------------------------------------------------

TEST(ChartText, Utf8LabelsArePreservedByteForByte) {
  const std::vector<std::string> labels = {
      "\xE0\xA4\xB9\xE0\xA4\xBF\xE0\xA4\xA8\xE0\xA5\x8D\xE0\xA4\xA6\xE0\xA5\x80",  // हिन्दी
      "\xE0\xAE\xA4\xE0\xAE\xAE\xE0\xAE\xBF\xE0\xAE\xB4\xE0\xAF\x8D",  // தமிழ்
      "\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9",      // العربية
      "\xE4\xB8\xAD\xE6\x96\x87",                                      // 中文
      "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD",                              // thumbs up + tone
  };
  BarChartSpec spec;
  spec.series_names = {labels[0], labels[2]};
  for (const std::string& l : labels) spec.groups.push_back({l, {1, 2}});
  spec.title = labels[1] + " & " + labels[2];
  const std::string svg = RenderBarChart(spec);
  const Element root = ParseSvg(svg);
  for (const std::string& l : labels) EXPECT_NE(svg.find(l), std::string::npos) << l;
  EXPECT_NE(svg.find(labels[1] + " &amp; " + labels[2]), std::string::npos);
  EXPECT_EQ(Texts(root, "group-label"), labels);
  EXPECT_EQ(Texts(root, "title"), std::vector<std::string>{spec.title});

  // Right-to-left labels get direction="rtl"; others do not.
  for (const Element* e : Find(root, "text", "group-label")) {
    const bool arabic = e->text == labels[2];
    EXPECT_EQ(e->Attr("direction"), arabic ? "rtl" : "") << e->text;
  }
  for (const Element* e : Find(root, "text", "legend-label")) {
    EXPECT_EQ(e->Attr("direction"), e->text == labels[2] ? "rtl" : "");
  }
}

TEST(ChartText, InvalidUtf8AndControlCharactersAreRepaired) {
  LineChartSpec spec;
  spec.title = std::string("bad\xFF\xFE bytes \xC3 and \x01\x1F controls \xED\xA0\x80 end\n", 38);
  spec.series = {{std::string("nul\0name", 8), {0, 1}, {0, 1}}, {"\xEF\xBF\xBF", {0, 1}, {1, 0}}};
  const std::string svg = RenderLineChart(spec);
  const Element root = ParseSvg(svg);  // includes the UTF-8 and control-character checks
  EXPECT_NE(svg.find("bad\xEF\xBF\xBD\xEF\xBF\xBD bytes"), std::string::npos);
  EXPECT_NE(svg.find("nul name"), std::string::npos);
}

TEST(ChartText, XmlEscape) {
  EXPECT_EQ(XmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(XmlEscape("&amp;"), "&amp;amp;");
  EXPECT_EQ(XmlEscape("\xE0\xAE\xA4"), "\xE0\xAE\xA4");
  EXPECT_EQ(XmlEscape("x\ty\nz"), "x y z");
  EXPECT_EQ(XmlEscape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(XmlEscape("\xF4\x90\x80\x80"), std::string("\xEF\xBF\xBD", 3) + "\xEF\xBF\xBD" +
                                               "\xEF\xBF\xBD" + "\xEF\xBF\xBD");  // > U+10FFFF
}

TEST(ChartText, Direction) {
  EXPECT_TRUE(IsRtl("\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9 (ar)"));
  EXPECT_TRUE(IsRtl("12 \xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D"));  // Hebrew after neutral digits
  EXPECT_FALSE(IsRtl("ar: \xD8\xA7\xD9\x84\xD8\xB9"));        // first strong is Latin
  EXPECT_FALSE(IsRtl("\xE0\xA4\xB9\xE0\xA4\xBF"));            // Devanagari is LTR
  EXPECT_FALSE(IsRtl("123"));
}

// ---------------------------------------------------------------------------------------------
// Determinism and files
// ---------------------------------------------------------------------------------------------

TEST(Charts, OutputIsDeterministic) {
  LineChartSpec line;
  line.title = "loss";
  for (int s = 0; s < 3; ++s) {
    Series ser{Numbered("s", s), {}, {}};
    for (int i = 0; i < 6000; ++i)
      ser.x.push_back(i), ser.y.push_back(std::cos(i * 0.003 * (s + 1)) + s);
    line.series.push_back(ser);
  }
  const BarChartSpec bar = PremiumSpec();
  const std::string l1 = RenderLineChart(line), b1 = RenderBarChart(bar);
  std::string l2, b2;
  std::thread t([&] { l2 = RenderLineChart(line), b2 = RenderBarChart(bar); });
  t.join();
  EXPECT_EQ(l1, l2);
  EXPECT_EQ(b1, b2);
  EXPECT_EQ(l1, RenderLineChart(line));
}

TEST(Charts, WriteTextFileAtomic) {
  const std::string dir = ::testing::TempDir() + "/sangam_report_write";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/chart.svg";
  const std::string svg = RenderBarChart(PremiumSpec());
  ASSERT_TRUE(WriteTextFileAtomic(path, svg).ok());
  auto back = ReadFileToString(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, svg);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  const std::string missing = dir + "/no/such/dir/chart.svg";
  const Status st = WriteTextFileAtomic(missing, svg);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find(missing), std::string::npos) << st.ToString();
  EXPECT_EQ(WriteTextFileAtomic("", svg).code(), StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

// Writes one example of each chart next to the built binary for a look in a browser.
TEST(Charts, WritesExamplesToBuildDir) {
  const std::string build_dir = std::filesystem::path(SANGAM_BINARY).parent_path().string();
  if (!std::filesystem::is_directory(build_dir)) GTEST_SKIP() << "no build dir " << build_dir;
  LineChartSpec line;
  line.title = "Training loss (example)";
  line.x_label = "step";
  line.y_label = "loss";
  Series train{"train", {}, {}}, val{"validation", {}, {}};
  for (int i = 0; i <= 20000; ++i) {
    train.x.push_back(i);
    train.y.push_back(1.2 + 3.5 * std::exp(-i / 3000.0) +
                      0.15 * std::sin(i * 0.7) * std::exp(-i / 9000.0));
  }
  for (int i = 0; i <= 20000; i += 1000)
    val.x.push_back(i), val.y.push_back(1.35 + 3.4 * std::exp(-i / 3100.0));
  val.y[7] = kNaN;  // a missing evaluation leaves a gap
  line.series = {train, val};
  BarChartSpec bar = PremiumSpec();
  bar.groups.push_back(
      {"\xE0\xA4\xB9\xE0\xA4\xBF\xE0\xA4\xA8\xE0\xA5\x8D\xE0\xA4\xA6\xE0\xA5\x80 (Hindi)",
       {4.8, 1.9}});
  bar.groups.push_back(
      {"\xD8\xA7\xD9\x84\xD8\xB9\xD8\xB1\xD8\xA8\xD9\x8A\xD8\xA9 (Arabic)", {2.9, kNaN}});
  bar.reference_label = "parity";
  for (const auto& [name, svg] : {std::pair{"report_example_line.svg", RenderLineChart(line)},
                                  {"report_example_bar.svg", RenderBarChart(bar)},
                                  {"report_example_bar_horizontal.svg", RenderBarChart([&] {
                                     auto b = bar;
                                     b.horizontal = true;
                                     return b;
                                   }())}}) {
    ParseSvg(svg);
    const std::string path = build_dir + "/" + name;
    ASSERT_TRUE(WriteTextFileAtomic(path, svg).ok()) << path;
  }
}

}  // namespace
}  // namespace sangam::report
