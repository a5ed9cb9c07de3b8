// ClassifierText: the tokenisation shared by classifier training and scoring (NFKC + case fold,
// punctuation split off, one token per character for scripts written without spaces).
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <string>
#include <string_view>

#include "sangam/guard_classifier.h"

namespace sangam::guard {
namespace {

enum class CharClass { kSpace, kSolo, kWord };

CharClass Classify(UChar32 c) {
  if (u_isUWhiteSpace(c) || c == 0 || u_iscntrl(c)) return CharClass::kSpace;
  const int8_t type = u_charType(c);
  switch (type) {
    case U_CONNECTOR_PUNCTUATION: case U_DASH_PUNCTUATION: case U_START_PUNCTUATION:
    case U_END_PUNCTUATION: case U_INITIAL_PUNCTUATION: case U_FINAL_PUNCTUATION:
    case U_OTHER_PUNCTUATION: case U_MATH_SYMBOL: case U_CURRENCY_SYMBOL:
    case U_MODIFIER_SYMBOL: case U_OTHER_SYMBOL:
      return CharClass::kSolo;
    default:
      break;
  }
  UErrorCode err = U_ZERO_ERROR;
  const UScriptCode script = uscript_getScript(c, &err);
  if (U_SUCCESS(err)) {
    switch (script) {
      case USCRIPT_HAN: case USCRIPT_HIRAGANA: case USCRIPT_KATAKANA: case USCRIPT_THAI:
      case USCRIPT_LAO: case USCRIPT_KHMER: case USCRIPT_MYANMAR: case USCRIPT_TIBETAN:
        return CharClass::kSolo;
      default:
        break;
    }
  }
  return CharClass::kWord;
}

void AppendUtf8(UChar32 c, std::string* out) {
  char buf[4];
  int32_t n = 0;
  UBool error = false;
  U8_APPEND(reinterpret_cast<uint8_t*>(buf), n, 4, c, error);
  if (error) {
    out->append("\xEF\xBF\xBD");
  } else {
    out->append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

std::string ClassifierText(std::string_view text) {
  // fromUTF8 replaces ill-formed sequences with U+FFFD.
  icu::UnicodeString s = icu::UnicodeString::fromUTF8(
      icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(err);
  if (U_SUCCESS(err) && nfkc_cf != nullptr) {
    icu::UnicodeString folded = nfkc_cf->normalize(s, err);
    if (U_SUCCESS(err)) s = std::move(folded);
  }
  std::string out;
  out.reserve(text.size() + text.size() / 4 + 8);
  bool pending_space = false;  // a separator is due before the next token
  bool in_word = false;
  for (int32_t i = 0; i < s.length();) {
    const UChar32 c = s.char32At(i);
    i += U16_LENGTH(c);
    const CharClass cls = Classify(c);
    if (cls == CharClass::kSpace) {
      if (!out.empty()) pending_space = true;
      in_word = false;
      continue;
    }
    if (cls == CharClass::kSolo || !in_word) {
      if (!out.empty()) pending_space = true;
    }
    if (pending_space) {
      out.push_back(' ');
      pending_space = false;
    }
    AppendUtf8(c, &out);
    in_word = (cls == CharClass::kWord);
    if (cls == CharClass::kSolo) pending_space = true;
  }
  return out;
}

}  // namespace sangam::guard
