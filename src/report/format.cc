// Locale-independent number formatting for charts (std::to_chars, never printf).
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>

#include "sangam/chart.h"

namespace sangam::report {
namespace {

// "-0.00" / "-0e+00" -> drop the sign when no digit is non-zero.
void DropNegativeZero(std::string* s) {
  if (s->empty() || (*s)[0] != '-') return;
  for (char c : *s) {
    if (c == 'e' || c == 'E') break;
    if (c >= '1' && c <= '9') return;
  }
  s->erase(0, 1);
}

std::string ToChars(double v, std::chars_format fmt, int precision) {
  char buf[400];  // fixed notation of the largest double needs 309 digits + 17 decimals
  const auto r = std::to_chars(buf, buf + sizeof(buf), v, fmt, precision);
  if (r.ec != std::errc()) return "0";
  std::string s(buf, r.ptr);
  DropNegativeZero(&s);
  return s;
}

struct ParsedFormat {
  std::string prefix, suffix;
  bool plus = false;
  int precision = 6;
  char conv = 'f';
};

// Literal text with "%%" -> "%"; false on any other '%'.
bool ParseLiteral(std::string_view s, std::string* out) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 1 >= s.size() || s[i + 1] != '%') return false;
      ++i;
    }
    out->push_back(s[i]);
  }
  return true;
}

bool ParseFormat(std::string_view f, ParsedFormat* p) {
  size_t pct = std::string_view::npos;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%') continue;
    if (i + 1 < f.size() && f[i + 1] == '%') {
      ++i;
      continue;
    }
    pct = i;
    break;
  }
  if (pct == std::string_view::npos) return false;
  if (!ParseLiteral(f.substr(0, pct), &p->prefix)) return false;
  size_t i = pct + 1;
  if (i < f.size() && f[i] == '+') p->plus = true, ++i;
  if (i < f.size() && f[i] == '.') {
    ++i;
    int prec = 0, digits = 0;
    while (i < f.size() && f[i] >= '0' && f[i] <= '9' && digits < 3) {
      prec = prec * 10 + (f[i] - '0');
      ++i, ++digits;
    }
    if (prec > 17) return false;
    p->precision = prec;
  }
  if (i >= f.size() || (f[i] != 'f' && f[i] != 'e' && f[i] != 'g')) return false;
  p->conv = f[i];
  return ParseLiteral(f.substr(i + 1), &p->suffix);
}

}  // namespace

std::string FormatFixed(double value, int decimals) {
  if (!std::isfinite(value)) return "0";
  if (decimals < 0) decimals = 0;
  if (decimals > 17) decimals = 17;
  return ToChars(value, std::chars_format::fixed, decimals);
}

std::string Coord(double v) { return FormatFixed(v, 2); }

std::string FormatValue(double value, std::string_view pattern) {
  ParsedFormat p;
  if (!ParseFormat(pattern, &p)) {
    p = ParsedFormat();
    p.precision = 2;
  }
  if (!std::isfinite(value)) return p.prefix + "n/a" + p.suffix;
  std::string num;
  switch (p.conv) {
    case 'e':
      num = ToChars(value, std::chars_format::scientific, p.precision);
      break;
    case 'g':
      num = ToChars(value, std::chars_format::general, p.precision == 0 ? 1 : p.precision);
      break;
    default:
      num = ToChars(value, std::chars_format::fixed, p.precision);
      break;
  }
  if (p.plus && num[0] != '-') num.insert(num.begin(), '+');
  return p.prefix + num + p.suffix;
}

}  // namespace sangam::report
