// Partition of raw text around special-token occurrences (see encoders.h).
//
// llama.cpp takes the special tokens longest first and, for each, splits every remaining raw
// fragment at its leftmost non-overlapping occurrences. Here the same result is computed on one
// coverage array: an occurrence is taken when none of its bytes belong to an earlier token.
#include <bitset>
#include <memory>

#include "tokenizer/encoders.h"

namespace sangam::tokenizer {

std::vector<Fragment> PartitionSpecial(const VocabData& v, std::string_view text, bool parse_special) {
  std::vector<Fragment> frags;
  if (text.empty()) return frags;

  // Byte pairs present in the text: a token containing an absent pair cannot occur.
  auto pairs = std::make_unique<std::bitset<65536>>();
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    pairs->set(static_cast<uint8_t>(text[i]) << 8 | static_cast<uint8_t>(text[i + 1]));
  }
  std::bitset<256> bytes;
  for (char c : text) bytes.set(static_cast<uint8_t>(c));

  constexpr int32_t kFree = -1, kInside = -2;
  std::vector<int32_t> owner;  // allocated on the first occurrence
  for (const int32_t id : v.special_tokens) {
    if (!parse_special && (v.attr[id] & (kAttrControl | kAttrUnknown))) continue;
    const std::string& t = v.text[id];
    if (t.size() > text.size()) continue;
    bool possible = bytes.test(static_cast<uint8_t>(t[0]));
    for (size_t i = 0; possible && i + 1 < t.size(); ++i) {
      possible = pairs->test(static_cast<uint8_t>(t[i]) << 8 | static_cast<uint8_t>(t[i + 1]));
    }
    if (!possible) continue;
    size_t pos = 0;
    while ((pos = text.find(t, pos)) != std::string_view::npos) {
      if (owner.empty()) owner.assign(text.size(), kFree);
      bool free = true;
      for (size_t k = pos; k < pos + t.size() && free; ++k) free = owner[k] == kFree;
      if (!free) {
        ++pos;
        continue;
      }
      owner[pos] = id;
      for (size_t k = pos + 1; k < pos + t.size(); ++k) owner[k] = kInside;
      pos += t.size();
    }
  }
  if (owner.empty()) {
    frags.push_back({-1, 0, text.size()});
    return frags;
  }
  size_t i = 0;
  while (i < text.size()) {
    if (owner[i] >= 0) {
      const int32_t id = owner[i];
      frags.push_back({id, i, v.text[id].size()});
      i += v.text[id].size();
      continue;
    }
    const size_t start = i;
    while (i < text.size() && owner[i] == kFree) ++i;
    frags.push_back({-1, start, i - start});
  }
  return frags;
}

}  // namespace sangam::tokenizer
