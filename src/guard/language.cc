// Language identification: CLD2 when it is sure, otherwise (or when it disagrees with the
// script) the dominant Unicode script decides, which is what works for short Indic texts.
#include <cstdio>  // compact_lang_det.h uses FILE without including it

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/utf8.h>

#include <cstring>
#include <map>
#include <string>

#include "guard/internal.h"

// CLD2's code lives in libcld2.so; libcld2_full.so only holds its larger tables. The functions
// are declared here (the public header needs <cstdio> first); CMake links libcld2.so. Without
// CLD2 only the script-based fallback would run (Cld2Available() says which).
namespace CLD2 {
const char* LanguageCode(Language lang);  // cld2/internal/lang_script.h
Language ExtDetectLanguageSummary(const char* buffer, int buffer_length, bool is_plain_text, const char* tld_hint,
                                  int encoding_hint, Language language_hint, Language* language3, int* percent3,
                                  double* normalized_score3, int* text_bytes, bool* is_reliable);
}  // namespace CLD2

namespace sangam::guard::internal {
namespace {

struct ScriptDefault {
  UScriptCode script;
  const char* language;  // when CLD2 is unsure
  const char* also;      // other languages written in it that CLD2 may name ("|"-separated)
};

const ScriptDefault kScripts[] = {
    {USCRIPT_DEVANAGARI, "hi", "|hi|mr|ne|sa|bh|mai|kok|new|bho|mag|awa|hne|doi|ks|sd|"},
    {USCRIPT_BENGALI, "bn", "|bn|as|mni|bpy|sat|"},
    {USCRIPT_GURMUKHI, "pa", "|pa|"},
    {USCRIPT_GUJARATI, "gu", "|gu|"},
    {USCRIPT_ORIYA, "or", "|or|"},
    {USCRIPT_TAMIL, "ta", "|ta|"},
    {USCRIPT_TELUGU, "te", "|te|"},
    {USCRIPT_KANNADA, "kn", "|kn|tcy|"},
    {USCRIPT_MALAYALAM, "ml", "|ml|"},
    {USCRIPT_OL_CHIKI, "sat", "||"},
    {USCRIPT_MEITEI_MAYEK, "mni", "||"},
    {USCRIPT_SINHALA, "si", "|si|"},
    {USCRIPT_THAI, "th", "|th|"},
    {USCRIPT_LAO, "lo", "|lo|"},
    {USCRIPT_KHMER, "km", "|km|"},
    {USCRIPT_MYANMAR, "my", "|my|shn|"},
    {USCRIPT_GEORGIAN, "ka", "|ka|"},
    {USCRIPT_ARMENIAN, "hy", "|hy|"},
    {USCRIPT_HEBREW, "he", "|he|iw|yi|"},
    {USCRIPT_ETHIOPIC, "am", "|am|ti|"},
    {USCRIPT_TIBETAN, "bo", "|bo|dz|"},
    {USCRIPT_HANGUL, "ko", "|ko|"},
    {USCRIPT_HIRAGANA, "ja", "|ja|"},
    {USCRIPT_KATAKANA, "ja", "|ja|"},
    {USCRIPT_GREEK, "el", "|el|"},
    {USCRIPT_TIFINAGH, "zgh", "|zgh|"},
};

const ScriptDefault* FindScript(UScriptCode s) {
  for (const ScriptDefault& d : kScripts) {
    if (d.script == s) return &d;
  }
  return nullptr;
}

bool Listed(const char* list, const std::string& code) {
  return std::strstr(list, ("|" + code + "|").c_str()) != nullptr;
}

}  // namespace

bool Cld2Available() { return true; }  // linked (CMake requires libcld2.so)

LanguageGuess DetectLanguage(std::string_view text) {
  LanguageGuess g;
  // Dominant script (Common and Inherited characters do not vote), and Urdu/Assamese letters.
  std::map<int, int> counts;
  int urdu_letters = 0, assamese_letters = 0, letters = 0;
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const int32_t n = static_cast<int32_t>(std::min<size_t>(text.size(), 1 << 20));
  for (int32_t i = 0; i < n;) {
    UChar32 c;
    U8_NEXT(s, i, n, c);
    if (c < 0x41) continue;
    if (c < 0x80) {
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        counts[USCRIPT_LATIN]++;
        ++letters;
      }
      continue;
    }
    UErrorCode e = U_ZERO_ERROR;
    const UScriptCode sc = uscript_getScript(c, &e);
    if (U_FAILURE(e) || sc == USCRIPT_COMMON || sc == USCRIPT_INHERITED || sc == USCRIPT_UNKNOWN) continue;
    counts[sc]++;
    ++letters;
    if (c == 0x0679 || c == 0x0688 || c == 0x0691 || c == 0x06BA || c == 0x06D2 || c == 0x06BE) ++urdu_letters;
    if (c == 0x09F0 || c == 0x09F1) ++assamese_letters;
  }
  if (letters == 0) return g;
  int best = -1, best_n = 0;
  for (const auto& [sc, k] : counts) {
    if (k > best_n) {
      best = sc;
      best_n = k;
    }
  }
  const UScriptCode script = static_cast<UScriptCode>(best);
  g.script = uscript_getName(script);

  bool reliable = false;
  int text_bytes = 0;
  CLD2::Language lang3[3];
  int percent3[3];
  double scores3[3];
  CLD2::Language lang = CLD2::UNKNOWN_LANGUAGE;
  if (Cld2Available()) {
    // CLD2 trusts its input: ill-formed or truncated UTF-8 (a stream window may start or end
    // inside a character) makes it read past the buffer. Give it a clean copy: well-formed
    // characters only (anything else and control characters become spaces), at most 64 KiB
    // (plenty for language identification), followed by NUL padding it may peek into.
    std::string clean;
    clean.reserve(std::min<int32_t>(n, 1 << 16) + 32);
    for (int32_t i = 0; i < n && clean.size() < (1u << 16);) {
      const int32_t start = i;
      UChar32 c;
      U8_NEXT(s, i, n, c);
      if (c < 0 || (c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
        clean += ' ';
      } else {
        clean.append(reinterpret_cast<const char*>(s) + start, static_cast<size_t>(i - start));
      }
    }
    const int clean_n = static_cast<int>(clean.size());
    clean.append(32, '\0');
    lang = CLD2::ExtDetectLanguageSummary(clean.data(), clean_n, /*is_plain_text=*/true, nullptr,
                                          CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE, lang3, percent3, scores3,
                                          &text_bytes, &reliable);
  }
  std::string cld = lang == CLD2::UNKNOWN_LANGUAGE ? "" : CLD2::LanguageCode(lang);
  if (cld == "un" || cld == "xxx") cld.clear();
  if (cld == "iw") cld = "he";
  // CLD2 names some languages with region/script suffixes ("zh-Hant", "sr-ME"): keep the language.
  if (const size_t dash = cld.find('-'); dash != std::string::npos) cld = cld.substr(0, dash);

  const ScriptDefault* sd = FindScript(script);
  const bool sure = reliable && !cld.empty() && n >= 24;
  if (sd != nullptr) {
    if (sure && Listed(sd->also, cld)) {
      g.language = cld;
    } else if (script == USCRIPT_BENGALI && assamese_letters > 0) {
      g.language = "as";
    } else {
      g.language = sd->language;
    }
    return g;
  }
  if (script == USCRIPT_ARABIC) {
    if (sure && cld != "ur" && cld != "ar" && cld != "fa" && cld != "ps" && cld != "sd" && cld != "ku" &&
        cld != "ug" && cld != "ks") {
      g.language = urdu_letters > 0 ? "ur" : "ar";
    } else if (sure) {
      g.language = cld;
    } else {
      g.language = urdu_letters > 0 ? "ur" : "ar";
    }
    return g;
  }
  if (script == USCRIPT_HAN) {
    g.language = sure && (cld == "ja" || cld == "zh") ? cld : "zh";
    return g;
  }
  // Latin, Cyrillic and the rest: only CLD2 can tell the languages apart.
  if (sure) g.language = cld;
  return g;
}

}  // namespace sangam::guard::internal
