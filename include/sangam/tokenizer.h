// Tokenizers built from GGUF metadata (tokenizer.ggml.*) or llama2.c tokenizer files:
// SentencePiece-style BPE ("llama"), byte-level BPE ("gpt2" + pre-tokenizer), WordPiece ("bert").
//
// Behaviour follows llama.cpp's llama-vocab token for token: Encode(text, {add_bos, parse_special})
// equals llama_tokenize(text, add_special = add_bos, parse_special), including its defaults for
// special token ids, its pre-tokenizer regexes per `tokenizer.ggml.pre`, its byte fallback and its
// handling of invalid UTF-8 (SPM: byte tokens; BPE/WPM: each invalid byte becomes U+FFFD).
//
// Thread safety: a Tokenizer is immutable after construction; Encode/Decode/TokenToPiece may be
// called concurrently from many threads. A StreamDecoder is one stream's state (not shared).
// Errors: construction returns a Status naming the offending key. Encode accepts any byte string
// (invalid UTF-8 included) and fails only if ICU's regex engine reports an internal error (e.g.
// out of memory). Decode never fails: ids out of range render as "".
//
// Known differences from llama.cpp (on inputs or files where llama.cpp throws, warns or leaves
// the result unspecified):
// special-token ids out of range are an error here (0xFFFFFFFF / -1 mean "none"); UTF-8
// sequences encoding values above U+10FFFF become U+FFFD per byte; SentencePiece vocabularies
// without byte tokens map unknown characters to <unk>; when several tokens look like end-of-turn
// markers, the first in llama.cpp's candidate list wins (llama.cpp: hash-map order). Not
// supported: tokenizer models "t5" (UGM), "rwkv", "plamo2", "gemma4", and the pre-tokenizers
// that need custom code in llama.cpp (kimi-k2, afmoe, superbpe, tiny_aya, gemma4, whitespace),
// and the per-model LSTRIP/RSTRIP attributes of special tokens (phi-3, jina-v2 <mask>).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sangam/gguf.h"
#include "sangam/status.h"

namespace sangam::tokenizer {

// tokenizer.ggml.token_type values (as written by llama.cpp's converters).
enum class TokenType : int32_t {
  kUndefined = 0, kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6,
};

// The tokenizer.ggml.* metadata as plain data: what FromGguf reads, or what a test, a trainer or
// a converter builds in memory. Optional fields left unset take llama.cpp's defaults for the
// model type (e.g. "llama": bos=1 eos=2 unk=0 add_bos=true add_space_prefix=true).
struct Vocab {
  std::string model = "llama";           // "llama" (SPM), "gpt2" (byte-level BPE), "bert" (WPM)
  std::string pre;                       // pre-tokenizer name for "gpt2" ("" = "default")
  std::vector<std::string> tokens;
  std::vector<float> scores;             // empty = all 0; else one per token
  std::vector<TokenType> types;          // empty = all kNormal; else one per token
  std::vector<std::string> merges;       // "left right", rank = index ("gpt2" only)
  // Special token ids; std::nullopt = the model type's default, -1 = none.
  std::optional<int32_t> bos, eos, eot, eom, unk, sep, pad, mask;
  std::optional<bool> add_bos, add_eos, add_space_prefix;
  std::optional<bool> lowercase, strip_accents;  // WordPiece normalizer (default true, true)
  std::string chat_template;
};

// Which algorithm a vocabulary uses.
enum class VocabType { kSpm, kBpe, kWpm };

struct EncodeOptions {
  // "Add special tokens as the vocabulary requests" (llama.cpp's add_special): BOS when the vocab's
  // add_bos is set (default true for "llama", false for most "gpt2" vocabs unless
  // tokenizer.ggml.add_bos_token says so), EOS when add_eos is set; for WordPiece [CLS] ... [SEP].
  // false = no special tokens at all.
  bool add_bos = true;
  // Recognise the text of control tokens ("<|eot_id|>", "<s>") and emit them as those tokens.
  // User-defined tokens are always matched (as llama.cpp and Hugging Face do).
  bool parse_special = false;
};

struct DecodeOptions {
  // Render control/unknown tokens' text ("<s>", "<|eot_id|>"); false renders them as "".
  bool render_special = false;
  // SentencePiece vocabularies with add_space_prefix: drop the leading space of the first token
  // after BOS (or of the first token when there is no BOS), undoing Encode's space prefix.
  // When BOS is rendered (render_special) the space after "<s>" is kept: "<s> Hello".
  bool strip_leading_space = true;
  // Apply the vocabulary's clean_up_tokenization_spaces rules (" ," -> ",", " 's" -> "'s", ...)
  // when it requests them (most "gpt2" pre-tokenizers and "bert"), exactly as llama_detokenize.
  bool clean_spaces = true;
};

// Immutable after construction; thread-safe for concurrent Encode/Decode.
class Tokenizer {
 public:
  // From a GGUF file's tokenizer.* metadata. Errors name the key: missing tokenizer.ggml.model /
  // .tokens, tokens/scores/token_type length mismatch, duplicate tokens, special token ids out of
  // range (0xFFFFFFFF / -1 mean "none"), missing merges for "gpt2", and unknown model or
  // pre-tokenizer names (the message lists the supported ones).
  static Result<std::unique_ptr<Tokenizer>> FromGguf(const gguf::File& file);
  // From in-memory metadata (same validation as FromGguf).
  static Result<std::unique_ptr<Tokenizer>> FromVocab(Vocab vocab);
  // Names accepted in tokenizer.ggml.pre for "gpt2" vocabularies.
  static std::vector<std::string> SupportedPreTokenizers();

  virtual ~Tokenizer() = default;

  virtual Result<std::vector<int32_t>> Encode(std::string_view text, const EncodeOptions& opts = {}) const = 0;
  // Bytes of one token as it appears in text (byte tokens give their byte; "▁" becomes " ", also
  // in WordPiece word-initial pieces; byte-level BPE symbols are mapped back to bytes).
  // Control and unknown tokens give ""; user-defined tokens give their text.
  // A piece may be an incomplete UTF-8 sequence; use StreamDecoder to print pieces as they come.
  virtual std::string TokenToPiece(int32_t id) const = 0;
  // Whole-sequence decoding with default DecodeOptions (control tokens dropped, SentencePiece's
  // leading space after BOS removed, vocabulary's space clean-up applied).
  virtual std::string Decode(const std::vector<int32_t>& ids) const = 0;

  virtual int32_t n_vocab() const = 0;
  virtual int32_t bos() const = 0;   // -1 when none
  virtual int32_t eos() const = 0;
  virtual int32_t eot() const = 0;   // end-of-turn (e.g. <|eot_id|>), -1 when none
  virtual bool IsEog(int32_t id) const = 0;  // end of generation (eos, eot, eom, <|im_end|>, ...)
  virtual bool IsControl(int32_t id) const = 0;
  virtual const std::string& TokenText(int32_t id) const = 0;  // raw vocabulary entry
  virtual std::string model_name() const = 0;  // "llama", "gpt2", "bert"
  virtual std::string chat_template() const = 0;  // tokenizer.chat_template or ""

  // --- Additions with defaults (so that test doubles need not implement them). ---
  // TokenToPiece with control/unknown tokens rendered as their text when `special`.
  virtual std::string TokenToPieceSpecial(int32_t id, bool /*special*/) const { return TokenToPiece(id); }
  virtual std::string DecodeWith(const std::vector<int32_t>& ids, const DecodeOptions& /*opts*/) const {
    return Decode(ids);
  }
  virtual int32_t unk() const { return -1; }
  virtual int32_t sep() const { return -1; }
  virtual int32_t pad() const { return -1; }
  virtual bool add_bos() const { return false; }
  virtual bool add_eos() const { return false; }
  virtual bool add_space_prefix() const { return false; }
  virtual std::string pre_name() const { return ""; }  // resolved tokenizer.ggml.pre ("gpt2" only)
  virtual VocabType vocab_type() const { return VocabType::kSpm; }
  virtual TokenType GetTokenType(int32_t /*id*/) const { return TokenType::kNormal; }
  virtual float Score(int32_t /*id*/) const { return 0.0f; }
  // Id of a vocabulary entry's exact text, -1 when absent.
  virtual int32_t Find(std::string_view /*text*/) const { return -1; }
};

// Turns a stream of token ids into text pieces that are always complete UTF-8 sequences: bytes
// of a character split across tokens (byte-fallback or byte-level BPE) are held back until the
// character is complete. Bytes that can never become valid UTF-8 are passed through at once.
// The concatenation of all Push() results and Flush() equals
// tok.DecodeWith(ids, {render_special, strip_leading_space, clean_spaces = false}).
// The Tokenizer must outlive the decoder.
class StreamDecoder {
 public:
  struct Options {
    bool render_special = false;
    // true when the stream starts a text (like Decode); false when it continues a prompt
    // (generation), where a token's leading space is real.
    bool strip_leading_space = false;
  };
  explicit StreamDecoder(const Tokenizer& tok) : StreamDecoder(tok, Options()) {}
  StreamDecoder(const Tokenizer& tok, Options opts) : tok_(tok), opts_(opts) {}

  // Text that became complete with this token (may be empty).
  std::string Push(int32_t id);
  // Whatever is still held (an incomplete UTF-8 tail, returned as raw bytes); resets the state.
  std::string Flush();

 private:
  const Tokenizer& tok_;
  Options opts_;
  std::string pending_;
  int64_t n_pushed_ = 0;
  bool first_was_bos_ = false;
};

}  // namespace sangam::tokenizer
