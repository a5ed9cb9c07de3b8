// Forward and backward passes of the training graph's operations (plain F32 loops).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "model/ops.h"
#include "sangam/train_ops.h"

namespace sangam::train {

// ---- Embedding ----------------------------------------------------------------------------

static Status CheckTokens(const char* what, const int32_t* tokens, int64_t n_tokens,
                          int64_t n_vocab) {
  for (int64_t t = 0; t < n_tokens; ++t) {
    if (tokens[t] < 0 || tokens[t] >= n_vocab) {
      return InvalidArgumentError(std::string("train: ") + what + ": token " +
                                  std::to_string(tokens[t]) + " at position " + std::to_string(t) +
                                  " is outside the vocabulary [0, " + std::to_string(n_vocab) + ")");
    }
  }
  return Status::Ok();
}

Status EmbeddingForward(const float* table, int64_t n_vocab, int64_t n_embd, const int32_t* tokens,
                        int64_t n_tokens, float* out) {
  RETURN_IF_ERROR(CheckTokens("embedding forward", tokens, n_tokens, n_vocab));
  for (int64_t t = 0; t < n_tokens; ++t) {
    const float* row = table + static_cast<int64_t>(tokens[t]) * n_embd;
    std::copy(row, row + n_embd, out + t * n_embd);
  }
  return Status::Ok();
}

Status EmbeddingBackward(const float* dout, const int32_t* tokens, int64_t n_tokens,
                         int64_t n_vocab, int64_t n_embd, float* dtable) {
  RETURN_IF_ERROR(CheckTokens("embedding backward", tokens, n_tokens, n_vocab));
  for (int64_t t = 0; t < n_tokens; ++t) {
    float* row = dtable + static_cast<int64_t>(tokens[t]) * n_embd;
    const float* g = dout + t * n_embd;
    for (int64_t c = 0; c < n_embd; ++c) row[c] += g[c];
  }
  return Status::Ok();
}

// ---- RMSNorm ------------------------------------------------------------------------------

void RmsNormForward(const float* x, const float* w, int64_t n_rows, int64_t n_embd, float eps,
                    float* y, float* rstd) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* xr = x + r * n_embd;
    float* yr = y + r * n_embd;
    double sum = 0.0;
    for (int64_t i = 0; i < n_embd; ++i) sum += static_cast<double>(xr[i] * xr[i]);
    const float mean = static_cast<float>(sum / static_cast<double>(n_embd));
    const float s = 1.0f / std::sqrt(mean + eps);
    rstd[r] = s;
    for (int64_t i = 0; i < n_embd; ++i) yr[i] = (xr[i] * s) * w[i];
  }
}

// y_i = x_i s w_i, s = (mean(x^2)+eps)^-1/2, ds/dx_j = -s^3 x_j / C:
// dx_j = s w_j dy_j - x_j s^3 / C * sum_i dy_i w_i x_i;  dw_i += dy_i x_i s.
void RmsNormBackward(const float* dy, const float* x, const float* w, const float* rstd,
                     int64_t n_rows, int64_t n_embd, float* dx, float* dw) {
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* xr = x + r * n_embd;
    const float* gr = dy + r * n_embd;
    float* dxr = dx + r * n_embd;
    const float s = rstd[r];
    float dot = 0.0f;
    for (int64_t i = 0; i < n_embd; ++i) dot += gr[i] * w[i] * xr[i];
    const float k = dot * s * s * s / static_cast<float>(n_embd);
    for (int64_t i = 0; i < n_embd; ++i) {
      dxr[i] = s * w[i] * gr[i] - xr[i] * k;
      dw[i] += gr[i] * xr[i] * s;
    }
  }
}

// ---- RoPE ---------------------------------------------------------------------------------

static void RopeApply(const RopeConfig& cfg, const int32_t* pos, int64_t n_tokens, int64_t n_heads,
                      int64_t head_dim, float* x, bool inverse) {
  model::RopeParams p;
  p.n_rot = cfg.n_rot;
  p.freq_base = cfg.freq_base;
  p.freq_scale = cfg.freq_scale;
  p.freq_factors = cfg.freq_factors;
  p.neox = cfg.neox;
  std::vector<float> cs(static_cast<size_t>(std::max<int64_t>(cfg.n_rot, 2)));
  for (int64_t t = 0; t < n_tokens; ++t) {
    model::RopeCosSin(p, pos[t], cs.data());
    if (inverse) {
      for (int64_t i = 0; i < cfg.n_rot / 2; ++i) cs[2 * i + 1] = -cs[2 * i + 1];
    }
    model::ApplyRope(p, cs.data(), x + t * n_heads * head_dim, n_heads, head_dim);
  }
}

void RopeForward(const RopeConfig& cfg, const int32_t* pos, int64_t n_tokens, int64_t n_heads,
                 int64_t head_dim, float* x) {
  RopeApply(cfg, pos, n_tokens, n_heads, head_dim, x, /*inverse=*/false);
}

void RopeBackward(const RopeConfig& cfg, const int32_t* pos, int64_t n_tokens, int64_t n_heads,
                  int64_t head_dim, float* dx) {
  // The forward is an orthogonal rotation R(theta); its Jacobian transpose is R(-theta).
  RopeApply(cfg, pos, n_tokens, n_heads, head_dim, dx, /*inverse=*/true);
}

// ---- Attention ----------------------------------------------------------------------------

void AttentionForward(ThreadPool& pool, const AttentionShape& s, const float* q, const float* k,
                      const float* v, float* out, float* probs) {
  const int64_t T = s.n_tokens, H = s.n_head, Hkv = s.n_head_kv, D = s.head_dim;
  const int64_t group = H / Hkv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  // One task per (head, query row): writes only its own out row and probs row.
  pool.ParallelFor(H * T, [&](int64_t task, int) {
    const int64_t h = task / T, i = task % T;
    const int64_t hk = h / group;
    const float* qi = q + (i * H + h) * D;
    float* p = probs + (h * T + i) * T;
    float mx = -INFINITY;
    for (int64_t j = 0; j <= i; ++j) {
      p[j] = model::Dot(qi, k + (j * Hkv + hk) * D, D) * scale;
      mx = std::max(mx, p[j]);
    }
    float sum = 0.0f;
    for (int64_t j = 0; j <= i; ++j) {
      p[j] = std::exp(p[j] - mx);
      sum += p[j];
    }
    const float inv = 1.0f / sum;
    for (int64_t j = 0; j <= i; ++j) p[j] *= inv;
    for (int64_t j = i + 1; j < T; ++j) p[j] = 0.0f;
    float* o = out + (i * H + h) * D;
    for (int64_t d = 0; d < D; ++d) o[d] = 0.0f;
    for (int64_t j = 0; j <= i; ++j) model::Axpy(p[j], v + (j * Hkv + hk) * D, o, D);
  });
}

// With P = softmax(S), S = scale Q K^T (causal), O = P V:
// dV = P^T dO, dP = dO V^T, dS_ij = P_ij (dP_ij - sum_k P_ik dP_ik), dQ = scale dS K,
// dK = scale dS^T Q. One task per kv head: it owns dk/dv of that head and dq of its query heads.
void AttentionBackward(ThreadPool& pool, const AttentionShape& s, const float* q, const float* k,
                       const float* v, const float* probs, const float* dout, float* dq,
                       float* dk, float* dv) {
  const int64_t T = s.n_tokens, H = s.n_head, Hkv = s.n_head_kv, D = s.head_dim;
  const int64_t group = H / Hkv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  pool.ParallelFor(Hkv, [&](int64_t hk, int) {
    std::vector<float> ds(static_cast<size_t>(T));
    for (int64_t j = 0; j < T; ++j) {
      std::fill(dk + (j * Hkv + hk) * D, dk + (j * Hkv + hk + 1) * D, 0.0f);
      std::fill(dv + (j * Hkv + hk) * D, dv + (j * Hkv + hk + 1) * D, 0.0f);
    }
    for (int64_t h = hk * group; h < (hk + 1) * group; ++h) {
      for (int64_t i = 0; i < T; ++i) {
        const float* p = probs + (h * T + i) * T;
        const float* go = dout + (i * H + h) * D;
        const float* qi = q + (i * H + h) * D;
        float* gq = dq + (i * H + h) * D;
        float row = 0.0f;
        for (int64_t j = 0; j <= i; ++j) {
          const float dp = model::Dot(go, v + (j * Hkv + hk) * D, D);
          ds[j] = dp;
          row += p[j] * dp;
          model::Axpy(p[j], go, dv + (j * Hkv + hk) * D, D);
        }
        for (int64_t d = 0; d < D; ++d) gq[d] = 0.0f;
        for (int64_t j = 0; j <= i; ++j) {
          const float g = p[j] * (ds[j] - row) * scale;
          model::Axpy(g, k + (j * Hkv + hk) * D, gq, D);
          model::Axpy(g, qi, dk + (j * Hkv + hk) * D, D);
        }
      }
    }
  });
}

// ---- SwiGLU -------------------------------------------------------------------------------

void SwiGluForward(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    out[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

// silu'(g) = sig(g) (1 + g (1 - sig(g))).
void SwiGluBackward(const float* gate, const float* up, const float* dout, int64_t n, float* dgate,
                    float* dup) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    const float sg = 1.0f / (1.0f + std::exp(-g));
    const float silu = g * sg;
    dgate[i] = dout[i] * up[i] * sg * (1.0f + g * (1.0f - sg));
    dup[i] = dout[i] * silu;
  }
}

// ---- Linear -------------------------------------------------------------------------------

void LinearForward(ThreadPool& pool, const float* x, const float* w, int64_t n_rows, int64_t n_in,
                   int64_t n_out, float* y) {
  pool.ParallelFor(n_rows, [&](int64_t r, int) {
    const float* xr = x + r * n_in;
    for (int64_t o = 0; o < n_out; ++o) {
      const float* wo = w + o * n_in;
      float acc = 0.0f;
      for (int64_t i = 0; i < n_in; ++i) acc += xr[i] * wo[i];
      y[r * n_out + o] = acc;
    }
  });
}

void LinearBackward(ThreadPool& pool, const float* dy, const float* x, const float* w,
                    int64_t n_rows, int64_t n_in, int64_t n_out, float* dx, float* dw) {
  if (dx != nullptr) {
    pool.ParallelFor(n_rows, [&](int64_t r, int) {
      float* dxr = dx + r * n_in;
      std::fill(dxr, dxr + n_in, 0.0f);
      const float* g = dy + r * n_out;
      for (int64_t o = 0; o < n_out; ++o) {
        const float go = g[o];
        const float* wo = w + o * n_in;
        for (int64_t i = 0; i < n_in; ++i) dxr[i] += go * wo[i];
      }
    });
  }
  if (dw != nullptr) {
    // Each task owns one output row of dW: deterministic whatever the thread count.
    pool.ParallelFor(n_out, [&](int64_t o, int) {
      float* dwo = dw + o * n_in;
      for (int64_t r = 0; r < n_rows; ++r) {
        const float go = dy[r * n_out + o];
        const float* xr = x + r * n_in;
        for (int64_t i = 0; i < n_in; ++i) dwo[i] += go * xr[i];
      }
    });
  }
}

void LinearBackwardFrozen(ThreadPool& pool, const tensor::MatrixView& w, const float* dy,
                          int64_t n_rows, float* dx) {
  const int64_t n_out = w.rows, n_in = w.cols;
  std::fill(dx, dx + n_rows * n_in, 0.0f);
  constexpr int64_t kRowBlock = 32;
  std::vector<float> block(static_cast<size_t>(kRowBlock * n_in));
  for (int64_t r0 = 0; r0 < n_out; r0 += kRowBlock) {
    const int64_t nr = std::min(kRowBlock, n_out - r0);
    pool.ParallelFor(nr, [&](int64_t r, int) {
      const auto* src = static_cast<const uint8_t*>(w.data) + (r0 + r) * w.row_stride;
      tensor::DequantizeRow(w.type, src, block.data() + r * n_in, n_in);
    });
    pool.ParallelFor(n_rows, [&](int64_t t, int) {
      float* dxt = dx + t * n_in;
      const float* g = dy + t * n_out + r0;
      for (int64_t r = 0; r < nr; ++r) {
        const float gr = g[r];
        const float* wr = block.data() + r * n_in;
        for (int64_t i = 0; i < n_in; ++i) dxt[i] += gr * wr[i];
      }
    });
  }
}

// ---- Cross-entropy ------------------------------------------------------------------------

Result<float> CrossEntropy(const float* logits, const int32_t* targets, int64_t n_rows,
                           int64_t n_vocab, float* dlogits) {
  int64_t n_valid = 0;
  for (int64_t r = 0; r < n_rows; ++r) {
    if (targets[r] == kIgnoreIndex) continue;
    if (targets[r] < 0 || targets[r] >= n_vocab) {
      return InvalidArgumentError("train: cross-entropy: target " + std::to_string(targets[r]) +
                                  " at row " + std::to_string(r) + " is outside [0, " +
                                  std::to_string(n_vocab) + ") and is not the ignore index -1");
    }
    ++n_valid;
  }
  const float inv_n = n_valid > 0 ? 1.0f / static_cast<float>(n_valid) : 0.0f;
  double loss = 0.0;
  for (int64_t r = 0; r < n_rows; ++r) {
    const float* lr = logits + r * n_vocab;
    float* dr = dlogits + r * n_vocab;
    if (targets[r] == kIgnoreIndex) {
      std::fill(dr, dr + n_vocab, 0.0f);
      continue;
    }
    float mx = -INFINITY;
    for (int64_t i = 0; i < n_vocab; ++i) mx = std::max(mx, lr[i]);
    double sum = 0.0;
    for (int64_t i = 0; i < n_vocab; ++i) sum += std::exp(static_cast<double>(lr[i] - mx));
    const double lse = std::log(sum) + mx;
    loss += lse - lr[targets[r]];
    for (int64_t i = 0; i < n_vocab; ++i) {
      dr[i] = static_cast<float>(std::exp(static_cast<double>(lr[i]) - lse)) * inv_n;
    }
    dr[targets[r]] -= inv_n;
  }
  return static_cast<float>(n_valid > 0 ? loss / static_cast<double>(n_valid) : 0.0);
}

}  // namespace sangam::train
