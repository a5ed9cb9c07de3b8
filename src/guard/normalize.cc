// The matching form of a text (NFKC, case folding, invisible characters, look-alikes, spacing,
// leetspeak) and the small UTF-8 helpers the guard needs.
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/uspoof.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "guard/internal.h"

namespace sangam::guard {
namespace internal {

std::string RepairUtf8(std::string_view text) {
  if (IsValidUtf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const int32_t n = static_cast<int32_t>(text.size());
  int32_t i = 0;
  while (i < n) {
    const int32_t start = i;
    UChar32 c;
    U8_NEXT(s, i, n, c);
    if (c < 0) {
      out += "\xEF\xBF\xBD";
    } else {
      out.append(text.data() + start, i - start);
    }
  }
  return out;
}

bool IsValidUtf8(std::string_view text) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const int64_t n = static_cast<int64_t>(text.size());
  int64_t i = 0;
  while (i < n) {
    if (s[i] < 0x80) {
      ++i;
      continue;
    }
    // Chunks of at most 2^30 bytes keep U8_NEXT's int32 indices valid for any input size.
    const int32_t m = static_cast<int32_t>(std::min<int64_t>(n - i, int64_t(1) << 30));
    int32_t j = 0;
    UChar32 c;
    U8_NEXT(s + i, j, m, c);
    if (c < 0) return false;
    i += j;
  }
  return true;
}

size_t Utf8Floor(std::string_view text, size_t n) {
  if (n >= text.size()) return text.size();
  while (n > 0 && (static_cast<uint8_t>(text[n]) & 0xC0) == 0x80) --n;
  return n;
}

namespace {

// Invisible characters removed before matching: zero-width space/joiners, word joiner and
// invisible operators, BOM, soft hyphen, grapheme joiner, Mongolian vowel separator, and the
// bidi controls (LRM/RLM/ALM, embeddings, overrides, isolates).
bool IsRemovedInvisible(UChar32 c) {
  return (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x2064) ||
         (c >= 0x2066 && c <= 0x2069) || c == 0xFEFF || c == 0x00AD || c == 0x034F || c == 0x180E ||
         c == 0x061C || (c >= 0xFE00 && c <= 0xFE0F);
}

bool IsWordChar(UChar32 c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '@' || c == '$';
  return u_isalpha(c) || (U_GET_GC_MASK(c) & (U_GC_M_MASK | U_GC_ND_MASK)) != 0;
}

bool IsMark(UChar32 c) { return c >= 0x300 && (U_GET_GC_MASK(c) & U_GC_M_MASK) != 0; }

bool IsSpace(UChar32 c) {
  if (c < 0x80) return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
  return u_isUWhiteSpace(c);
}

// Separators that may sit between spaced-out letters: "k i l l", "k.i.l.l", "k-i-l-l", "k*i*l*l".
bool IsSpacingSeparator(UChar32 c) {
  return IsSpace(c) || c == '.' || c == '-' || c == '_' || c == '*' || c == '|' || c == '/' || c == '+' ||
         c == '~' || c == 0xB7 || c == ',';
}

// Non-ASCII letters that look like a Latin letter, mapped to it (lower case): ICU confusable
// skeletons for Cyrillic, Greek, Armenian, Cherokee, IPA and Latin extensions, plus Latin letters
// with diacritics (first character of the canonical decomposition). Built once.
class LatinLookalikes {
 public:
  LatinLookalikes() {
    UErrorCode st = U_ZERO_ERROR;
    USpoofChecker* sc = uspoof_open(&st);
    const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(st);
    if (U_FAILURE(st)) {
      if (sc) uspoof_close(sc);
      return;
    }
    static const UChar32 kRanges[][2] = {
        {0x00C0, 0x024F}, {0x0250, 0x02AF}, {0x0370, 0x03FF}, {0x0400, 0x052F}, {0x0531, 0x058F},
        {0x13A0, 0x13F5}, {0x1D00, 0x1DBF}, {0x1E00, 0x1EFF}, {0x2C60, 0x2C7F}, {0xA640, 0xA69F},
        {0xA720, 0xA7FF}, {0xAB30, 0xAB6F}};
    for (const auto& r : kRanges) {
      for (UChar32 c = r[0]; c <= r[1]; ++c) {
        if (!u_isalpha(c)) continue;
        UChar in[2];
        int32_t len = 0;
        UBool err = false;
        U16_APPEND(in, len, 2, c, err);
        if (err) continue;
        UChar out[16];
        UErrorCode e = U_ZERO_ERROR;
        const int32_t n = uspoof_getSkeleton(sc, 0, in, len, out, 16, &e);
        char mapped = 0;
        if (U_SUCCESS(e) && n == 1 && out[0] < 0x80 && u_isalpha(out[0])) {
          mapped = static_cast<char>(u_tolower(out[0]));
        } else if (c <= 0x024F || (c >= 0x1E00 && c <= 0x1EFF)) {
          icu::UnicodeString d;
          if (nfd->getDecomposition(c, d) && d.length() > 0 && d.charAt(0) < 0x80 && u_isalpha(d.charAt(0))) {
            mapped = static_cast<char>(u_tolower(d.charAt(0)));
          }
        }
        if (mapped) map_[c] = mapped;
      }
    }
    uspoof_close(sc);
  }
  char Map(UChar32 c) const {
    auto it = map_.find(c);
    return it == map_.end() ? 0 : it->second;
  }

 private:
  std::unordered_map<UChar32, char> map_;
};

const LatinLookalikes& Lookalikes() {
  static const LatinLookalikes* t = new LatinLookalikes();
  return *t;
}

UChar32 LeetMap(UChar32 c) {
  switch (c) {
    case '0': return 'o';
    case '1': return 'i';
    case '3': return 'e';
    case '4': return 'a';
    case '5': return 's';
    case '7': return 't';
    case '@': return 'a';
    case '$': return 's';
    default: return c;
  }
}

bool IsAsciiLetter(UChar32 c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A run of word characters or of anything else.
struct Segment {
  bool word = false;
  std::u32string cps;
  int bases = 0;  // code points that are not combining marks
};

// Look-alikes and leetspeak inside one token.
void FixToken(std::u32string& t) {
  bool has_ascii_letter = false, has_letter = false, has_leet = false;
  for (UChar32 c : t) {
    if (IsAsciiLetter(c)) has_ascii_letter = true;
    if (c >= 0x80 ? u_isalpha(c) : IsAsciiLetter(c)) has_letter = true;
  }
  if (!has_ascii_letter && has_letter) {
    // A word written entirely in Cyrillic/Greek letters that imitate Latin ones ("кіӏӏ", "ѕех")
    // is read as the Latin word. Real Russian or Greek words almost always contain a letter with
    // no Latin twin (б, и, л, я, λ, ω, ...), so they stay as they are; keywords get the same
    // treatment, so a list's own words still match themselves.
    const LatinLookalikes& lk = Lookalikes();
    bool all = true;
    int letters = 0;
    for (UChar32 c : t) {
      if (IsMark(c)) {
        all = false;
        break;
      }
      if (!u_isalpha(c)) continue;
      const bool cyr_greek = (c >= 0x370 && c <= 0x52F) || (c >= 0xA640 && c <= 0xA69F);
      if (!cyr_greek || lk.Map(c) == 0) {
        all = false;
        break;
      }
      ++letters;
    }
    if (all && letters >= 2) {
      for (char32_t& c : t) {
        if (const char m = lk.Map(static_cast<UChar32>(c))) c = static_cast<unsigned char>(m);
      }
      has_ascii_letter = true;
    }
  } else if (has_ascii_letter) {
    const LatinLookalikes& lk = Lookalikes();
    std::u32string out;
    out.reserve(t.size());
    bool prev_latin = false;
    for (UChar32 c : t) {
      if (c >= 0x80) {
        if (IsMark(c) && prev_latin) continue;  // diacritics on Latin letters ("kíll")
        if (char m = lk.Map(c)) {
          out.push_back(static_cast<unsigned char>(m));
          prev_latin = true;
          continue;
        }
      }
      prev_latin = IsAsciiLetter(c);
      out.push_back(c);
    }
    t.swap(out);
  }
  if (!has_letter) return;
  for (UChar32 c : t) {
    if (LeetMap(c) != c) has_leet = true;
  }
  if (!has_leet) return;
  for (char32_t& c : t) c = static_cast<char32_t>(LeetMap(static_cast<UChar32>(c)));
}

void AppendUtf8(std::string& out, UChar32 c) {
  char buf[4];
  int32_t n = 0;
  UBool err = false;
  U8_APPEND(reinterpret_cast<uint8_t*>(buf), n, 4, c, err);
  if (!err) out.append(buf, n);
}

}  // namespace

std::string KeywordRegex(std::string_view kw, bool prefix) {
  std::string body;
  bool boundaries = true;
  const auto* s = reinterpret_cast<const uint8_t*>(kw.data());
  const int32_t n = static_cast<int32_t>(kw.size());
  int32_t i = 0;
  bool first = true;
  while (i < n) {
    UChar32 c;
    U8_NEXT(s, i, n, c);
    if (c < 0) c = 0xFFFD;
    if (first) {
      UErrorCode e = U_ZERO_ERROR;
      const UScriptCode sc = uscript_getScript(c, &e);
      // Scripts written without spaces between words: match anywhere.
      if (sc == USCRIPT_HAN || sc == USCRIPT_HIRAGANA || sc == USCRIPT_KATAKANA || sc == USCRIPT_THAI ||
          sc == USCRIPT_LAO || sc == USCRIPT_KHMER || sc == USCRIPT_MYANMAR || sc == USCRIPT_TIBETAN) {
        boundaries = false;
      }
      first = false;
    }
    if (c == 'l') {
      body += "[li]";  // '1' is read as 'i' by the leetspeak step; accept it where 'l' was meant
    } else if (c < 0x80 && !IsAsciiLetter(c) && !(c >= '0' && c <= '9') && c != ' ') {
      body += '\\';
      body += static_cast<char>(c);
    } else {
      AppendUtf8(body, c);
    }
  }
  if (!boundaries) return body;
  return "(?:^|[^\\pL\\pM\\pN@$])" + body + (prefix ? "" : "(?:$|[^\\pL\\pM\\pN@$])");
}

}  // namespace internal

std::string NormalizeForMatching(std::string_view text) {
  using namespace internal;
  std::u32string cps;
  cps.reserve(text.size());
  bool ascii = true;
  for (char ch : text) {
    if (static_cast<unsigned char>(ch) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    for (char ch : text) {
      const unsigned char c = static_cast<unsigned char>(ch);
      if (c < 0x20 && !IsSpace(c)) continue;
      if (c == 0x7F) continue;
      cps.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
  } else {
    // Invisible characters go first so that NFKC composes across them ("e<ZWSP>\u0301").
    const std::string repaired = RepairUtf8(text);
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(repaired.data(), static_cast<int32_t>(repaired.size())));
    icu::UnicodeString cleaned;
    for (int32_t i = 0; i < u.length();) {
      const UChar32 c = u.char32At(i);
      i += U16_LENGTH(c);
      if (IsRemovedInvisible(c)) continue;
      if (c < 0x20 && !IsSpace(c)) continue;
      cleaned.append(c);
    }
    UErrorCode st = U_ZERO_ERROR;
    const icu::Normalizer2* nf = icu::Normalizer2::getNFKCCasefoldInstance(st);
    icu::UnicodeString norm;
    if (U_SUCCESS(st)) norm = nf->normalize(cleaned, st);
    if (U_FAILURE(st)) norm = cleaned.foldCase();
    for (int32_t i = 0; i < norm.length();) {
      const UChar32 c = norm.char32At(i);
      i += U16_LENGTH(c);
      if (IsRemovedInvisible(c)) continue;
      // Typographic apostrophes read as the ASCII one ("I’m" == "I'm").
      if (c == 0x2019 || c == 0x2018 || c == 0x02BC || c == 0x2032) {
        cps.push_back('\'');
        continue;
      }
      cps.push_back(c);
    }
  }

  // Segments: words and the text between them.
  std::vector<Segment> segs;
  for (UChar32 c : cps) {
    const bool w = IsWordChar(c);
    if (segs.empty() || segs.back().word != w) segs.push_back(Segment{w, {}, 0});
    segs.back().cps.push_back(c);
    if (w && !IsMark(c)) segs.back().bases++;
  }

  // Join spaced-out letters: >= 3 one-character words separated by short spacing separators.
  std::vector<Segment> joined;
  for (size_t i = 0; i < segs.size();) {
    if (segs[i].word && segs[i].bases == 1) {
      size_t j = i;
      int count = 1;
      while (j + 2 < segs.size() && !segs[j + 1].word && segs[j + 1].cps.size() <= 3 &&
             segs[j + 2].word && segs[j + 2].bases == 1) {
        bool ok = true;
        for (UChar32 c : segs[j + 1].cps) ok = ok && IsSpacingSeparator(c);
        if (!ok) break;
        j += 2;
        ++count;
      }
      if (count >= 3) {
        Segment s{true, {}, count};
        for (size_t k = i; k <= j; k += 2) s.cps += segs[k].cps;
        joined.push_back(std::move(s));
        i = j + 1;
        continue;
      }
    }
    joined.push_back(std::move(segs[i]));
    ++i;
  }

  std::string out;
  out.reserve(text.size() + 16);
  for (Segment& s : joined) {
    if (s.word) {
      FixToken(s.cps);
      for (UChar32 c : s.cps) AppendUtf8(out, c);
    } else {
      for (UChar32 c : s.cps) {
        if (IsSpace(c)) {
          if (!out.empty() && out.back() != ' ') out.push_back(' ');
        } else {
          AppendUtf8(out, c);
        }
      }
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

namespace internal {

std::vector<std::pair<size_t, size_t>> FindRuleSpans(std::string_view text, const RE2& re, size_t max_words) {
  std::vector<std::pair<size_t, size_t>> words;
  for (size_t i = 0; i < text.size();) {
    while (i < text.size() && IsSpace(static_cast<unsigned char>(text[i]))) ++i;
    const size_t b = i;
    while (i < text.size() && !IsSpace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > b) words.emplace_back(b, i);
  }
  std::vector<std::pair<size_t, size_t>> spans;
  auto matches = [&](size_t from, size_t to) {
    const std::string norm = NormalizeForMatching(text.substr(words[from].first, words[to].second - words[from].first));
    return RE2::PartialMatch(norm, re);
  };
  for (size_t i = 0; i < words.size();) {
    const size_t last = std::min(words.size(), i + max_words) - 1;
    // The longest run first (one normalisation per start in the common no-match case); then the
    // first word j at which a run from i matches, and the last start k from which [k, j] still
    // matches: the match lies in words k..j.
    if (!matches(i, last)) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < last && !matches(i, j)) ++j;
    size_t k = i;
    while (k < j && matches(k + 1, j)) ++k;
    spans.emplace_back(words[k].first, words[j].second);
    i = j + 1;
  }
  return spans;
}

}  // namespace internal
}  // namespace sangam::guard
