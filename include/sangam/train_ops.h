// Forward and backward passes of the Llama training graph's operations on raw F32 buffers.
//
// Conventions (all functions):
// - Buffers are dense, row-major F32; shapes are given in comments, e.g. `// (T,H,D)`.
// - Gradients of *inputs* (dx, dq, ...) are overwritten; gradients of *parameters* (dweight,
//   dtable, dw) are accumulated (+=) so several micro-batches can share one gradient buffer.
// - Output buffers must not alias inputs unless stated.
// - Functions taking a ThreadPool& run on it (not reentrant on one pool, see ThreadPool);
//   results do not depend on the pool's thread count.
// - Functions returning Status validate data that may come from a user (token ids, targets);
//   shape arguments are the caller's invariants.
#pragma once

#include <cstdint>
#include <vector>

#include "sangam/status.h"
#include "sangam/tensor.h"
#include "sangam/thread_pool.h"
#include "sangam/train_data.h"  // kIgnoreIndex

namespace sangam::train {

// ---- Embedding ----------------------------------------------------------------------------
// out[t] = table[tokens[t]]. table (V,C), tokens (N), out (N,C). Error if a token is not in [0,V).
Status EmbeddingForward(const float* table, int64_t n_vocab, int64_t n_embd, const int32_t* tokens,
                        int64_t n_tokens, float* out);
// dtable[tokens[t]] += dout[t] (scatter-add into the rows used). dout (N,C), dtable (V,C).
Status EmbeddingBackward(const float* dout, const int32_t* tokens, int64_t n_tokens,
                         int64_t n_vocab, int64_t n_embd, float* dtable);

// ---- RMSNorm ------------------------------------------------------------------------------
// y = x * rstd * w with rstd = 1/sqrt(mean(x^2) + eps), per row; same math as model::RmsNorm
// (sum of squares in double, rstd in float). x (N,C), w (C), y (N,C), rstd (N) saved for backward.
void RmsNormForward(const float* x, const float* w, int64_t n_rows, int64_t n_embd, float eps,
                    float* y, float* rstd);
// dx (N,C) overwritten, dw (C) accumulated. rstd from the forward.
void RmsNormBackward(const float* dy, const float* x, const float* w, const float* rstd,
                     int64_t n_rows, int64_t n_embd, float* dx, float* dw);

// ---- RoPE ---------------------------------------------------------------------------------
struct RopeConfig {
  int64_t n_rot = 0;                    // rotated dims per head (even, <= head_dim)
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;
  const float* freq_factors = nullptr;  // n_rot/2 divisors or null
  bool neox = false;                    // false: adjacent pairs (2i,2i+1); true: halves (i,i+n_rot/2)
};
// Rotates x (T,H,D) in place; token t has position pos[t]. Angles exactly as model::RopeCosSin.
void RopeForward(const RopeConfig& cfg, const int32_t* pos, int64_t n_tokens, int64_t n_heads,
                 int64_t head_dim, float* x);
// Backward: rotation by -theta, applied in place to the gradient dx (T,H,D).
void RopeBackward(const RopeConfig& cfg, const int32_t* pos, int64_t n_tokens, int64_t n_heads,
                  int64_t head_dim, float* dx);

// ---- Causal grouped-query attention (one sequence) ----------------------------------------
struct AttentionShape {
  int64_t n_tokens = 0;   // T
  int64_t n_head = 0;     // H (query heads)
  int64_t n_head_kv = 0;  // Hkv; H % Hkv == 0, query head h uses kv head h / (H/Hkv)
  int64_t head_dim = 0;   // D; scores scaled by 1/sqrt(D)
};
// q (T,H,D), k/v (T,Hkv,D) -> out (T,H,D). probs (H,T,T) receives the softmax probabilities
// (row i, cols > i are 0) needed by the backward.
void AttentionForward(ThreadPool& pool, const AttentionShape& s, const float* q, const float* k,
                      const float* v, float* out, float* probs);
// dq (T,H,D), dk/dv (T,Hkv,D) overwritten.
void AttentionBackward(ThreadPool& pool, const AttentionShape& s, const float* q, const float* k,
                       const float* v, const float* probs, const float* dout, float* dq,
                       float* dk, float* dv);

// ---- SwiGLU -------------------------------------------------------------------------------
// out = silu(gate) * up, elementwise over n values.
void SwiGluForward(const float* gate, const float* up, int64_t n, float* out);
// dgate, dup overwritten.
void SwiGluBackward(const float* gate, const float* up, const float* dout, int64_t n, float* dgate,
                    float* dup);

// ---- Linear: y = x W^T ---------------------------------------------------------------------
// x (N,in), W (out,in) F32, y (N,out).
void LinearForward(ThreadPool& pool, const float* x, const float* w, int64_t n_rows, int64_t n_in,
                   int64_t n_out, float* y);
// dx (N,in) = dy W overwritten (skipped if dx null); dw (out,in) += dy^T x (skipped if dw null).
void LinearBackward(ThreadPool& pool, const float* dy, const float* x, const float* w,
                    int64_t n_rows, int64_t n_in, int64_t n_out, float* dx, float* dw);
// dx (N,in) = dy (N,out) W for a frozen W of any dtype (W.rows = out, W.cols = in). Dequantizes
// blocks of rows on the fly into a small scratch buffer (never the whole matrix).
void LinearBackwardFrozen(ThreadPool& pool, const tensor::MatrixView& w, const float* dy,
                          int64_t n_rows, float* dx);

// ---- Cross-entropy ------------------------------------------------------------------------
// logits (N,V), targets (N) in [0,V) or kIgnoreIndex. Returns the mean of -log softmax(logits)[t]
// over non-ignored rows (0 if all are ignored) and writes dlogits (N,V) = d(mean loss)/d(logits)
// (rows of ignored positions are 0). dlogits may alias logits. Error on a target out of range.
Result<float> CrossEntropy(const float* logits, const int32_t* targets, int64_t n_rows,
                           int64_t n_vocab, float* dlogits);

}  // namespace sangam::train
