// Chart building blocks: nice/log axis ticks, number formatting, text width and truncation.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "sangam/chart.h"

namespace sangam::report {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<double> V(std::initializer_list<double> v) { return v; }

void ExpectTicks(const AxisTicks& t, const std::vector<double>& values,
                 const std::vector<std::string>& labels) {
  ASSERT_EQ(t.values.size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_NEAR(t.values[i], values[i], std::fabs(values[i]) * 1e-12 + 1e-300) << i;
  }
  EXPECT_EQ(t.labels, labels);
  EXPECT_EQ(t.lo, t.values.front());
  EXPECT_EQ(t.hi, t.values.back());
}

TEST(NiceTicks, KnownRanges) {
  ExpectTicks(NiceTicks(0, 9.7, 5), V({0, 2, 4, 6, 8, 10}), {"0", "2", "4", "6", "8", "10"});
  ExpectTicks(NiceTicks(9.7, 0, 5), V({0, 2, 4, 6, 8, 10}), {"0", "2", "4", "6", "8", "10"});
  ExpectTicks(NiceTicks(0, 1, 5), V({0, 0.2, 0.4, 0.6, 0.8, 1.0}),
              {"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"});
  ExpectTicks(NiceTicks(-3.2, 7.1, 5), V({-5, 0, 5, 10}), {"-5", "0", "5", "10"});
  ExpectTicks(NiceTicks(0.3, 0.7, 4), V({0.3, 0.4, 0.5, 0.6, 0.7}),
              {"0.3", "0.4", "0.5", "0.6", "0.7"});
  ExpectTicks(NiceTicks(1, 99, 10), V({0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100}),
              {"0", "10", "20", "30", "40", "50", "60", "70", "80", "90", "100"});
  ExpectTicks(NiceTicks(2.03, 2.07, 4), V({2.03, 2.04, 2.05, 2.06, 2.07}),
              {"2.03", "2.04", "2.05", "2.06", "2.07"});
  // Large and tiny magnitudes switch to exact scientific labels.
  ExpectTicks(NiceTicks(1e6, 5e7, 5), V({0, 1e7, 2e7, 3e7, 4e7, 5e7}),
              {"0", "1e7", "2e7", "3e7", "4e7", "5e7"});
  ExpectTicks(NiceTicks(1e-7, 3e-7, 4), V({1e-7, 1.5e-7, 2e-7, 2.5e-7, 3e-7}),
              {"1e-7", "1.5e-7", "2e-7", "2.5e-7", "3e-7"});
}

TEST(NiceTicks, DegenerateRangesAreWidened) {
  for (auto [lo, hi] : {std::pair{2.5, 2.5},
                        {0.0, 0.0},
                        {kNaN, kNaN},
                        {kNaN, 3.0},
                        {-kInf, kInf},
                        {1e300, 1e300},
                        {-1.7e308, 1.7e308},
                        {5e-324, 5e-324},
                        {1.0, 1.0 + 1e-15}}) {
    SCOPED_TRACE(std::to_string(lo) + " " + std::to_string(hi));
    const AxisTicks t = NiceTicks(lo, hi, 5);
    ASSERT_GE(t.values.size(), 2u);
    EXPECT_LE(t.values.size(), 12u);
    EXPECT_TRUE(std::isfinite(t.lo) && std::isfinite(t.hi));
    EXPECT_LT(t.lo, t.hi);
    for (size_t i = 1; i < t.values.size(); ++i) EXPECT_LT(t.values[i - 1], t.values[i]);
    for (const std::string& l : t.labels) {
      EXPECT_EQ(l.find("nan"), std::string::npos);
      EXPECT_EQ(l.find("inf"), std::string::npos);
    }
    if (std::isfinite(lo)) {
      EXPECT_LE(t.lo, std::max(lo, -1e300));
    }
    if (std::isfinite(hi)) {
      EXPECT_GE(t.hi, std::min(hi, 1e300));
    }
  }
  // A constant is centred in its axis.
  const AxisTicks c = NiceTicks(2.5, 2.5, 5);
  EXPECT_NEAR((c.lo + c.hi) / 2, 2.5, 1e-9);
}

// Property check over random ranges: steps are 1, 2 or 5 times a power of ten, ticks cover the
// range, there are not too many, and labels read back as the tick values.
TEST(NiceTicks, RandomRangesHaveNiceSteps) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> exp10(-8, 9), unit(-1, 1);
  for (int iter = 0; iter < 3000; ++iter) {
    const double scale = std::pow(10.0, exp10(rng));
    const double a = unit(rng) * scale, b = unit(rng) * scale;
    const int max_ticks = 2 + iter % 9;
    const AxisTicks t = NiceTicks(a, b, max_ticks);
    SCOPED_TRACE(std::to_string(a) + " " + std::to_string(b) + " max " + std::to_string(max_ticks));
    ASSERT_GE(t.values.size(), 2u);
    EXPECT_LE(t.values.size(), static_cast<size_t>(max_ticks) + 3);
    EXPECT_LE(t.lo, std::min(a, b));
    EXPECT_GE(t.hi, std::max(a, b));
    const double step = t.values[1] - t.values[0];
    const double p = std::pow(10.0, std::floor(std::log10(step) + 1e-9));
    const double m = step / p;
    EXPECT_TRUE(std::fabs(m - 1) < 1e-6 || std::fabs(m - 2) < 1e-6 || std::fabs(m - 5) < 1e-6) << m;
    for (size_t i = 0; i < t.values.size(); ++i) {
      EXPECT_NEAR(t.values[i] - t.values[0], i * step, step * 1e-6);
      EXPECT_NEAR(std::strtod(t.labels[i].c_str(), nullptr), t.values[i], step * 1e-6)
          << t.labels[i];
    }
  }
}

TEST(LogTicks, Decades) {
  ExpectTicks(LogTicks(1, 1000), V({1, 10, 100, 1000}), {"1", "10", "100", "1000"});
  ExpectTicks(LogTicks(3, 7000), V({1, 10, 100, 1000, 10000}), {"1", "10", "100", "1000", "10000"});
  ExpectTicks(LogTicks(0.5, 20), V({0.5, 1, 2, 5, 10, 20}), {"0.5", "1", "2", "5", "10", "20"});
  ExpectTicks(LogTicks(2.1, 3.5), V({2, 3, 4}), {"2", "3", "4"});
  ExpectTicks(LogTicks(1e-9, 1e-3), V({1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3}),
              {"1e-9", "1e-8", "1e-7", "1e-6", "1e-5", "0.0001", "0.001"});
  // Very wide ranges keep every n-th decade.
  const AxisTicks wide = LogTicks(1e-100, 1e100);
  EXPECT_LE(wide.values.size(), 10u);
  EXPECT_LE(wide.lo, 1e-100);
  EXPECT_GE(wide.hi, 1e100);
  for (auto [lo, hi] :
       {std::pair{0.0, 0.0}, {-1.0, 5.0}, {kNaN, kInf}, {1e-320, 1e308}, {7.0, 7.0}}) {
    const AxisTicks t = LogTicks(lo, hi);
    ASSERT_GE(t.values.size(), 2u);
    EXPECT_GT(t.lo, 0);
    EXPECT_LT(t.lo, t.hi);
    EXPECT_TRUE(std::isfinite(t.hi));
  }
}

TEST(Format, FixedIsLocaleFreeAndNeverNan) {
  EXPECT_EQ(FormatFixed(1.5, 2), "1.50");
  EXPECT_EQ(FormatFixed(-0.001, 2), "0.00");
  EXPECT_EQ(FormatFixed(2.675, 0), "3");
  EXPECT_EQ(FormatFixed(kNaN, 2), "0");
  EXPECT_EQ(FormatFixed(-kInf, 2), "0");
  EXPECT_EQ(FormatFixed(1e300, 1).size(), 303u);
  EXPECT_EQ(Coord(12.345678), "12.35");
}

TEST(Format, ValuePatterns) {
  EXPECT_EQ(FormatValue(1.234, "%.2f"), "1.23");
  EXPECT_EQ(FormatValue(12.34, "%.1f%%"), "12.3%");
  EXPECT_EQ(FormatValue(1.5, "x%.0fx"), "x2x");
  EXPECT_EQ(FormatValue(1234.5, "%.3e"), "1.234e+03");  // to_chars rounds half to even like printf
  EXPECT_EQ(FormatValue(0.000123, "%g"), "0.000123");
  EXPECT_EQ(FormatValue(3, "%+.1f"), "+3.0");
  EXPECT_EQ(FormatValue(-3, "%+.1f"), "-3.0");
  EXPECT_EQ(FormatValue(2, "%f"), "2.000000");
  EXPECT_EQ(FormatValue(kNaN, "%.2f"), "n/a");
  // Anything but a single float conversion falls back to %.2f.
  for (const char* bad :
       {"%s", "%d", "%.2f %.2f", "%n", "%.99f", "%5.2f", "", "no conversion", "%"}) {
    EXPECT_EQ(FormatValue(1.0, bad), "1.00") << bad;
  }
}

TEST(Text, WidthAndTruncation) {
  EXPECT_EQ(EstimateTextWidth("", 12), 0);
  EXPECT_GT(EstimateTextWidth("WWW", 12), EstimateTextWidth("iii", 12));
  EXPECT_GT(EstimateTextWidth("\xE4\xB8\xAD\xE6\x96\x87", 12),
            EstimateTextWidth("ab", 12));  // 中文
  // Combining marks add no width.
  EXPECT_EQ(EstimateTextWidth("e\xCC\x81", 12), EstimateTextWidth("e", 12));

  EXPECT_EQ(TruncateToWidth("short", 12, 500), "short");
  const std::string t = TruncateToWidth("abcdefghijklmnopqrstuvwxyz", 10, 60);
  EXPECT_EQ(t.substr(t.size() - 3), "\xE2\x80\xA6");
  EXPECT_LE(EstimateTextWidth(t, 10), 60);
  EXPECT_EQ(std::string("abcdefghijklmnopqrstuvwxyz").find(t.substr(0, t.size() - 3)), 0u);
  // Never separates a base letter from its combining accent.
  std::string accents;
  for (int i = 0; i < 7; ++i) accents += "e\xCC\x81";
  for (double w = 5; w < 60; w += 1) {
    const std::string cut = TruncateToWidth(accents, 10, w);
    const std::string body = cut.substr(0, cut.size() - 3);
    EXPECT_TRUE(body.empty() || body.substr(body.size() - 2) == "\xCC\x81") << w;
  }
  // Tamil: "க்ஷ" style virama clusters are not cut after the virama (U+0BCD).
  std::string tamil;
  for (int i = 0; i < 20; ++i) tamil += "\xE0\xAE\x95\xE0\xAF\x8D\xE0\xAE\xB7";
  for (double w = 5; w < 150; w += 3) {
    const std::string cut = TruncateToWidth(tamil, 10, w);
    const std::string body = cut.substr(0, cut.size() - 3);
    EXPECT_TRUE(body.size() < 3 || body.substr(body.size() - 3) != "\xE0\xAF\x8D") << w;
  }
}

TEST(Palette, OkabeItoColoursCycle) {
  EXPECT_STREQ(SeriesColor(0), "#0072B2");
  EXPECT_STREQ(SeriesColor(1), "#D55E00");
  EXPECT_STREQ(SeriesColor(8), SeriesColor(0));
}

}  // namespace
}  // namespace sangam::report
