// Unicode helpers for the tokenizers: llama.cpp-compatible UTF-8 decoding, code point categories
// (from ICU), lower-casing, NFD, and GPT-2's byte <-> printable code point mapping.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sangam::tokenizer::unicode {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Byte length of a UTF-8 sequence from its first byte (1 for stray continuation bytes), as
// llama.cpp's unicode_len_utf8: used to cut text into "characters" without validating it.
inline size_t Utf8SeqLen(char lead) {
  static constexpr uint8_t kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[static_cast<uint8_t>(lead) >> 4];
}

// Decodes UTF-8 like llama.cpp's unicode_cpts_from_utf8: every byte that does not start a
// well-formed sequence becomes U+FFFD and decoding resumes at the next byte. Overlong forms and
// surrogates are accepted as llama.cpp does; values above U+10FFFF are treated as invalid.
std::vector<uint32_t> DecodeUtf8(std::string_view text);
// Appends the UTF-8 encoding of `cpt` (must be <= 0x10FFFF).
void AppendUtf8(uint32_t cpt, std::string* out);
std::string EncodeUtf8(uint32_t cpt);

// Category flags of a code point. Exactly one of the category bits is set for every code point
// (unassigned code points count as control, as \p{C} does); whitespace is Unicode White_Space.
struct CpFlags {
  bool number = false;       // \p{N}
  bool letter = false;       // \p{L}
  bool separator = false;    // \p{Z}
  bool accent_mark = false;  // \p{M}
  bool punctuation = false;  // \p{P}
  bool symbol = false;       // \p{S}
  bool control = false;      // \p{C}
  bool whitespace = false;   // \s
  bool valid = false;        // false only for "no code point" (past the end of a chunk)
};
CpFlags GetFlags(uint32_t cpt);

uint32_t ToLower(uint32_t cpt);
// First code point of the canonical decomposition (NFD) of `cpt` (itself when none), as
// llama.cpp's unicode_cpts_normalize_nfd does per code point.
uint32_t NfdFirst(uint32_t cpt);

// GPT-2 byte-level BPE: each byte maps to a printable code point ('Ġ' for ' ').
uint32_t ByteToCpt(uint8_t byte);
// Inverse; -1 when `cpt` is not one of the 256 byte code points.
int ByteFromCpt(uint32_t cpt);
// Appends the byte-level encoding of raw bytes `in` (each byte -> its code point in UTF-8).
void ByteEncode(std::string_view in, std::string* out);

}  // namespace sangam::tokenizer::unicode
