// Context: per-sequence KV caches and the batched forward pass (Decode).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>

#include "model/lora_internal.h"
#include "model/model_impl.h"
#include "model/ops.h"

namespace sangam::model {
namespace {

using tensor::DType;

// Multiply-adds of one LoRA term above which a single token's term is split across the pool.
constexpr int64_t kLoraParallelWork = 16384;

// One LoRA term resolved for a (layer, target): y += B (scale * A x).
struct LoraTerm {
  const float* a;  // (rank, n_in)
  const float* b;  // (n_out, rank)
  int64_t rank;
  float scale;
};

// The adapters of one or more sequences, resolved once: terms[layer * kNumLoraTargets + target].
struct LoraSet {
  std::vector<AppliedLora> loras;
  std::vector<std::vector<LoraTerm>> terms;
  int64_t max_rank = 0;
};

class ContextImpl final : public Context {
 public:
  ContextImpl(const ModelImpl& m, const ContextOptions& o, int64_t n_ctx)
      : hp_(m.hparams()), w_(m.weights()), n_ctx_(n_ctx), n_seq_(o.n_seq),
        n_batch_(o.n_batch), kv_type_(o.kv_type), embeddings_(o.embeddings) {}

  Status Init();

  Status Decode(ThreadPool& pool, std::span<const BatchToken> batch) override;
  const float* Logits(int i) const override {
    if (embeddings_ || i < 0 || i >= n_logits_) return nullptr;
    return logits_.data() + static_cast<size_t>(i) * static_cast<size_t>(hp_.n_vocab);
  }
  int n_logits() const override { return n_logits_; }
  const float* Embedding(int i) const override {
    if (!embeddings_ || i < 0 || i >= n_logits_) return nullptr;
    return logits_.data() + static_cast<size_t>(i) * static_cast<size_t>(hp_.n_embd);
  }
  int64_t SeqLength(int seq) const override {
    return seq >= 0 && seq < n_seq_ ? seq_len_[static_cast<size_t>(seq)] : 0;
  }
  void SeqTruncate(int seq, int64_t n) override {
    if (seq < 0 || seq >= n_seq_ || n < 0) return;
    int64_t& len = seq_len_[static_cast<size_t>(seq)];
    len = std::min(len, n);
  }
  void SeqClear(int seq) override { SeqTruncate(seq, 0); }
  int64_t n_ctx() const override { return n_ctx_; }
  int n_seq() const override { return n_seq_; }
  Status SetLoras(int seq, std::vector<AppliedLora> loras) override;
  size_t kv_bytes_per_token(int seq) const override {
    return 2 * static_cast<size_t>(hp_.n_layer) * static_cast<size_t>(SeqLength(seq)) *
           static_cast<size_t>(hp_.n_embd_kv()) * elem_size_;
  }

 private:
  Status Validate(std::span<const BatchToken> batch);
  void Forward(ThreadPool& pool, const BatchToken* b, int64_t n, int logit_base);
  void Attention(int64_t layer, int64_t t, int64_t h, int thread);
  // Offset (in elements) of position `pos` of sequence `seq` in layer `layer` of a cache.
  size_t CacheOffset(int64_t layer, int32_t seq, int64_t pos) const {
    return ((static_cast<size_t>(layer) * static_cast<size_t>(n_seq_) + static_cast<size_t>(seq)) *
                static_cast<size_t>(n_ctx_) +
            static_cast<size_t>(pos)) *
           static_cast<size_t>(hp_.n_embd_kv());
  }
  void StoreKv(int64_t layer, const BatchToken& bt, const float* k, const float* v);
  // y[t] += sum of the LoRA terms of token t's sequence for (layer, target), per token.
  void ApplyLora(ThreadPool& pool, int64_t layer, LoraTarget target, const float* x, int64_t n_in,
                 float* y, int64_t n_out, const BatchToken* b, int64_t n);

  const Hparams& hp_;
  const Weights& w_;
  const int64_t n_ctx_;
  const int n_seq_;
  const int64_t n_batch_;
  const DType kv_type_;
  const bool embeddings_;  // logits_ holds final-normed hidden states (n_embd per row) instead
  size_t elem_size_ = 4;
  RopeParams rope_;

  std::vector<int64_t> seq_len_, seq_next_;
  std::unique_ptr<uint8_t[]> k_cache_, v_cache_;

  // Scratch, sized for n_batch tokens: residual, normed input, q/k/v, attention output,
  // projection output, FFN gate/up, RoPE cos/sin, final-norm rows that need logits.
  std::vector<float> x_, xn_, q_, k_, v_, att_, tmp_, gate_, up_, rope_cs_, out_in_;
  std::vector<std::vector<float>> scores_;  // per thread, n_ctx
  std::vector<float> logits_;
  int n_logits_ = 0;
  const BatchToken* cur_batch_ = nullptr;  // the chunk being processed (for task lambdas)
  int64_t cur_layer_ = 0;

  // LoRA: each sequence's resolved adapters (null = none); sequences set together share one.
  std::vector<std::shared_ptr<const LoraSet>> seq_lora_;
  bool any_lora_ = false;
  int64_t lora_max_rank_ = 0;
  std::vector<float> lora_tmp_;  // n_batch * lora_max_rank_: A x per token
};

Status ContextImpl::SetLoras(int seq, std::vector<AppliedLora> loras) {
  if (seq < -1 || seq >= n_seq_) {
    return InvalidArgumentError(StrFormat(
        "model: SetLoras: sequence id %d is out of range (-1 = all, or 0..%d)", seq, n_seq_ - 1));
  }
  std::shared_ptr<LoraSet> set;
  if (!loras.empty()) {
    set = std::make_shared<LoraSet>();
    set->terms.resize(static_cast<size_t>(hp_.n_layer * kNumLoraTargets));
    for (size_t i = 0; i < loras.size(); ++i) {
      const AppliedLora& al = loras[i];
      if (al.adapter == nullptr) {
        return InvalidArgumentError(StrFormat("model: LoRA adapter %zu is null", i));
      }
      RETURN_IF_ERROR(ValidateLoraAdapter(*al.adapter, hp_).WithPrefix(
          StrFormat("model: LoRA adapter %zu does not fit the model", i)));
      const float scale = al.adapter->scale() * al.multiplier;
      if (scale == 0.0f) continue;
      for (const LoraPair& p : al.adapter->pairs) {
        set->terms[static_cast<size_t>(p.layer * kNumLoraTargets + static_cast<int>(p.target))]
            .push_back({p.a.data(), p.b.data(), al.adapter->rank, scale});
      }
      set->max_rank = std::max(set->max_rank, al.adapter->rank);
    }
    set->loras = std::move(loras);
  }
  for (int s = 0; s < n_seq_; ++s) {
    if (seq == -1 || s == seq) seq_lora_[static_cast<size_t>(s)] = set;
  }
  any_lora_ = false;
  lora_max_rank_ = 0;
  for (const auto& p : seq_lora_) {
    if (p == nullptr) continue;
    any_lora_ = true;
    lora_max_rank_ = std::max(lora_max_rank_, p->max_rank);
  }
  const size_t need = static_cast<size_t>(n_batch_ * lora_max_rank_);
  if (lora_tmp_.size() < need) lora_tmp_.resize(need);
  return Status::Ok();
}

void ContextImpl::ApplyLora(ThreadPool& pool, int64_t layer, LoraTarget target, const float* x,
                            int64_t n_in, float* y, int64_t n_out, const BatchToken* b,
                            int64_t n) {
  const size_t slot = static_cast<size_t>(layer * kNumLoraTargets + static_cast<int>(target));
  auto one = [&](int64_t t) {
    const LoraSet* set = seq_lora_[static_cast<size_t>(b[t].seq)].get();
    if (set == nullptr) return;
    const float* xt = x + t * n_in;
    float* yt = y + t * n_out;
    float* u = lora_tmp_.data() + t * lora_max_rank_;
    for (const LoraTerm& term : set->terms[slot]) {
      for (int64_t k = 0; k < term.rank; ++k) u[k] = term.scale * Dot(term.a + k * n_in, xt, n_in);
      for (int64_t j = 0; j < n_out; ++j) yt[j] += Dot(term.b + j * term.rank, u, term.rank);
    }
  };
  if (n > 1) {
    pool.ParallelFor(n, [&one](int64_t t, int) { one(t); });
    return;
  }
  // One token (generation): split each term's A x over rank entries and B u over row blocks when
  // the work outweighs a pool round trip. Every output is computed by the same expression as in
  // `one`, so results stay bit-identical to the batched path.
  const LoraSet* set = seq_lora_[static_cast<size_t>(b[0].seq)].get();
  if (set == nullptr) return;
  float* u = lora_tmp_.data();
  for (const LoraTerm& term : set->terms[slot]) {
    if (pool.size() == 1 || term.rank * (n_in + n_out) < kLoraParallelWork) {
      for (int64_t k = 0; k < term.rank; ++k) u[k] = term.scale * Dot(term.a + k * n_in, x, n_in);
      for (int64_t j = 0; j < n_out; ++j) y[j] += Dot(term.b + j * term.rank, u, term.rank);
      continue;
    }
    pool.ParallelFor(term.rank, [&](int64_t k, int) {
      u[k] = term.scale * Dot(term.a + k * n_in, x, n_in);
    });
    constexpr int64_t kRows = 64;
    pool.ParallelFor((n_out + kRows - 1) / kRows, [&](int64_t blk, int) {
      for (int64_t j = blk * kRows; j < std::min(n_out, (blk + 1) * kRows); ++j) {
        y[j] += Dot(term.b + j * term.rank, u, term.rank);
      }
    });
  }
}

Status ContextImpl::Init() {
  elem_size_ = kv_type_ == DType::kF16 ? 2 : 4;
  const size_t n_kv = static_cast<size_t>(hp_.n_layer) * static_cast<size_t>(n_seq_) *
                      static_cast<size_t>(n_ctx_) * static_cast<size_t>(hp_.n_embd_kv());
  const size_t bytes = n_kv * elem_size_;
  // Uninitialized: pages are committed only when a sequence reaches them.
  k_cache_.reset(new (std::nothrow) uint8_t[bytes]);
  v_cache_.reset(new (std::nothrow) uint8_t[bytes]);
  if (!k_cache_ || !v_cache_) {
    return ResourceExhaustedError(StrFormat(
        "model: cannot allocate a KV cache of 2 x %.1f MiB (n_ctx=%lld, n_seq=%d); lower -c",
        static_cast<double>(bytes) / (1 << 20), static_cast<long long>(n_ctx_), n_seq_));
  }
  seq_len_.assign(static_cast<size_t>(n_seq_), 0);
  seq_lora_.assign(static_cast<size_t>(n_seq_), nullptr);
  seq_next_.assign(static_cast<size_t>(n_seq_), 0);
  const size_t nb = static_cast<size_t>(n_batch_);
  x_.resize(nb * static_cast<size_t>(hp_.n_embd));
  xn_.resize(x_.size());
  tmp_.resize(x_.size());
  out_in_.resize(x_.size());
  q_.resize(nb * static_cast<size_t>(hp_.n_embd_q()));
  att_.resize(q_.size());
  k_.resize(nb * static_cast<size_t>(hp_.n_embd_kv()));
  v_.resize(k_.size());
  gate_.resize(nb * static_cast<size_t>(hp_.n_ff));
  up_.resize(gate_.size());
  rope_cs_.resize(nb * static_cast<size_t>(std::max<int64_t>(hp_.n_rot, 2)));

  rope_.n_rot = hp_.n_rot;
  rope_.freq_base = hp_.rope_freq_base;
  rope_.freq_scale = (hp_.rope_scaling_type == "linear" && hp_.rope_scale_factor > 0.0f)
                         ? 1.0f / hp_.rope_scale_factor
                         : 1.0f;
  rope_.freq_factors = w_.rope_freqs.empty() ? nullptr : w_.rope_freqs.data();
  rope_.neox = hp_.rope_neox;
  return Status::Ok();
}

Status ContextImpl::Validate(std::span<const BatchToken> batch) {
  if (batch.empty()) return InvalidArgumentError("model: Decode called with an empty batch");
  std::copy(seq_len_.begin(), seq_len_.end(), seq_next_.begin());
  for (size_t i = 0; i < batch.size(); ++i) {
    const BatchToken& bt = batch[i];
    if (bt.seq < 0 || bt.seq >= n_seq_) {
      return InvalidArgumentError(StrFormat(
          "model: batch token %zu has sequence id %d, but the context has %d sequence(s) (0..%d)",
          i, bt.seq, n_seq_, n_seq_ - 1));
    }
    if (bt.token < 0 || bt.token >= hp_.n_vocab) {
      return InvalidArgumentError(StrFormat(
          "model: token id %d (batch index %zu) is out of range: the vocabulary has %lld tokens",
          bt.token, i, static_cast<long long>(hp_.n_vocab)));
    }
    int64_t& next = seq_next_[static_cast<size_t>(bt.seq)];
    if (bt.pos != next) {
      return InvalidArgumentError(StrFormat(
          "model: batch token %zu of sequence %d has position %d, expected %lld (positions must "
          "continue the sequence's cache in order)",
          i, bt.seq, bt.pos, static_cast<long long>(next)));
    }
    ++next;
  }
  for (int s = 0; s < n_seq_; ++s) {
    if (seq_next_[static_cast<size_t>(s)] > n_ctx_) {
      return OutOfRangeError(StrFormat(
          "prompt of %lld tokens exceeds the context size %lld; use -c to raise it",
          static_cast<long long>(seq_next_[static_cast<size_t>(s)]),
          static_cast<long long>(n_ctx_)));
    }
  }
  return Status::Ok();
}

Status ContextImpl::Decode(ThreadPool& pool, std::span<const BatchToken> batch) {
  RETURN_IF_ERROR(Validate(batch));
  int n_out = 0;
  for (const BatchToken& bt : batch) n_out += bt.logits ? 1 : 0;
  const size_t need = static_cast<size_t>(n_out) * static_cast<size_t>(embeddings_ ? hp_.n_embd : hp_.n_vocab);
  if (logits_.size() < need) logits_.resize(need);
  n_logits_ = n_out;
  if (scores_.size() < static_cast<size_t>(pool.size())) scores_.resize(static_cast<size_t>(pool.size()));
  for (auto& s : scores_) {
    if (s.size() < static_cast<size_t>(n_ctx_)) s.resize(static_cast<size_t>(n_ctx_));
  }
  int logit_base = 0;
  for (size_t start = 0; start < batch.size(); start += static_cast<size_t>(n_batch_)) {
    const int64_t n = std::min<int64_t>(n_batch_, static_cast<int64_t>(batch.size() - start));
    Forward(pool, batch.data() + start, n, logit_base);
    for (int64_t t = 0; t < n; ++t) logit_base += batch[start + static_cast<size_t>(t)].logits;
  }
  std::copy(seq_next_.begin(), seq_next_.end(), seq_len_.begin());
  return Status::Ok();
}

void ContextImpl::StoreKv(int64_t layer, const BatchToken& bt, const float* k, const float* v) {
  const int64_t kv = hp_.n_embd_kv();
  const size_t off = CacheOffset(layer, bt.seq, bt.pos);
  if (kv_type_ == DType::kF16) {
    uint16_t* kc = reinterpret_cast<uint16_t*>(k_cache_.get()) + off;
    uint16_t* vc = reinterpret_cast<uint16_t*>(v_cache_.get()) + off;
    for (int64_t i = 0; i < kv; ++i) {
      kc[i] = tensor::F32ToF16(k[i]);
      vc[i] = tensor::F32ToF16(v[i]);
    }
  } else {
    std::memcpy(reinterpret_cast<float*>(k_cache_.get()) + off, k, static_cast<size_t>(kv) * 4);
    std::memcpy(reinterpret_cast<float*>(v_cache_.get()) + off, v, static_cast<size_t>(kv) * 4);
  }
}

// One (token, head): scaled dot products against the sequence's cached keys up to the token's
// position (causal, optionally windowed), softmax, weighted sum of the cached values.
void ContextImpl::Attention(int64_t layer, int64_t t, int64_t h, int thread) {
  const BatchToken& bt = cur_batch_[t];
  const int64_t hd = hp_.head_dim();
  const int64_t kv = hp_.n_embd_kv();
  const int64_t kvh = h / (hp_.n_head / hp_.n_head_kv);
  const float* q = q_.data() + t * hp_.n_embd_q() + h * hd;
  float* out = att_.data() + t * hp_.n_embd_q() + h * hd;
  float* s = scores_[static_cast<size_t>(thread)].data();
  const int64_t last = bt.pos;
  const int64_t first = hp_.n_swa > 0 ? std::max<int64_t>(0, last - hp_.n_swa + 1) : 0;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const size_t base = CacheOffset(layer, bt.seq, 0) + static_cast<size_t>(kvh * hd);

  float mx = -INFINITY;
  if (kv_type_ == DType::kF16) {
    const uint16_t* kc = reinterpret_cast<const uint16_t*>(k_cache_.get()) + base;
    for (int64_t p = first; p <= last; ++p) {
      s[p] = DotF16(q, kc + p * kv, hd) * scale;
      mx = std::max(mx, s[p]);
    }
  } else {
    const float* kc = reinterpret_cast<const float*>(k_cache_.get()) + base;
    for (int64_t p = first; p <= last; ++p) {
      s[p] = Dot(q, kc + p * kv, hd) * scale;
      mx = std::max(mx, s[p]);
    }
  }
  double sum = 0.0;
  for (int64_t p = first; p <= last; ++p) {
    s[p] = std::exp(s[p] - mx);
    sum += s[p];
  }
  const float inv = static_cast<float>(1.0 / sum);
  std::fill(out, out + hd, 0.0f);
  if (kv_type_ == DType::kF16) {
    const uint16_t* vc = reinterpret_cast<const uint16_t*>(v_cache_.get()) + base;
    for (int64_t p = first; p <= last; ++p) AxpyF16(s[p] * inv, vc + p * kv, out, hd);
  } else {
    const float* vc = reinterpret_cast<const float*>(v_cache_.get()) + base;
    for (int64_t p = first; p <= last; ++p) Axpy(s[p] * inv, vc + p * kv, out, hd);
  }
}

void ContextImpl::Forward(ThreadPool& pool, const BatchToken* b, int64_t n, int logit_base) {
  const int64_t C = hp_.n_embd, Q = hp_.n_embd_q(), KV = hp_.n_embd_kv(), F = hp_.n_ff;
  const int64_t hd = hp_.head_dim(), H = hp_.n_head, Hkv = hp_.n_head_kv;
  const int64_t R = std::max<int64_t>(hp_.n_rot, 2);
  cur_batch_ = b;
  // Per-token work is cheap; run it in the pool only when there are several tokens.
  auto per_token = [&](auto&& fn) {
    if (n == 1) {
      fn(int64_t{0});
    } else {
      pool.ParallelFor(n, [&fn](int64_t t, int) { fn(t); });
    }
  };

  per_token([&](int64_t t) {
    tensor::GetRow(w_.tok_embd, b[t].token, x_.data() + t * C);
    if (hp_.n_rot > 0) RopeCosSin(rope_, b[t].pos, rope_cs_.data() + t * R);
  });

  for (int64_t l = 0; l < hp_.n_layer; ++l) {
    const LayerWeights& lw = w_.layers[static_cast<size_t>(l)];
    per_token([&](int64_t t) {
      RmsNorm(x_.data() + t * C, lw.attn_norm.data(), xn_.data() + t * C, C, hp_.norm_eps);
    });
    tensor::MatMul(pool, lw.wq, xn_.data(), C, n, q_.data(), Q);
    tensor::MatMul(pool, lw.wk, xn_.data(), C, n, k_.data(), KV);
    tensor::MatMul(pool, lw.wv, xn_.data(), C, n, v_.data(), KV);
    if (any_lora_) {
      ApplyLora(pool, l, LoraTarget::kQ, xn_.data(), C, q_.data(), Q, b, n);
      ApplyLora(pool, l, LoraTarget::kK, xn_.data(), C, k_.data(), KV, b, n);
      ApplyLora(pool, l, LoraTarget::kV, xn_.data(), C, v_.data(), KV, b, n);
    }
    per_token([&](int64_t t) {
      float* q = q_.data() + t * Q;
      float* k = k_.data() + t * KV;
      float* v = v_.data() + t * KV;
      if (!lw.bq.empty()) for (int64_t i = 0; i < Q; ++i) q[i] += lw.bq[static_cast<size_t>(i)];
      if (!lw.bk.empty()) for (int64_t i = 0; i < KV; ++i) k[i] += lw.bk[static_cast<size_t>(i)];
      if (!lw.bv.empty()) for (int64_t i = 0; i < KV; ++i) v[i] += lw.bv[static_cast<size_t>(i)];
      if (hp_.n_rot > 0) {
        const float* cs = rope_cs_.data() + t * R;
        ApplyRope(rope_, cs, q, H, hd);
        ApplyRope(rope_, cs, k, Hkv, hd);
      }
      StoreKv(l, b[t], k, v);
    });
    const int64_t n_tasks = n * H;
    if (n_tasks == 1) {
      Attention(l, 0, 0, 0);
    } else {
      cur_layer_ = l;
      pool.ParallelFor(n_tasks, [this](int64_t task, int thread) {
        Attention(cur_layer_, task / hp_.n_head, task % hp_.n_head, thread);
      });
    }
    tensor::MatMul(pool, lw.wo, att_.data(), Q, n, tmp_.data(), C);
    if (any_lora_) ApplyLora(pool, l, LoraTarget::kO, att_.data(), Q, tmp_.data(), C, b, n);
    for (int64_t i = 0; i < n * C; ++i) x_[static_cast<size_t>(i)] += tmp_[static_cast<size_t>(i)];

    per_token([&](int64_t t) {
      RmsNorm(x_.data() + t * C, lw.ffn_norm.data(), xn_.data() + t * C, C, hp_.norm_eps);
    });
    tensor::MatMul(pool, lw.gate, xn_.data(), C, n, gate_.data(), F);
    tensor::MatMul(pool, lw.up, xn_.data(), C, n, up_.data(), F);
    if (any_lora_) {
      ApplyLora(pool, l, LoraTarget::kGate, xn_.data(), C, gate_.data(), F, b, n);
      ApplyLora(pool, l, LoraTarget::kUp, xn_.data(), C, up_.data(), F, b, n);
    }
    per_token([&](int64_t t) {
      float* g = gate_.data() + t * F;
      const float* u = up_.data() + t * F;
      for (int64_t i = 0; i < F; ++i) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];  // SiLU(g)*u
    });
    tensor::MatMul(pool, lw.down, gate_.data(), F, n, tmp_.data(), C);
    if (any_lora_) ApplyLora(pool, l, LoraTarget::kDown, gate_.data(), F, tmp_.data(), C, b, n);
    for (int64_t i = 0; i < n * C; ++i) x_[static_cast<size_t>(i)] += tmp_[static_cast<size_t>(i)];
  }

  // Final norm and output projection only for tokens whose logits were requested.
  int64_t n_out = 0;
  for (int64_t t = 0; t < n; ++t) {
    if (!b[t].logits) continue;
    RmsNorm(x_.data() + t * C, w_.output_norm.data(), out_in_.data() + n_out * C, C, hp_.norm_eps);
    ++n_out;
  }
  if (n_out > 0 && embeddings_) {
    std::copy(out_in_.data(), out_in_.data() + n_out * C,
              logits_.data() + static_cast<size_t>(logit_base) * static_cast<size_t>(C));
  } else if (n_out > 0) {
    tensor::MatMul(pool, w_.output, out_in_.data(), C, n_out,
                   logits_.data() + static_cast<size_t>(logit_base) * static_cast<size_t>(hp_.n_vocab),
                   hp_.n_vocab);
  }
  cur_batch_ = nullptr;
}

}  // namespace

Result<std::unique_ptr<Context>> Context::Create(const Model& model, const ContextOptions& opts) {
  const auto* m = dynamic_cast<const ModelImpl*>(&model);
  if (m == nullptr) return InvalidArgumentError("model: Context::Create needs a loaded Model");
  const Hparams& hp = m->hparams();
  int64_t n_ctx = opts.n_ctx > 0 ? opts.n_ctx : std::min<int64_t>(hp.n_ctx_train, 4096);
  if (opts.n_ctx < 0) return InvalidArgumentError("model: n_ctx must be >= 0 (0 = default)");
  if (n_ctx > (int64_t{1} << 30)) {
    return InvalidArgumentError(StrFormat("model: n_ctx %lld is too large",
                                          static_cast<long long>(n_ctx)));
  }
  if (opts.n_seq < 1 || opts.n_seq > 65536) {
    return InvalidArgumentError(StrFormat("model: n_seq must be in [1, 65536], got %d", opts.n_seq));
  }
  if (opts.n_batch < 1 || opts.n_batch > (int64_t{1} << 20)) {
    return InvalidArgumentError(StrFormat("model: n_batch must be in [1, 2^20], got %lld",
                                          static_cast<long long>(opts.n_batch)));
  }
  if (opts.kv_type != DType::kF32 && opts.kv_type != DType::kF16) {
    return InvalidArgumentError(std::string("model: KV cache type must be F32 or F16, got ") +
                                tensor::Traits(opts.kv_type).name);
  }
  auto ctx = std::make_unique<ContextImpl>(*m, opts, n_ctx);
  RETURN_IF_ERROR(ctx->Init());
  if (!opts.loras.empty()) RETURN_IF_ERROR(ctx->SetLoras(-1, opts.loras));
  return std::unique_ptr<Context>(std::move(ctx));
}

Result<const float*> Context::Eval(ThreadPool& pool, std::span<const int32_t> tokens, int seq) {
  if (tokens.empty()) return InvalidArgumentError("model: Eval called with no tokens");
  if (seq < 0 || seq >= n_seq()) {
    return InvalidArgumentError(StrFormat("model: sequence id %d is out of range (0..%d)", seq,
                                          n_seq() - 1));
  }
  eval_batch_.resize(tokens.size());
  const int64_t start = SeqLength(seq);
  for (size_t i = 0; i < tokens.size(); ++i) {
    eval_batch_[i] = BatchToken{tokens[i], static_cast<int32_t>(start + static_cast<int64_t>(i)),
                                seq, i + 1 == tokens.size()};
  }
  RETURN_IF_ERROR(Decode(pool, eval_batch_));
  return Logits(0);
}

}  // namespace sangam::model
