// llama2.c checkpoints (Karpathy's run.c format) and tokenizer.bin, presented as GGUF.
//
// LoadLlama2c maps a checkpoint and returns a gguf::File that looks like a llama GGUF converted
// from it: GGUF tensor names and shapes (all F32, data pointing into the mapping, which the File
// keeps alive), llama.* hyperparameters and tokenizer.ggml.* metadata. Supported checkpoints:
//   - legacy (version 0): 7 int32 header {dim, hidden_dim, n_layers, n_heads, n_kv_heads,
//     vocab_size, seq_len}; vocab_size < 0 means an unshared classifier follows the weights;
//     weights in run.c order incl. the unused freq_cis_real/imag tables.
//   - export version 1 ("ak42" magic 0x616b3432, 256-byte header, fp32, shared_classifier byte).
// Other export versions (2 = Q8_0 groups, ...) are Unimplemented. File sizes must match the
// hyperparameters exactly. Errors are DataLoss (corrupt / wrong size), NotFound, Unimplemented.
// Thread-safety: functions are reentrant; the returned File is immutable.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sangam/gguf.h"
#include "sangam/status.h"

namespace sangam::llama2c {

// Hyperparameters from a checkpoint header.
struct Config {
  int32_t dim = 0;
  int32_t hidden_dim = 0;
  int32_t n_layers = 0;
  int32_t n_heads = 0;
  int32_t n_kv_heads = 0;
  int32_t vocab_size = 0;  // always positive here
  int32_t seq_len = 0;
  bool shared_classifier = true;
  int version = 0;  // 0 = legacy, 1 = "ak42" v1
};

// Reads and validates the header of a checkpoint (no size check).
Result<Config> ReadConfig(const std::string& checkpoint_path);

// Loads checkpoint + tokenizer.bin. general.name is the checkpoint's file name without extension.
// The tokenizer must hold exactly vocab_size tokens.
Result<std::unique_ptr<gguf::File>> LoadLlama2c(const std::string& checkpoint_path,
                                                const std::string& tokenizer_path);

// Reads a llama2.c tokenizer.bin (int32 max_token_length, then per token: f32 score, int32 len,
// len bytes) into GGUF-style metadata, in this order: tokenizer.ggml.model = "llama",
// tokenizer.ggml.tokens (sentencepiece spelling: ' ' -> U+2581, "\n<s>\n" -> "<s>",
// "\n</s>\n" -> "</s>"), tokenizer.ggml.scores, tokenizer.ggml.token_type (1 normal, 2 unknown
// for "<unk>", 3 control for "<s>"/"</s>", 6 byte for "<0xXX>"), bos_token_id = 1,
// eos_token_id = 2, unknown_token_id = 0.
// n_vocab > 0: the file must hold exactly n_vocab tokens. n_vocab == 0: read tokens to the end.
Result<std::vector<std::pair<std::string, gguf::Value>>> LoadLlama2cTokenizer(
    const std::string& tokenizer_path, int32_t n_vocab);

}  // namespace sangam::llama2c
