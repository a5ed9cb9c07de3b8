// Training data: raw-text token streams (with an on-disk token cache) cut into windows, and chat
// JSONL conversations rendered with a chat template with a loss mask on the assistant replies.
//
// Raw text: files are tokenized once (no BOS per file) and concatenated behind one BOS. Windows of
// T = ctx tokens give inputs stream[o, o+T) and targets stream[o+1, o+T+1).
//   no_shuffle: step s, row b uses o = ((s*B + b)*T) mod (N' - T - 1), where N' = N (the stream
//     length) when val_fraction = 0; with a validation split the last n_val windows are held out
//     and N' = (K - n_val)*T + 1 (K = (N-T-1)/T windows).
//   shuffled: the windows at offsets k*T, k in [0, K), minus the held-out ones (chosen by a
//     seeded permutation), are permuted per epoch with a seeded xoshiro256** generator and
//     consumed in order; the state (epoch, position, generator) serializes for bit-exact resume.
// Chat JSONL: one {"messages":[{"role":..., "content":...}]} per line. Targets are -1 (ignored)
// except on assistant content tokens and the end-of-generation token that closes each reply. The
// mask comes from rendering the conversation incrementally and counting tokens, so it follows the
// template's real tokenization. Examples are cut to ctx+1 tokens (counted in truncated()).
// Shuffled mode needs K >= 1 (N >= 2T+1). Errors are Status values naming the file (and line /
// byte offset). Thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sangam/chat_template.h"
#include "sangam/sample.h"
#include "sangam/status.h"
#include "sangam/tokenizer.h"

namespace sangam::train {

inline constexpr int32_t kIgnoreIndex = -1;

// batch rows of ctx tokens each, row-major; targets == kIgnoreIndex are excluded from the loss.
struct Batch {
  int32_t batch = 0;
  int32_t ctx = 0;
  std::vector<int32_t> inputs;
  std::vector<int32_t> targets;
};

struct DataOptions;
// A batch of opts.batch rows of opts.ctx tokens, inputs and targets sized (zero).
Batch AllocateBatch(const DataOptions& opts);

struct DataOptions {
  int32_t ctx = 256;
  int32_t batch = 1;
  bool no_shuffle = false;
  uint64_t seed = 0;
  double val_fraction = 0.0;  // in [0, 1)
};

// Deterministic generator (xoshiro256** seeded by splitmix64): the sampler's, shared.
using Rng = sample::Rng;

// FNV-1a 64 over bytes, continuing from h.
uint64_t Fnv1a(std::string_view bytes, uint64_t h = 0xcbf29ce484222325ull);
// Identity of a tokenizer: hash of its model name, special ids and every vocabulary entry.
uint64_t TokenizerFingerprint(const tokenizer::Tokenizer& tok);
// Byte offset of the first invalid UTF-8 sequence, or -1 when valid.
int64_t FindInvalidUtf8(std::string_view s);

// [BOS] + tokens(file1) + tokens(file2) + ... (BOS omitted when the tokenizer has none).
// cache_path empty = no cache. Otherwise a cache whose key (hash of the files' contents and the
// tokenizer fingerprint) matches is used; a missing, corrupt or mismatched cache is rebuilt.
// *cache_hit (optional) says whether the cache was used.
Result<std::vector<int32_t>> BuildTokenStream(const std::vector<std::string>& files,
                                              const tokenizer::Tokenizer& tok,
                                              const std::string& cache_path,
                                              bool* cache_hit = nullptr);

// Per-epoch shuffled order over a fixed list of items, with serializable state.
class EpochOrder {
 public:
  EpochOrder() = default;
  EpochOrder(std::vector<int64_t> items, uint64_t seed, bool shuffle = true);
  int64_t Next();  // next item; starts a new (reshuffled) epoch when the current one is used up
  int64_t epoch() const { return epoch_; }
  int64_t position() const { return pos_; }
  const std::vector<int64_t>& current_order() const { return order_; }
  std::string SaveState() const;
  Status LoadState(std::string_view bytes);

 private:
  void Reshuffle();
  std::vector<int64_t> items_;
  std::vector<int64_t> order_;
  Rng rng_;
  Rng epoch_start_rng_;
  int64_t epoch_ = 0;
  int64_t pos_ = 0;
  bool shuffle_ = true;
};

class TextDataset {
 public:
  // InvalidArgument for bad options, empty stream or N <= ctx+1.
  static Result<TextDataset> Create(std::vector<int32_t> stream, const DataOptions& opts);

  Batch NextTrain();             // the next training batch (advances the state)
  int64_t num_val_windows() const { return static_cast<int64_t>(val_offsets_.size()); }
  int64_t num_train_windows() const { return n_train_windows_; }
  // Validation batch i of ceil(num_val_windows / batch); rows past the end are all-ignored.
  Batch ValBatch(int64_t i) const;
  int64_t num_val_batches() const;
  const std::vector<int64_t>& val_offsets() const { return val_offsets_; }
  int64_t step() const { return step_; }
  const EpochOrder& order() const { return order_; }
  std::string SaveState() const;
  Status LoadState(std::string_view bytes);

 private:
  void FillRow(Batch& b, int32_t row, int64_t offset) const;
  std::vector<int32_t> stream_;
  DataOptions opts_;
  int64_t modulus_ = 0;  // no_shuffle: N' - T - 1
  int64_t n_train_windows_ = 0;
  std::vector<int64_t> val_offsets_;
  EpochOrder order_;  // over train window offsets (shuffled mode)
  int64_t step_ = 0;
};

// One tokenized conversation: tokens and whether each token is a training target.
struct ChatExample {
  std::vector<int32_t> tokens;
  std::vector<uint8_t> mask;  // 1 = assistant content / closing end-of-turn token
};

// Renders and tokenizes one conversation (BOS added as the vocabulary requests; special tokens
// parsed). Fails on an empty conversation or unknown role.
Result<ChatExample> TokenizeChat(const std::vector<sample::ChatMessage>& messages,
                                 sample::ChatTemplate tmpl, const tokenizer::Tokenizer& tok);

// Parses one JSONL line; errors say what is wrong (caller prefixes file:line).
Result<std::vector<sample::ChatMessage>> ParseChatLine(std::string_view line);

class ChatDataset {
 public:
  // Reads every file (blank lines skipped). Errors name file:line.
  static Result<ChatDataset> Load(const std::vector<std::string>& files, sample::ChatTemplate tmpl,
                                  const tokenizer::Tokenizer& tok, const DataOptions& opts);
  static Result<ChatDataset> FromExamples(std::vector<ChatExample> examples, int32_t pad_id,
                                          const DataOptions& opts);

  Batch NextTrain();
  Batch ValBatch(int64_t i) const;
  int64_t num_val_batches() const;
  int64_t num_examples() const { return static_cast<int64_t>(examples_.size()); }
  int64_t num_val_examples() const { return static_cast<int64_t>(val_.size()); }
  int64_t truncated() const { return truncated_; }  // examples longer than ctx+1 tokens
  const ChatExample& example(int64_t i) const { return examples_[static_cast<size_t>(i)]; }
  std::string SaveState() const { return order_.SaveState(); }
  Status LoadState(std::string_view bytes) { return order_.LoadState(bytes); }

 private:
  void FillRow(Batch& b, int32_t row, int64_t ex) const;
  std::vector<ChatExample> examples_;
  std::vector<int64_t> val_;
  EpochOrder order_;
  DataOptions opts_;
  int32_t pad_id_ = 0;
  int64_t truncated_ = 0;
};

}  // namespace sangam::train
