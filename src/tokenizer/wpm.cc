// WordPiece as llama.cpp runs it on converted BERT vocabularies (see encoders.h).
#include <algorithm>
#include <string>

#include "tokenizer/encoders.h"
#include "tokenizer/unicode.h"

namespace sangam::tokenizer {
namespace {

// CJK ideograph blocks BERT splits into single characters (as Hugging Face's Rust code,
// including its 0x2B920 start of the fifth range).
bool IsChineseChar(uint32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

std::vector<std::string> Preprocess(const VocabData& v, std::string_view text) {
  std::vector<uint32_t> cpts = unicode::DecodeUtf8(text);
  if (v.strip_accents) {
    for (uint32_t& c : cpts) c = unicode::NfdFirst(c);
  }
  std::vector<std::string> words(1);
  for (const uint32_t c : cpts) {
    const unicode::CpFlags f = unicode::GetFlags(c);
    if (f.whitespace) {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    if (c == 0 || c == unicode::kReplacementChar || f.control) continue;
    if (v.strip_accents && f.accent_mark) continue;
    std::string s = unicode::EncodeUtf8(v.lowercase ? unicode::ToLower(c) : c);
    if (f.punctuation || (c < 0x7F && f.symbol) || IsChineseChar(c)) {
      if (!words.back().empty()) words.emplace_back();
      words.back() = std::move(s);
      words.emplace_back();
    } else {
      words.back() += s;
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

}  // namespace

void WpmEncode(const VocabData& v, std::string_view text, std::vector<int32_t>* out) {
  const std::vector<std::string> words = Preprocess(v, text);
  for (const std::string& word : words) {
    if (word.empty()) continue;
    const std::string w = "\xE2\x96\x81" + word;  // "▁" marks the start of a word
    const size_t n = w.size();
    const size_t before = out->size();
    for (size_t i = 0; i < n; ++i) {
      bool match = false;
      for (size_t j = std::min(n, i + v.max_token_len + 1); j > i; --j) {
        const int32_t id = v.Find(std::string_view(w).substr(i, j - i));
        if (id >= 0) {
          out->push_back(id);
          match = true;
          i = j - 1;
          break;
        }
      }
      if (!match) {  // the whole word becomes [UNK]
        out->resize(before);
        break;
      }
    }
    if (out->size() == before && v.unk >= 0) out->push_back(v.unk);
  }
}

}  // namespace sangam::tokenizer
