// Tokenizers built from GGUF metadata (tokenizer.ggml.*) or llama2.c tokenizer files:
// SentencePiece-style BPE ("llama"), byte-level BPE ("gpt2" + pre-tokenizer), WordPiece ("bert").
// DRAFT CONTRACT: the tokenizer helper owns and may refine this header; keep these entry points.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sangam/gguf.h"
#include "sangam/status.h"

namespace sangam::tokenizer {

enum class TokenType : int32_t {
  kUndefined = 0, kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6,
};

struct EncodeOptions {
  bool add_bos = true;          // subject to the vocabulary's add_bos setting when it has one
  bool parse_special = false;   // recognise special/control token text like "<|eot_id|>"
};

// Immutable after construction; thread-safe for concurrent Encode/Decode.
class Tokenizer {
 public:
  // From a GGUF file's tokenizer.* metadata.
  static Result<std::unique_ptr<Tokenizer>> FromGguf(const gguf::File& file);
  virtual ~Tokenizer() = default;

  virtual Result<std::vector<int32_t>> Encode(std::string_view text, const EncodeOptions& opts = {}) const = 0;
  // Bytes of one token as it appears in text (byte tokens give their byte; "▁" becomes " ").
  // `prev` lets SentencePiece drop the leading space after BOS the way llama.cpp does.
  virtual std::string TokenToPiece(int32_t id) const = 0;
  // Whole-sequence decoding (handles leading-space removal, byte sequences, WordPiece "##").
  virtual std::string Decode(const std::vector<int32_t>& ids) const = 0;

  virtual int32_t n_vocab() const = 0;
  virtual int32_t bos() const = 0;   // -1 when none
  virtual int32_t eos() const = 0;
  virtual int32_t eot() const = 0;   // end-of-turn (e.g. <|eot_id|>), -1 when none
  virtual bool IsEog(int32_t id) const = 0;  // end of generation (eos, eot, ...)
  virtual bool IsControl(int32_t id) const = 0;
  virtual const std::string& TokenText(int32_t id) const = 0;  // raw vocabulary entry
  virtual std::string model_name() const = 0;  // "llama", "gpt2", "bert"
  virtual std::string chat_template() const = 0;  // tokenizer.chat_template or ""
};

}  // namespace sangam::tokenizer
