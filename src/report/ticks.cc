// Axis tick selection: 1-2-5 linear steps and log10 decades, with exact labels.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sangam/chart.h"

namespace sangam::report {
namespace {

constexpr double kMaxMagnitude = 1e300;

double Clamp(double v) { return std::clamp(v, -kMaxMagnitude, kMaxMagnitude); }

// Label for n * 10^k, printed exactly from the integer (no floating-point noise). Scientific form
// "2.5e6" when requested, plain "0.025" / "2500" otherwise.
std::string ScaledLabel(int64_t n, int k, bool scientific) {
  if (n == 0) return scientific || k >= 0 ? "0" : "0." + std::string(static_cast<size_t>(-k), '0');
  // Built with append() only: gcc 12 warns falsely (-Wrestrict) on chains of operator+.
  std::string out;
  if (n < 0) out.push_back('-');
  std::string digits = std::to_string(n < 0 ? -n : n);
  if (scientific) {
    // Strip trailing zeros into the exponent.
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back(), ++k;
    const int e = k + static_cast<int>(digits.size()) - 1;
    out.push_back(digits[0]);
    if (digits.size() > 1) out.push_back('.'), out.append(digits, 1);
    out.push_back('e');
    out.append(std::to_string(e));
    return out;
  }
  if (k >= 0) {
    out.append(digits);
    out.append(static_cast<size_t>(k), '0');
    return out;
  }
  const size_t frac = static_cast<size_t>(-k);
  if (digits.size() <= frac) digits.insert(0, frac - digits.size() + 1, '0');
  out.append(digits, 0, digits.size() - frac);
  out.push_back('.');
  out.append(digits, digits.size() - frac);
  return out;
}

}  // namespace

AxisTicks NiceTicks(double lo, double hi, int max_ticks) {
  max_ticks = std::clamp(max_ticks, 1, 50);
  if (!std::isfinite(lo) && !std::isfinite(hi)) lo = 0, hi = 1;
  if (!std::isfinite(lo)) lo = hi;
  if (!std::isfinite(hi)) hi = lo;
  lo = Clamp(lo), hi = Clamp(hi);
  if (lo > hi) std::swap(lo, hi);
  const double mag = std::max(std::fabs(lo), std::fabs(hi));
  // Below ~1e-290 the step would be subnormal; such a range is treated as a single value.
  if (hi - lo < 1e-290 || hi - lo <= mag * 1e-12) {
    const double c = lo / 2 + hi / 2;
    const double d = std::fabs(c) >= 1e-280 ? std::fabs(c) * 0.1 : 1.0;
    lo = c - d, hi = c + d;
  }
  const double raw = (hi - lo) / max_ticks;
  int k = static_cast<int>(std::floor(std::log10(raw)));
  const double f = raw / std::pow(10.0, k);
  int m = f <= 1.0 + 1e-9 ? 1 : f <= 2.0 + 1e-9 ? 2 : f <= 5.0 + 1e-9 ? 5 : 10;
  if (m == 10) m = 1, ++k;
  const double step = m * std::pow(10.0, k);
  const double first = std::floor(lo / step + 1e-9);
  const double last = std::max(first + 1, std::ceil(hi / step - 1e-9));
  const int n = static_cast<int>(std::min(last - first, 100.0));

  AxisTicks t;
  const double maxabs = std::max(std::fabs(first), std::fabs(first + n)) * step;
  const bool scientific = maxabs >= 1e6 || step < 1e-4;
  for (int i = 0; i <= n; ++i) {
    const double idx = first + i;
    double v = idx * step;
    if (std::fabs(v) < step * 1e-9) v = 0;
    t.values.push_back(v);
    t.labels.push_back(ScaledLabel(static_cast<int64_t>(idx) * m, k, scientific));
  }
  t.lo = t.values.front();
  t.hi = t.values.back();
  return t;
}

AxisTicks LogTicks(double lo, double hi) {
  const bool lo_ok = std::isfinite(lo) && lo > 0, hi_ok = std::isfinite(hi) && hi > 0;
  if (!lo_ok && !hi_ok) lo = 1, hi = 10;
  if (!lo_ok) lo = hi;
  if (!hi_ok) hi = lo;
  if (lo > hi) std::swap(lo, hi);
  lo = std::clamp(lo, 1e-300, 1e300);
  hi = std::clamp(hi, 1e-300, 1e300);
  const double span = std::log10(hi) - std::log10(lo);

  // Candidate mantissas per decade: finer for short ranges.
  std::vector<int> mants;
  int stride = 1;
  if (span <= 1.0) {
    mants = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  } else if (span <= 2.5) {
    mants = {1, 2, 5};
  } else {
    mants = {1};
    stride = static_cast<int>(std::ceil(span / 8.0));
  }
  const int d0 = static_cast<int>(std::floor(std::log10(lo) + 1e-12));
  const int d1 = static_cast<int>(std::ceil(std::log10(hi) - 1e-12));
  struct Cand {
    double v;
    int m, d;
  };
  std::vector<Cand> cands;
  for (int d = d0; d <= d1 + stride; d += stride) {
    for (int m : mants) cands.push_back({m * std::pow(10.0, d), m, d});
  }
  // Domain: the last candidate <= lo to the first candidate >= hi.
  size_t a = 0, b = cands.size() - 1;
  for (size_t i = 0; i < cands.size(); ++i) {
    if (cands[i].v <= lo * (1 + 1e-12)) a = i;
  }
  for (size_t i = cands.size(); i-- > 0;) {
    if (cands[i].v >= hi * (1 - 1e-12)) b = i;
  }
  if (b <= a) b = std::min(a + 1, cands.size() - 1);
  AxisTicks t;
  for (size_t i = a; i <= b; ++i) {
    const Cand& c = cands[i];
    t.values.push_back(c.v);
    t.labels.push_back(ScaledLabel(c.m, c.d, c.d < -4 || c.d > 5));
  }
  t.lo = t.values.front();
  t.hi = t.values.back();
  return t;
}

}  // namespace sangam::report
