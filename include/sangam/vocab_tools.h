// Tokenizer training (SentencePiece unigram / BPE) and vocabulary extension of GGUF models.
//
// TrainTokenizer feeds text files line by line to SentencePiece's trainer and writes a
// SentencePiece .model. ExtendVocabulary appends the pieces of such a tokenizer (or of a GGUF
// vocabulary) that a base GGUF model lacks, converting them to the base's vocabulary style
// ("llama" SentencePiece-BPE or "gpt2" byte-level BPE), and grows token_embd / output so that
// each new row is the mean of the base rows of the base tokens that spell the new token.
//
// Errors are Status values naming the file and what is wrong; nothing here aborts on bad input.
// Thread safety: TrainTokenizer sets SentencePiece's global seed and log level, so run one
// training at a time; the other functions are reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sangam/status.h"
#include "sangam/thread_pool.h"
#include "sangam/tokenizer.h"

namespace sangam::adapt {

struct TokenizerTrainOptions {
  // UTF-8 text files, one sentence per line (empty lines are skipped, a trailing \r is dropped).
  std::vector<std::string> inputs;
  // Output path: writes `output` if it ends in ".model", else `output` + ".model".
  std::string output;
  std::string type = "unigram";        // "unigram" or "bpe"
  int vocab_size = 8000;               // pieces in the model, including <unk>, <s>, </s>, bytes
  double character_coverage = 0.9995;  // fraction of characters the pieces must cover
  bool byte_fallback = true;           // 256 <0xXX> pieces so any text encodes without <unk>
  int max_sentence_length = 4192;      // bytes; longer lines are skipped by SentencePiece
  int64_t input_sentence_size = 0;     // sample at most this many lines (0 = all)
  // Seed of SentencePiece's sampling (only used when input_sentence_size samples lines).
  // Training is deterministic for a given seed, corpus, options and num_threads (SentencePiece's
  // unigram E-step splits the corpus per thread, so another thread count gives another model).
  uint32_t seed = 42;
  int num_threads = 1;
  bool verbose = false;                // let SentencePiece log its progress to stderr
};

struct TokenizerTrainReport {
  std::string model_path;
  int n_pieces = 0;            // == vocab_size on success
  int n_byte_pieces = 0;       // <0xXX>
  int n_special_pieces = 0;    // <unk>, <s>, </s> (control/unknown)
  int64_t n_sentences = 0;     // non-empty lines read
  int64_t n_chars = 0;         // code points in those lines, whitespace excluded
  int64_t n_distinct_chars = 0;
  // Fraction of the corpus' (non-whitespace) characters that are pieces of their own, so that
  // they never need byte fallback / <unk>.
  double char_coverage = 0;
  // Characters per token when encoding (a sample of up to 2000 of) the training lines.
  double chars_per_token = 0;
};

// Trains a SentencePiece model. Errors: InvalidArgument (bad type, vocab_size < 1, no input
// files, empty corpus, invalid UTF-8 with file and byte offset, vocab_size larger than the
// corpus supports: "the corpus supports at most ~K pieces; lower --vocab-size"), NotFound /
// Io (unreadable input, unwritable output; the output appears atomically), Internal (other
// SentencePiece failures, message passed through).
Result<TokenizerTrainReport> TrainTokenizer(const TokenizerTrainOptions& opts);

// One entry of a tokenizer to merge into a base vocabulary.
struct NewPiece {
  std::string piece;  // as stored: SentencePiece text with U+2581 for spaces
  float score = 0;
  tokenizer::TokenType type = tokenizer::TokenType::kNormal;  // kByte, kControl, kUnknown, ...
};

// The pieces of a SentencePiece .model, in id order. InvalidArgument when the file is not a
// SentencePiece model; NotFound when it cannot be read.
Result<std::vector<NewPiece>> LoadSentencePieceModel(const std::string& path);

// The pieces of a SentencePiece .model or of a GGUF file's tokenizer.ggml.* vocabulary ("llama"
// vocabularies as is; "gpt2" byte-level tokens converted back to text with U+2581 for spaces).
Result<std::vector<NewPiece>> LoadNewPieces(const std::string& path);

struct ExtendOptions {
  // Consider at most this many new pieces (0 = all): single characters first (longer pieces
  // are built from them), then the best-ranked others. Unreachable ones among them are still
  // skipped, so n_added <= max_new.
  int64_t max_new = 0;
  // Pieces made only of ASCII characters (and U+2581) are skipped by default: the base already
  // handles ASCII text and adding them could change how English/code is tokenized.
  bool keep_ascii = false;
};

struct ExtendReport {
  int64_t n_base_vocab = 0;
  int64_t first_new_id = 0;      // == n_base_vocab
  int64_t n_vocab = 0;           // new vocabulary size == n_base_vocab + n_added
  int64_t n_added = 0;
  int64_t n_skipped = 0;         // sum of the reasons below
  int64_t n_present = 0;         // already in the base vocabulary
  int64_t n_special = 0;         // byte, control, unknown, unused pieces
  int64_t n_ascii = 0;           // ASCII-only (see ExtendOptions::keep_ascii)
  int64_t n_unreachable = 0;     // the base's algorithm could never produce them (see below)
  int64_t n_over_limit = 0;      // beyond max_new
  std::vector<std::string> resized_tensors;  // "token_embd.weight", "output.weight" if present
};

// Writes `out_gguf`: `base_gguf` with the new pieces of `new_tokenizer` (a SentencePiece .model
// or a GGUF with a tokenizer) appended. Ids 0..n_base_vocab-1 and all base tokenizer data keep
// their values, so text without new pieces tokenizes exactly as before.
//
// "llama" (SentencePiece-BPE) bases: each new piece is appended as a normal token with score
//   min(base scores) - 1 - rank, rank = its position among the added pieces in the new
//   tokenizer's order (SentencePiece orders pieces best first). So every base merge still wins
//   over every new one, and among new pieces the tokenizer's preferred (usually shorter,
//   frequent) pieces merge first, which builds the longer ones bottom-up. A piece is unreachable
//   (skipped) unless it is one character or splits into two parts both in the base or earlier
//   accepted new pieces (llama.cpp's SPM only merges adjacent symbols whose concatenation is a
//   token).
// "gpt2" (byte-level BPE) bases: the piece's bytes (U+2581 -> space) are mapped to GPT-2's byte
//   alphabet. Pieces are processed by increasing length; each needs a merge "a b" with a and b in
//   the growing vocabulary: the split the BPE itself reaches on the piece (base merges, then the
//   new ones so far) is used when it ends in two parts, else any split into two known parts.
//   Pieces the base pre-tokenizer would cut apart, or with no split, are unreachable.
// Embeddings: token_embd.weight and output.weight (when present) grow to the new vocabulary;
//   row for new token t = mean of the base rows of the ids the *base* tokenizer gives for t's
//   text (no BOS, no space prefix), stored in the tensor's dtype (QuantizeRow). Vocabulary-only
//   files (no token_embd) just get the larger vocabulary. `<arch>.vocab_size` is updated when
//   present; every other key and tensor is copied unchanged. Streams tensor by tensor; the
//   output appears atomically.
// Errors: NotFound (missing files), InvalidArgument (base not a GGUF or without a tokenizer,
//   new tokenizer unreadable, base == out, embedding shape not matching the vocabulary),
//   Unimplemented (base tokenizer model other than "llama"/"gpt2"), Io (cannot write).
Result<ExtendReport> ExtendVocabulary(const std::string& base_gguf, const std::string& new_tokenizer,
                                      const std::string& out_gguf, const ExtendOptions& opts,
                                      ThreadPool& pool);

// GPT-2's reversible byte -> printable code point mapping (bytes_to_unicode), as UTF-8.
std::string ByteLevelEncode(std::string_view bytes);
// Inverse of ByteLevelEncode; false when `text` has a code point outside the alphabet.
bool ByteLevelDecode(std::string_view text, std::string* bytes);

}  // namespace sangam::adapt
