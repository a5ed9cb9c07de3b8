// The three tokenization algorithms and the special-token partition that runs before them.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "sangam/status.h"
#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/vocab_data.h"

namespace sangam::tokenizer {

// SentencePiece-style BPE on already-escaped text (spaces are "▁"): repeatedly merges the
// adjacent pair whose concatenation is the highest-scoring token (leftmost on ties), then maps
// what is left to tokens, falling back to byte tokens. O(n log n) in the text length.
void SpmEncode(const VocabData& v, std::string_view text, std::vector<int32_t>* out);

// Byte-level BPE: splits with the pre-tokenizer, maps bytes to GPT-2's printable code points and
// applies merges by rank (lowest first, leftmost on ties) within each word.
Status BpeEncode(const VocabData& v, const RegexSplitter& splitter, std::string_view text,
                 std::vector<int32_t>* out);

// WordPiece as llama.cpp: NFD/lowercase/strip accents, split on whitespace, punctuation and CJK,
// then greedy longest match of "▁"-prefixed words; a word that cannot be matched is [UNK].
void WpmEncode(const VocabData& v, std::string_view text, std::vector<int32_t>* out);

// A piece of input: a special token (token >= 0) or raw text [offset, offset + length).
struct Fragment {
  int32_t token = -1;
  size_t offset = 0;
  size_t length = 0;
};

// Splits out occurrences of special-token text, longest tokens first (llama.cpp's
// tokenizer_st_partition). Control and unknown tokens only when parse_special; user-defined
// tokens always.
std::vector<Fragment> PartitionSpecial(const VocabData& v, std::string_view text, bool parse_special);

}  // namespace sangam::tokenizer
