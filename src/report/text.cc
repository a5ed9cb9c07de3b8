// Text handling for SVG charts: XML escaping, UTF-8 repair, bidi direction, width estimates.
#include <cstdint>
#include <string>
#include <string_view>

#include "sangam/chart.h"

namespace sangam::report {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes one code point at s[i]. Returns its length in bytes (>= 1); an invalid, overlong,
// surrogate or out-of-range sequence yields kReplacement with length 1.
size_t DecodeUtf8(std::string_view s, size_t i, char32_t* cp) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  size_t len;
  char32_t v;
  char32_t min;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, v = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, v = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, v = b0 & 0x07, min = 0x10000;
  } else {
    *cp = kReplacement;
    return 1;
  }
  if (i + len > s.size()) {
    *cp = kReplacement;
    return 1;
  }
  for (size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      *cp = kReplacement;
      return 1;
    }
    v = (v << 6) | (b & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
    *cp = kReplacement;
    return 1;
  }
  *cp = v;
  return len;
}

bool IsStrongRtl(char32_t c) {
  if (c >= 0x0660 && c <= 0x0669) return false;  // Arabic-Indic digits are weak (AN)
  if (c >= 0x06F0 && c <= 0x06F9) return false;  // Extended Arabic-Indic digits (EN)
  if (c >= 0x064B && c <= 0x065F) return false;  // Arabic combining marks (NSM)
  return (c >= 0x0590 && c <= 0x08FF) || (c >= 0xFB1D && c <= 0xFDFF) ||
         (c >= 0xFE70 && c <= 0xFEFF) || (c >= 0x10800 && c <= 0x10FFF) ||
         (c >= 0x1E800 && c <= 0x1EFFF);
}

// Characters that carry no direction of their own (digits, punctuation, symbols, marks, spaces).
bool IsNeutral(char32_t c) {
  if (c < 0x80) return !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
  if (c < 0xC0 || c == 0xD7 || c == 0xF7) return true;
  if (c >= 0x0300 && c <= 0x036F) return true;
  if (c >= 0x2000 && c <= 0x2BFF) return true;  // punctuation, arrows, maths, shapes
  if (c >= 0x3000 && c <= 0x303F) return true;  // CJK punctuation
  if (c >= 0xFE00 && c <= 0xFE0F) return true;
  if (c >= 0xFF00 && c <= 0xFF20) return true;
  if (c >= 0x1F000 && c <= 0x1FAFF) return true;  // emoji and symbols
  return false;
}

// Approximate Grapheme_Extend: combining marks that must stay with the preceding character.
bool IsMark(char32_t c) {
  if (c < 0x0300) return false;
  if (c <= 0x036F) return true;
  if (c >= 0x0483 && c <= 0x0489) return true;
  if ((c >= 0x0591 && c <= 0x05BD) || c == 0x05BF || c == 0x05C1 || c == 0x05C2 || c == 0x05C4 ||
      c == 0x05C5 || c == 0x05C7)
    return true;
  if ((c >= 0x0610 && c <= 0x061A) || (c >= 0x064B && c <= 0x065F) || c == 0x0670 ||
      (c >= 0x06D6 && c <= 0x06DC) || (c >= 0x06DF && c <= 0x06E4) || c == 0x06E7 || c == 0x06E8 ||
      (c >= 0x06EA && c <= 0x06ED) || c == 0x0711 || (c >= 0x0730 && c <= 0x074A))
    return true;
  if (c >= 0x0900 && c <= 0x0DFF) {  // Indic blocks share a layout: signs at fixed offsets
    const unsigned o = c & 0x7F;
    return o <= 0x03 || (o >= 0x3A && o <= 0x4F && o != 0x3D) || (o >= 0x51 && o <= 0x57) ||
           o == 0x62 || o == 0x63;
  }
  if (c == 0x0E31 || (c >= 0x0E34 && c <= 0x0E3A) || (c >= 0x0E47 && c <= 0x0E4E)) return true;
  if (c == 0x0EB1 || (c >= 0x0EB4 && c <= 0x0EBC) || (c >= 0x0EC8 && c <= 0x0ECD)) return true;
  if ((c >= 0x102B && c <= 0x103E) || (c >= 0x1056 && c <= 0x1059)) return true;
  if (c >= 0x17B4 && c <= 0x17D3) return true;
  if ((c >= 0x1AB0 && c <= 0x1AFF) || (c >= 0x1DC0 && c <= 0x1DFF)) return true;
  if (c == 0x200C || c == 0x200D) return true;  // ZWNJ, ZWJ
  if (c >= 0x20D0 && c <= 0x20FF) return true;
  if ((c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xFE20 && c <= 0xFE2F)) return true;
  if (c >= 0x1F3FB && c <= 0x1F3FF) return true;  // skin tone modifiers
  if ((c >= 0xE0020 && c <= 0xE007F) || (c >= 0xE0100 && c <= 0xE01EF)) return true;
  return false;
}

// A cut after c would split a cluster: Indic virama (joins the next consonant) or ZWJ.
bool JoinsNext(char32_t c) {
  if (c == 0x200D) return true;
  return c >= 0x0900 && c <= 0x0DFF && (c & 0x7F) == 0x4D;
}

bool IsWide(char32_t c) {
  return (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF) ||
         (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
         (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
         (c >= 0x1F300 && c <= 0x1FAFF) || (c >= 0x20000 && c <= 0x3FFFD);
}

// Width of one code point in em.
double CharEm(char32_t c) {
  if (c < 0x80) {
    if (c == ' ' || c == 'i' || c == 'l' || c == 'j' || c == 't' || c == 'f' || c == '.' ||
        c == ',' || c == '\'' || c == '|' || c == '!' || c == ':' || c == ';' || c == 'I')
      return 0.3;
    if (c == 'm' || c == 'w' || c == 'M' || c == 'W') return 0.85;
    if (c >= 'A' && c <= 'Z') return 0.68;
    return 0.56;
  }
  if (IsMark(c)) return 0;
  if (c == 0x200B || c == 0xFEFF) return 0;
  if (IsWide(c)) return 1.0;
  return 0.65;
}

}  // namespace

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + s.size() / 8);
  size_t i = 0;
  while (i < s.size()) {
    char32_t c;
    const size_t n = DecodeUtf8(s, i, &c);
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        if (c < 0x20) {
          out += ' ';  // XML 1.0 forbids C0 controls; tab/newline would collapse anyway
        } else if (c == kReplacement || c == 0xFFFE || c == 0xFFFF) {
          out += "\xEF\xBF\xBD";
        } else {
          out.append(s.substr(i, n));
        }
    }
    i += n;
  }
  return out;
}

bool IsRtl(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    char32_t c;
    i += DecodeUtf8(s, i, &c);
    if (IsStrongRtl(c)) return true;
    if (!IsNeutral(c) && !IsMark(c) && c != kReplacement) return false;
  }
  return false;
}

double EstimateTextWidth(std::string_view s, double font_px) {
  double em = 0;
  size_t i = 0;
  while (i < s.size()) {
    char32_t c;
    i += DecodeUtf8(s, i, &c);
    em += CharEm(c);
  }
  return em * font_px;
}

std::string TruncateToWidth(std::string_view s, double font_px, double max_px) {
  if (EstimateTextWidth(s, font_px) <= max_px) return std::string(s);
  const double budget = max_px - CharEm(0x2026) * font_px;
  size_t best = 0;  // longest prefix ending at a safe boundary that fits the budget
  double em = 0;
  char32_t prev = 0;
  size_t i = 0;
  while (i < s.size()) {
    char32_t c;
    const size_t n = DecodeUtf8(s, i, &c);
    if (i > 0 && !IsMark(c) && !JoinsNext(prev)) {
      if (em * font_px > budget) break;
      best = i;
    }
    em += CharEm(c);
    prev = c;
    i += n;
  }
  std::string out(s.substr(0, best));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  out += "\xE2\x80\xA6";  // U+2026 HORIZONTAL ELLIPSIS
  return out;
}

}  // namespace sangam::report
