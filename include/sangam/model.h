// Models: loading (GGUF or llama2.c checkpoint), hyperparameters, the architecture registry,
// the batched forward pass with per-sequence KV caches, model creation and re-quantization.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sangam/gguf.h"
#include "sangam/status.h"
#include "sangam/tensor.h"
#include "sangam/thread_pool.h"
#include "sangam/tokenizer.h"

namespace sangam::model {

struct Hparams {
  std::string arch;          // "llama", "mistral", "qwen2", ...
  std::string name;          // general.name
  int64_t n_vocab = 0;
  int64_t n_embd = 0;        // C
  int64_t n_layer = 0;       // L
  int64_t n_head = 0;        // H
  int64_t n_head_kv = 0;
  int64_t n_ff = 0;
  int64_t n_ctx_train = 0;
  int64_t n_rot = 0;         // rope dimension count (defaults to head dim)
  int64_t n_embd_head = 0;   // attention.key_length (== value_length); 0 = n_embd / n_head
  int64_t n_swa = 0;         // sliding-window attention span in tokens (Mistral); 0 = full
  float norm_eps = 1e-5f;
  float rope_freq_base = 10000.0f;
  // rope.scaling.type: "none", "linear" (positions divided by rope_scale_factor) or "llama3"
  // (per-frequency factors; also given directly by a rope_freqs.weight tensor, which wins).
  std::string rope_scaling_type = "none";
  float rope_scale_factor = 0.0f;  // 0 = off
  float rope_low_freq_factor = 1.0f;
  float rope_high_freq_factor = 4.0f;
  int64_t rope_orig_ctx = 8192;
  bool rope_neox = false;    // pairs (i, i + n_rot/2) instead of adjacent (2i, 2i+1); from the arch
  bool tied_output = false;  // output.weight absent: reuse token_embd
  bool qkv_bias = false;     // attn_{q,k,v}.bias present (Qwen2)
  int64_t head_dim() const { return n_embd_head > 0 ? n_embd_head : n_embd / n_head; }
  int64_t n_embd_q() const { return n_head * head_dim(); }
  int64_t n_embd_kv() const { return n_head_kv * head_dim(); }
};

// Supported architectures (general.architecture values), in registry order.
std::vector<std::string> SupportedArchitectures();

struct LoadOptions {
  // For llama2.c checkpoints: the tokenizer.bin path; empty = "tokenizer.bin" or "tok<vocab>.bin"
  // beside the checkpoint.
  std::string llama2c_tokenizer;
};

// An immutable loaded model: weights (memory-mapped, not copied), hyperparameters, tokenizer.
// Thread-safe to share across Contexts.
class Model {
 public:
  // Detects the format (GGUF magic, else llama2.c) and validates that every tensor the
  // architecture needs is present with the right shape and a supported type. Errors name the
  // key or tensor: NotFound (missing file, key or tensor), InvalidArgument (wrong shape, bad
  // value), Unimplemented (unknown architecture, tensor type or rope scaling type).
  static Result<std::unique_ptr<Model>> Load(const std::string& path, const LoadOptions& opts = {});
  virtual ~Model() = default;

  virtual const Hparams& hparams() const = 0;
  virtual const tokenizer::Tokenizer& tokenizer() const = 0;
  virtual const gguf::File& file() const = 0;
  // Bytes of weights read per generated token (all matrices + the embedding row).
  virtual size_t weight_bytes_per_token() const = 0;
  virtual int64_t n_params() const = 0;
  // Weight elements multiplied per token (every matrix incl. the output projection; the token
  // embedding is a row lookup and does not count): a token costs 2x this many FLOPs in MatMul.
  virtual int64_t matmul_params_per_token() const = 0;
};

struct LoraAdapter;  // sangam/lora.h
// An adapter applied with a user multiplier (--lora FILE:SCALE): effective scale =
// adapter->scale() * multiplier. The adapter must outlive whatever holds this.
struct AppliedLora {
  const LoraAdapter* adapter = nullptr;
  float multiplier = 1.0f;
};

struct ContextOptions {
  int64_t n_ctx = 0;        // tokens per sequence; 0 = min(n_ctx_train, 4096)
  int n_seq = 1;            // independent sequences (slots), each with its own KV cache
  int64_t n_batch = 512;    // max tokens per forward call (longer inputs are split)
  tensor::DType kv_type = tensor::DType::kF32;  // kF32 or kF16
  // LoRA adapters applied to every sequence (y += scale * B (A x) after each targeted MatMul,
  // per token, so batch invariance holds). Validated by Context::Create.
  std::vector<AppliedLora> loras;
  // Embedding mode: for tokens with logits=true keep the final-normed hidden state (n_embd floats,
  // the input of the output projection) instead of logits; the output projection is skipped.
  bool embeddings = false;
};

// One token of a batch: which sequence it belongs to and its position there.
struct BatchToken {
  int32_t token = 0;
  int32_t pos = 0;
  int32_t seq = 0;
  bool logits = false;      // keep this token's logits
};

// Mutable inference state: KV caches for n_seq sequences plus scratch buffers.
// Not thread-safe; uses the ThreadPool passed to each call.
class Context {
 public:
  static Result<std::unique_ptr<Context>> Create(const Model& model, const ContextOptions& opts);
  virtual ~Context() = default;

  // Runs the forward pass for `batch` (tokens of one or more sequences, in any interleaving;
  // positions must continue each sequence's cache: pos == current length of that sequence, in
  // order). Every MatMul sees all tokens of a chunk of up to n_batch tokens at once; attention
  // runs per token against its own sequence's cache. The whole batch is validated first, so an
  // error changes nothing: OutOfRange ("prompt of N tokens exceeds the context size C; use -c
  // to raise it") when a sequence would exceed n_ctx, InvalidArgument for an empty batch, bad
  // token ids, sequence ids or positions. Results for a token do not depend on the other tokens
  // in the batch (bit-identical with batch-invariant kernels, which sangam's are).
  virtual Status Decode(ThreadPool& pool, std::span<const BatchToken> batch) = 0;
  // Logits (n_vocab floats) of the i-th token, in batch order, of the last Decode that had
  // logits=true; nullptr when i is out of range. Valid until the next Decode.
  virtual const float* Logits(int i) const = 0;
  virtual int n_logits() const = 0;
  // Embedding mode only (ContextOptions::embeddings): the final-normed hidden state (n_embd floats)
  // of the i-th token, in batch order, of the last Decode that had logits=true; nullptr otherwise.
  virtual const float* Embedding(int i) const = 0;
  // Current length of sequence `seq`; truncate it to n tokens (n <= length); clear it.
  // Out-of-range sequence ids read as length 0 and are ignored by SeqTruncate/SeqClear.
  virtual int64_t SeqLength(int seq) const = 0;
  virtual void SeqTruncate(int seq, int64_t n) = 0;
  virtual void SeqClear(int seq) = 0;
  virtual int64_t n_ctx() const = 0;
  virtual int n_seq() const = 0;
  // Replaces the adapters used for sequence `seq` (-1 = all sequences) from the next Decode on;
  // the caller clears/truncates the sequence's cache if earlier tokens should be recomputed.
  // InvalidArgument (nothing changed) for a bad seq id or an adapter that does not fit the model.
  virtual Status SetLoras(int seq, std::vector<AppliedLora> loras) = 0;
  // Bytes of KV cache read per generated token at the current length of `seq`.
  virtual size_t kv_bytes_per_token(int seq) const = 0;

  // Convenience for one sequence: evaluates tokens at the end of sequence `seq` and returns the
  // logits of the last one.
  Result<const float*> Eval(ThreadPool& pool, std::span<const int32_t> tokens, int seq = 0);

 private:
  std::vector<BatchToken> eval_batch_;  // reused by Eval (no allocation per generated token)
};

// Creating a model from scratch (sangam init). Weights ~ N(0, init_std), except attn_output and
// ffn_down ~ N(0, init_std / sqrt(2 * n_layer)) (GPT-2's residual scaling); Q/K/V biases (qwen2)
// ~ N(0, init_std); norms = 1. Deterministic for a seed, independent of the thread count.
// Matrices whose row length does not fit `type`'s block size fall back (Q4_K -> Q4_0,
// Q6_K -> Q8_0, else F16). Writes GGUF with full <arch>.* metadata; peak memory ~ one tensor.
struct InitOptions {
  std::string arch = "llama";
  std::string name = "sangam-init";
  int64_t n_embd = 256, n_layer = 4, n_head = 8, n_head_kv = 4, n_ff = 688, n_ctx = 2048;
  float rope_freq_base = 10000.0f;
  float norm_eps = 1e-5f;
  bool tied_output = false;
  tensor::DType type = tensor::DType::kF32;
  uint64_t seed = 42;
  float init_std = 0.02f;
  // Tokenizer source: a GGUF file (its tokenizer.* keys are copied), a llama2.c tokenizer.bin, or
  // "bytes" for sangam's built-in byte-level vocabulary: <unk>, <s>, </s>, the 256 <0xXX> byte
  // tokens and "\u2581" (SentencePiece's space, so spaces decode back), model "llama", no space
  // prefix; SPM byte fallback encodes any text. 260 tokens.
  std::string tokenizer = "bytes";
  int64_t n_vocab_pad_to = 0;  // pad vocab with unused "<pad_N>" tokens to a multiple (0 = none)
};
Status InitModel(const InitOptions& opts, const std::string& out_path, ThreadPool& pool);

// Re-encodes every 2-D weight matrix in `type` (norms and 1-D tensors stay F32); metadata copied;
// general.file_type updated (GGML's llama_ftype numbering). Works from any supported type to any
// other; the input may also be a llama2.c checkpoint (tokenizer found beside it). Streams one
// tensor at a time; the output appears atomically. Same block-size fallbacks as InitModel.
Status QuantizeModel(const std::string& in_path, const std::string& out_path, tensor::DType type,
                     ThreadPool& pool);

}  // namespace sangam::model
