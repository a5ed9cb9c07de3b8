// The resolved vocabulary shared by all tokenizer algorithms: tokens, attributes, lookup maps,
// special ids and flags after applying llama.cpp's defaults and auto-detection rules.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sangam/gguf.h"
#include "sangam/status.h"
#include "sangam/tokenizer.h"

namespace sangam::tokenizer {

// Token attribute bits (as llama.cpp's llama_token_attr).
enum TokenAttr : uint32_t {
  kAttrUndefined = 0,
  kAttrUnknown = 1u << 0,
  kAttrUnused = 1u << 1,
  kAttrNormal = 1u << 2,
  kAttrControl = 1u << 3,
  kAttrUserDefined = 1u << 4,
  kAttrByte = 1u << 5,
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using StringIdMap = std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>>;

struct VocabData {
  VocabType type = VocabType::kSpm;
  std::string model;
  std::string pre;  // resolved pre-tokenizer name ("gpt2" only)
  std::vector<std::string> text;
  std::vector<float> score;
  std::vector<uint32_t> attr;
  std::vector<TokenType> type_of;
  StringIdMap token_to_id;
  StringIdMap merge_rank;  // "left right" -> rank
  std::array<int32_t, 256> byte_token{};  // SPM byte fallback: <0xXX> (or the byte itself), -1

  int32_t bos = -1, eos = -1, eot = -1, eom = -1, unk = -1, sep = -1, pad = -1, mask = -1;
  bool add_bos = false, add_eos = false, add_space_prefix = false;
  bool clean_spaces = false, ignore_merges = false;
  bool lowercase = true, strip_accents = true;
  size_t max_token_len = 0;
  std::vector<std::string> regexes;        // BPE pre-tokenizer
  std::vector<int32_t> special_tokens;     // control/user-defined/unknown, longest text first
  std::set<int32_t> eog;
  std::string chat_template;

  int32_t n() const { return static_cast<int32_t>(text.size()); }
  bool valid(int32_t id) const { return id >= 0 && id < n(); }
  int32_t Find(std::string_view s) const {
    const auto it = token_to_id.find(s);
    return it == token_to_id.end() ? -1 : it->second;
  }
};

// Validates `v` and resolves defaults (see Tokenizer::FromVocab).
Result<VocabData> BuildVocabData(Vocab v);
// Reads tokenizer.* metadata; special ids equal to 0xFFFFFFFF (or negative) count as absent.
Result<Vocab> VocabFromGguf(const gguf::File& file);

}  // namespace sangam::tokenizer
