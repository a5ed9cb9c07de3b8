// Corpus text clean-up: LibreOffice UI markup removal, NFC normalisation, script measurement.
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <map>

#include "sangam/corpus.h"

namespace sangam::adapt {
namespace {

bool IsAsciiAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsAsciiUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return;
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

std::string DecodeEntities(std::string_view s) {
  static const std::map<std::string_view, uint32_t> kNamed = {
      {"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}, {"nbsp", 0xA0}};
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      const size_t semi = s.find(';', i + 1);
      if (semi != std::string_view::npos && semi - i <= 10) {
        std::string_view body = s.substr(i + 1, semi - i - 1);
        uint32_t cp = 0;
        bool ok = false;
        if (body.size() >= 2 && body[0] == '#') {
          const bool hex = body[1] == 'x' || body[1] == 'X';
          std::string_view digits = body.substr(hex ? 2 : 1);
          ok = !digits.empty();
          for (char c : digits) {
            const int v = IsAsciiDigit(c) ? c - '0'
                          : (hex && std::isxdigit(static_cast<unsigned char>(c)))
                              ? (std::tolower(static_cast<unsigned char>(c)) - 'a' + 10)
                              : -1;
            if (v < 0 || cp > 0x10FFFF) {
              ok = false;
              break;
            }
            cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(v);
          }
        } else if (auto it = kNamed.find(body); it != kNamed.end()) {
          cp = it->second;
          ok = true;
        }
        if (ok) {
          AppendUtf8(cp, &out);
          i = semi;
          continue;
        }
      }
    }
    out += s[i];
  }
  return out;
}

namespace {

// Removes tags whose names are ASCII (<ahelp hid="...">, </ahelp>, <br/>) and numbered fields (<2>).
std::string StripTags(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<') {
      size_t j = i + 1;
      while (j < s.size() && IsAsciiDigit(s[j])) ++j;
      if (j > i + 1 && j < s.size() && s[j] == '>') {  // numbered field <2> in form letters
        i = j;
        continue;
      }
      j = i + 1;
      if (j < s.size() && s[j] == '/') ++j;
      if (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j]))) {
        while (j < s.size() && (IsAsciiAlnum(s[j]) || s[j] == '_' || s[j] == '-' || s[j] == ':')) ++j;
        if (j < s.size() && (s[j] == '>' || s[j] == ' ' || s[j] == '/')) {
          const size_t close = s.find('>', j);
          const size_t reopen = s.find('<', j);
          if (close != std::string_view::npos && (reopen == std::string_view::npos || reopen > close)) {
            out += ' ';
            i = close;
            continue;
          }
        }
      }
    }
    out += s[i];
  }
  return out;
}

// Placeholders: %PRODUCTNAME (-> LibreOffice), %NAME, %name, %1, %1$s, %s, %%, $(ARG1), $name$,
// $1, $LANGUAGE, #1, #name#, a lone #, {0}.
std::string StripPlaceholders(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '%' && i + 1 < s.size()) {
      const char d = s[i + 1];
      if (d == '%') {
        out += '%';
        ++i;
        continue;
      }
      if (std::isalpha(static_cast<unsigned char>(d))) {
        // %PRODUCTNAME, %OBJECTNAME, %name, %s, %n ...
        size_t j = i + 1;
        while (j < s.size() && (IsAsciiAlnum(s[j]) || s[j] == '_')) ++j;
        if (s.substr(i + 1, j - i - 1) == "PRODUCTNAME") out += "LibreOffice";
        if (j < s.size() && s[j] == '%') ++j;  // %TITLE%
        i = j - 1;
        continue;
      }
      if (d == '{') {  // %{data}
        const size_t close = s.find('}', i + 2);
        if (close != std::string_view::npos && close - i <= 40) {
          i = close;
          continue;
        }
      }
      if (IsAsciiDigit(d)) {
        size_t j = i + 1;
        while (j < s.size() && IsAsciiDigit(s[j])) ++j;
        if (j + 1 < s.size() && s[j] == '$' && std::isalpha(static_cast<unsigned char>(s[j + 1]))) j += 2;
        i = j - 1;
        continue;
      }
    }
    if (c == '$' && i + 1 < s.size()) {
      if (s[i + 1] == '(') {
        const size_t close = s.find(')', i + 2);
        if (close != std::string_view::npos && close - i <= 40) {
          bool ident = close > i + 2;
          for (size_t j = i + 2; j < close; ++j) ident &= IsAsciiAlnum(s[j]) || s[j] == '_';
          if (ident) {
            i = close;
            continue;
          }
        }
      } else if (IsAsciiAlnum(s[i + 1])) {
        // $name$, $1$, $1, $LANGUAGE (two or more capitals), $ARG1$.
        size_t j = i + 1;
        while (j < s.size() && (IsAsciiAlnum(s[j]) || s[j] == '_')) ++j;
        const std::string_view word = s.substr(i + 1, j - i - 1);
        const bool all_digits = std::all_of(word.begin(), word.end(), IsAsciiDigit);
        const bool all_upper =
            word.size() >= 2 && std::all_of(word.begin(), word.end(), [](char ch) {
              return IsAsciiUpper(ch) || IsAsciiDigit(ch) || ch == '_';
            });
        if (j < s.size() && s[j] == '$') {
          i = j;
          continue;
        }
        if (all_digits || all_upper) {
          i = j - 1;
          continue;
        }
      }
    }
    if (c == '#') {
      size_t j = i + 1;
      while (j < s.size() && (IsAsciiAlnum(s[j]) || s[j] == '_')) ++j;
      const bool digits = j > i + 1 && std::all_of(s.begin() + i + 1, s.begin() + j, IsAsciiDigit);
      if (digits) {  // #1, #2
        i = j - 1;
        continue;
      }
      if (j > i + 1 && j < s.size() && s[j] == '#') {  // #servicename#, #PAGECOUNT#
        i = j;
        continue;
      }
      // A lone '#' standing for a name or number: "Query #", "'#'".
      auto boundary = [](char ch) { return ch == ' ' || ch == '\'' || ch == '"' || ch == '(' || ch == ')' ||
                                           ch == '.' || ch == ',' || ch == ':'; };
      if ((i == 0 || boundary(s[i - 1])) && (i + 1 == s.size() || boundary(s[i + 1]))) continue;
    }
    if (c == '$' && s.substr(i, 3) == "$#$") {
      i += 2;
      continue;
    }
    if (c == '{' && i + 1 < s.size() && IsAsciiDigit(s[i + 1])) {
      size_t j = i + 1;
      while (j < s.size() && IsAsciiDigit(s[j])) ++j;
      if (j < s.size() && s[j] == '}') {
        i = j;
        continue;
      }
    }
    out += c;
  }
  return out;
}

// Accelerators: "(~S)", "(_U)" groups go entirely; then every '~' and single '_' before a letter.
std::string StripAccelerators(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '(' && i + 3 < s.size() && (s[i + 1] == '~' || s[i + 1] == '_') && s[i + 3] == ')' &&
        IsAsciiAlnum(s[i + 2])) {
      i += 3;
      continue;
    }
    if (s[i] == '~') continue;
    // GTK-style mnemonics: "_File", "I_gnore", "H_TML" (identifiers went with the placeholders).
    if (s[i] == '_' && i + 1 < s.size() && (IsAsciiAlnum(s[i + 1]) || static_cast<unsigned char>(s[i + 1]) >= 0x80) &&
        (i == 0 || s[i - 1] != '_')) {
      continue;
    }
    out += s[i];
  }
  return out;
}

std::string CollapseSpaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    // U+00A0 (C2 A0) counts as a space too.
    const bool nbsp = static_cast<unsigned char>(c) == 0xC2 && i + 1 < s.size() &&
                      static_cast<unsigned char>(s[i + 1]) == 0xA0;
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v' || nbsp) {
      space = true;
      if (nbsp) ++i;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// Empty bracket/quote pairs left behind by removed placeholders, and a space before , . : ; ? !
std::string TidyLeftovers(std::string s) {
  static const char* kPairs[] = {"()", "( )", "''", "' '", "\"\"", "\" \"", "[]", "\u201c\u201d", "\u2018\u2019",
                                 "\u201c \u201d", "\u2018 \u2019", "<>"};
  bool changed = true;
  while (changed) {
    changed = false;
    for (const char* p : kPairs) {
      const size_t at = s.find(p);
      if (at != std::string::npos) {
        s.erase(at, std::strlen(p));
        changed = true;
      }
    }
  }
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == ' ' && i + 1 < s.size() && std::string_view(",.:;?!").find(s[i + 1]) != std::string_view::npos &&
        (i + 2 >= s.size() || s[i + 2] == ' ')) {
      continue;
    }
    out += s[i];
  }
  return out;
}

}  // namespace

std::string CleanLibreOfficeString(std::string_view s) {
  // Literal two-character escapes (backslash n / t) occasionally survive in catalogues.
  std::string t;
  t.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == 'n' || s[i + 1] == 't')) {
      t += ' ';
      ++i;
      continue;
    }
    t += s[i];
  }
  t = DecodeEntities(t);
  t = StripTags(t);
  t = StripPlaceholders(t);
  t = StripAccelerators(t);
  // Angle brackets that were not tags ("<All>", "< None >") are UI decoration.
  std::erase_if(t, [](char ch) { return ch == '<' || ch == '>'; });
  t = CollapseSpaces(t);
  t = TidyLeftovers(std::move(t));
  return CollapseSpaces(t);
}

Result<std::string> NormalizeNfc(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const int32_t n = static_cast<int32_t>(s.size());
  if (s.size() > static_cast<size_t>(INT32_MAX)) return InvalidArgumentError("nfc: string too long");
  for (int32_t i = 0; i < n;) {
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (c < 0) return InvalidArgumentError(StrFormat("nfc: invalid UTF-8 at byte %d", i));
  }
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(err);
  if (U_FAILURE(err)) return InternalError(StrFormat("nfc: ICU: %s", u_errorName(err)));
  if (nfc->isNormalizedUTF8(icu::StringPiece(s.data(), n), err) && U_SUCCESS(err)) return std::string(s);
  err = U_ZERO_ERROR;
  const icu::UnicodeString in = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), n));
  const icu::UnicodeString out = nfc->normalize(in, err);
  if (U_FAILURE(err)) return InternalError(StrFormat("nfc: ICU: %s", u_errorName(err)));
  std::string result;
  out.toUTF8String(result);
  return result;
}

namespace {

// Calls f(script) for every alphabetic code point whose script is not Common/Inherited.
template <typename F>
void ForEachLetterScript(std::string_view utf8, F&& f) {
  const auto* p = reinterpret_cast<const uint8_t*>(utf8.data());
  const int32_t n = static_cast<int32_t>(std::min<size_t>(utf8.size(), INT32_MAX));
  for (int32_t i = 0; i < n;) {
    UChar32 c;
    U8_NEXT(p, i, n, c);
    if (c < 0 || !u_isalpha(c)) continue;
    UErrorCode err = U_ZERO_ERROR;
    const UScriptCode sc = uscript_getScript(c, &err);
    if (U_FAILURE(err) || sc == USCRIPT_COMMON || sc == USCRIPT_INHERITED || sc == USCRIPT_UNKNOWN) continue;
    f(sc);
  }
}

}  // namespace

ScriptCounts CountScript(std::string_view utf8, std::string_view script) {
  ScriptCounts counts;
  ForEachLetterScript(utf8, [&](UScriptCode sc) {
    ++counts.letters;
    if (script == uscript_getShortName(sc)) ++counts.in_script;
  });
  return counts;
}

std::string DominantScript(std::string_view utf8) {
  std::map<int, int64_t> by_script;
  ForEachLetterScript(utf8, [&](UScriptCode sc) { ++by_script[sc]; });
  int best = -1;
  int64_t best_n = 0;
  for (const auto& [sc, count] : by_script) {
    if (count > best_n) {
      best = sc;
      best_n = count;
    }
  }
  return best < 0 ? std::string() : std::string(uscript_getShortName(static_cast<UScriptCode>(best)));
}

int64_t CountCodePoints(std::string_view utf8) {
  int64_t n = 0;
  for (unsigned char c : utf8) n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace sangam::adapt
