// Unicode helpers for the tokenizers (see unicode.h); categories come from ICU's character data.
#include "tokenizer/unicode.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <array>

namespace sangam::tokenizer::unicode {
namespace {

constexpr uint32_t kMaxCodepoint = 0x10FFFF;

enum FlagBits : uint16_t {
  kNumber = 1 << 0, kLetter = 1 << 1, kSeparator = 1 << 2, kAccent = 1 << 3,
  kPunct = 1 << 4, kSymbol = 1 << 5, kControl = 1 << 6, kSpace = 1 << 7,
};

uint16_t ComputeFlags(UChar32 c) {
  uint16_t f = 0;
  switch (static_cast<UCharCategory>(u_charType(c))) {
    case U_UPPERCASE_LETTER: case U_LOWERCASE_LETTER: case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER: case U_OTHER_LETTER:
      f = kLetter; break;
    case U_NON_SPACING_MARK: case U_ENCLOSING_MARK: case U_COMBINING_SPACING_MARK:
      f = kAccent; break;
    case U_DECIMAL_DIGIT_NUMBER: case U_LETTER_NUMBER: case U_OTHER_NUMBER:
      f = kNumber; break;
    case U_SPACE_SEPARATOR: case U_LINE_SEPARATOR: case U_PARAGRAPH_SEPARATOR:
      f = kSeparator; break;
    case U_DASH_PUNCTUATION: case U_START_PUNCTUATION: case U_END_PUNCTUATION:
    case U_CONNECTOR_PUNCTUATION: case U_OTHER_PUNCTUATION: case U_INITIAL_PUNCTUATION:
    case U_FINAL_PUNCTUATION:
      f = kPunct; break;
    case U_MATH_SYMBOL: case U_CURRENCY_SYMBOL: case U_MODIFIER_SYMBOL: case U_OTHER_SYMBOL:
      f = kSymbol; break;
    default:  // Cc, Cf, Co, Cs, Cn
      f = kControl; break;
  }
  if (u_isUWhiteSpace(c)) f |= kSpace;
  return f;
}

const std::vector<uint16_t>& FlagTable() {
  static const std::vector<uint16_t> table = [] {
    std::vector<uint16_t> t(kMaxCodepoint + 1);
    for (uint32_t c = 0; c <= kMaxCodepoint; ++c) t[c] = ComputeFlags(static_cast<UChar32>(c));
    return t;
  }();
  return table;
}

struct ByteMaps {
  std::array<uint32_t, 256> to_cpt{};
  std::array<std::string, 256> to_utf8;
};

const ByteMaps& GetByteMaps() {
  static const ByteMaps maps = [] {
    ByteMaps m;
    std::array<bool, 256> direct{};
    for (int b = 0x21; b <= 0x7E; ++b) direct[b] = true;
    for (int b = 0xA1; b <= 0xAC; ++b) direct[b] = true;
    for (int b = 0xAE; b <= 0xFF; ++b) direct[b] = true;
    uint32_t n = 0;
    for (int b = 0; b < 256; ++b) {
      m.to_cpt[b] = direct[b] ? static_cast<uint32_t>(b) : 256 + n++;
      m.to_utf8[b] = EncodeUtf8(m.to_cpt[b]);
    }
    return m;
  }();
  return maps;
}

}  // namespace

std::vector<uint32_t> DecodeUtf8(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  const size_t n = s.size();
  auto cont = [&](size_t i) { return i < n && (static_cast<uint8_t>(s[i]) & 0xC0) == 0x80; };
  size_t i = 0;
  while (i < n) {
    const uint8_t b0 = static_cast<uint8_t>(s[i]);
    uint32_t cpt = kReplacementChar;
    size_t len = 0;
    if (b0 < 0x80) {
      cpt = b0;
      len = 1;
    } else if ((b0 & 0x40) == 0) {
      len = 0;  // stray continuation byte
    } else if ((b0 & 0x20) == 0) {
      if (cont(i + 1)) {
        cpt = ((b0 & 0x1Fu) << 6) | (static_cast<uint8_t>(s[i + 1]) & 0x3Fu);
        len = 2;
      }
    } else if ((b0 & 0x10) == 0) {
      if (cont(i + 1) && cont(i + 2)) {
        cpt = ((b0 & 0x0Fu) << 12) | ((static_cast<uint8_t>(s[i + 1]) & 0x3Fu) << 6) |
              (static_cast<uint8_t>(s[i + 2]) & 0x3Fu);
        len = 3;
      }
    } else if ((b0 & 0x08) == 0) {
      if (cont(i + 1) && cont(i + 2) && cont(i + 3)) {
        cpt = ((b0 & 0x07u) << 18) | ((static_cast<uint8_t>(s[i + 1]) & 0x3Fu) << 12) |
              ((static_cast<uint8_t>(s[i + 2]) & 0x3Fu) << 6) | (static_cast<uint8_t>(s[i + 3]) & 0x3Fu);
        len = cpt <= kMaxCodepoint ? 4 : 0;
      }
    }
    if (len == 0) {
      out.push_back(kReplacementChar);
      ++i;
    } else {
      out.push_back(cpt);
      i += len;
    }
  }
  return out;
}

void AppendUtf8(uint32_t cpt, std::string* out) {
  if (cpt <= 0x7F) {
    out->push_back(static_cast<char>(cpt));
  } else if (cpt <= 0x7FF) {
    out->push_back(static_cast<char>(0xC0 | (cpt >> 6)));
    out->push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  } else if (cpt <= 0xFFFF) {
    out->push_back(static_cast<char>(0xE0 | (cpt >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cpt >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | ((cpt >> 18) & 0x07)));
    out->push_back(static_cast<char>(0x80 | ((cpt >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cpt >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cpt & 0x3F)));
  }
}

std::string EncodeUtf8(uint32_t cpt) {
  std::string s;
  AppendUtf8(cpt, &s);
  return s;
}

CpFlags GetFlags(uint32_t cpt) {
  CpFlags f;
  if (cpt > kMaxCodepoint) return f;
  const uint16_t bits = FlagTable()[cpt];
  f.number = bits & kNumber;
  f.letter = bits & kLetter;
  f.separator = bits & kSeparator;
  f.accent_mark = bits & kAccent;
  f.punctuation = bits & kPunct;
  f.symbol = bits & kSymbol;
  f.control = bits & kControl;
  f.whitespace = bits & kSpace;
  f.valid = true;
  return f;
}

uint32_t ToLower(uint32_t cpt) {
  if (cpt > kMaxCodepoint) return cpt;
  return static_cast<uint32_t>(u_tolower(static_cast<UChar32>(cpt)));
}

uint32_t NfdFirst(uint32_t cpt) {
  if (cpt < 0xC0 || cpt > kMaxCodepoint) return cpt;
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  if (U_FAILURE(status) || nfd == nullptr) return cpt;
  icu::UnicodeString decomposition;
  if (!nfd->getDecomposition(static_cast<UChar32>(cpt), decomposition) || decomposition.isEmpty()) {
    return cpt;
  }
  return static_cast<uint32_t>(decomposition.char32At(0));
}

uint32_t ByteToCpt(uint8_t byte) { return GetByteMaps().to_cpt[byte]; }

int ByteFromCpt(uint32_t cpt) {
  if (cpt >= 0x21 && cpt <= 0x7E) return static_cast<int>(cpt);
  if (cpt >= 0xA1 && cpt <= 0xFF && cpt != 0xAD) return static_cast<int>(cpt);
  if (cpt >= 256 && cpt < 256 + 68) {
    // The 68 bytes without a printable form, in increasing byte order.
    static const std::array<int, 68> kBytes = [] {
      std::array<int, 68> a{};
      int n = 0;
      for (int b = 0; b < 256; ++b) {
        const bool direct = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
        if (!direct) a[n++] = b;
      }
      return a;
    }();
    return kBytes[cpt - 256];
  }
  return -1;
}

void ByteEncode(std::string_view in, std::string* out) {
  const ByteMaps& m = GetByteMaps();
  for (char c : in) out->append(m.to_utf8[static_cast<uint8_t>(c)]);
}

}  // namespace sangam::tokenizer::unicode
