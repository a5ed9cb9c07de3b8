// TrainGraph: the Llama forward/backward over full, LoRA and extra-row parameters.
#include "sangam/train_graph.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "model/model_impl.h"
#include "sangam/train_ops.h"
#include "train/linear.h"

namespace sangam::train {
namespace {

using model::LoraTarget;

constexpr LoraTarget kAllTargets[] = {LoraTarget::kQ,    LoraTarget::kK,  LoraTarget::kV,
                                      LoraTarget::kO,    LoraTarget::kGate, LoraTarget::kUp,
                                      LoraTarget::kDown};
constexpr int kNumTargets = 7;

uint64_t SplitMix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Dropout keep decision for element `idx` of pair `pair` at micro-step `micro`.
bool Keep(uint64_t seed, int64_t micro, int pair, int64_t idx, float p) {
  const uint64_t h = SplitMix(SplitMix(SplitMix(seed ^ 0x6c6f7261ull) + static_cast<uint64_t>(micro)) +
                              (static_cast<uint64_t>(pair) << 40) + static_cast<uint64_t>(idx));
  const double u = static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
  return u >= static_cast<double>(p);
}

// A vector (norm weight or bias): frozen copy or trainable param.
struct Vec {
  std::vector<float> frozen;
  int param = -1;
  bool present() const { return param >= 0 || !frozen.empty(); }
};

// A weight matrix: frozen base view, optional full param, optional LoRA pair.
struct Mat {
  tensor::MatrixView base;
  int param = -1;
  int lora_a = -1, lora_b = -1;
  int pair_id = 0;
};

struct LayerParams {
  Vec attn_norm, ffn_norm, bq, bk, bv;
  Mat m[kNumTargets];  // indexed by LoraTarget
};

struct LoraActs {
  std::vector<float> xd;  // dropped-out input (N, in), only with dropout
  std::vector<float> h;   // A xd (N, r)
};

struct Acts {
  std::vector<float> x_in, xn1, rstd1, q, k, v, probs, att, x_mid, xn2, rstd2, gate, up, act;
  LoraActs lora[kNumTargets];
};

void Resize(std::vector<float>& v, int64_t n) { v.resize(static_cast<size_t>(n)); }

}  // namespace

struct TrainGraph::Impl {
  GraphConfig cfg;
  model::Hparams hp;
  const model::ModelImpl* base = nullptr;
  std::vector<Param> params;
  Mat tok_embd, output;
  int embd_rows = -1, output_rows = -1;  // extra-row params
  Vec output_norm;
  std::vector<LayerParams> layers;
  RopeConfig rope;
  float lora_scale = 0.0f;
  int64_t micro = 0;

  // Per-call state.
  int64_t B = 0, T = 0, N = 0;
  std::vector<int32_t> pos;
  std::vector<Acts> acts;  // per layer (one when recomputing)
  std::vector<float> x_final, xf, rstdf, logits;
  std::vector<float> g_x, g_tmp, g_xn, g_att, g_q, g_k, g_v, g_gate, g_up, g_act, g_dys, g_dh,
      g_lx, tmp, tmp2, norm_grad_scratch;
  LinearScratch ls;

  const float* VecData(const Vec& v) const {
    return v.param >= 0 ? params[static_cast<size_t>(v.param)].data.data() : v.frozen.data();
  }
  float* VecGrad(Vec& v) {
    if (v.param >= 0) return params[static_cast<size_t>(v.param)].grad.data();
    norm_grad_scratch.assign(v.frozen.size(), 0.0f);
    return norm_grad_scratch.data();
  }
  tensor::MatrixView View(const Mat& m) const {
    if (m.param < 0) return m.base;
    return F32View(params[static_cast<size_t>(m.param)].data.data(), m.base.rows, m.base.cols);
  }
  int64_t LoraRank() const { return cfg.lora.rank; }

  int AddParam(std::string name, std::vector<int64_t> shape, bool norm_or_emb) {
    Param p;
    p.name = std::move(name);
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    p.shape = std::move(shape);
    p.data.assign(static_cast<size_t>(n), 0.0f);
    p.grad.assign(static_cast<size_t>(n), 0.0f);
    p.is_norm_or_embedding = norm_or_emb;
    params.push_back(std::move(p));
    return static_cast<int>(params.size() - 1);
  }

  int FullMat(const std::string& name, const tensor::MatrixView& v, bool emb) {
    const int id = AddParam(name, {v.rows, v.cols}, emb);
    float* d = params[static_cast<size_t>(id)].data.data();
    for (int64_t r = 0; r < v.rows; ++r) tensor::GetRow(v, r, d + r * v.cols);
    return id;
  }
  int FullVec(const std::string& name, const std::vector<float>& src) {
    const int id = AddParam(name, {static_cast<int64_t>(src.size())}, true);
    params[static_cast<size_t>(id)].data = src;
    return id;
  }

  void InitLora(Mat& m, LoraTarget t, int64_t layer, int pair_id) {
    const std::string name = model::LoraTargetTensorName(t, layer);
    const int64_t r = cfg.lora.rank, in = m.base.cols, out = m.base.rows;
    m.lora_a = AddParam(name + ".lora_a", {r, in}, false);
    m.lora_b = AddParam(name + ".lora_b", {out, r}, false);
    m.pair_id = pair_id;
    // PEFT: A ~ kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)); B = 0.
    sample::Rng rng(SplitMix(cfg.seed * 0x100000001b3ull + static_cast<uint64_t>(pair_id) + 1));
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    for (float& a : params[static_cast<size_t>(m.lora_a)].data) {
      a = static_cast<float>((2.0 * rng.Uniform() - 1.0) * bound);
    }
  }

  // ---- Forward pieces ----------------------------------------------------------------------

  void MatForward(ThreadPool& pool, const Mat& m, const float* x, float* y, LoraActs* la) {
    MatMulFwd(pool, View(m), x, N, y, m.base.rows, ls);
    if (m.lora_a < 0) return;
    const int64_t in = m.base.cols, out = m.base.rows, r = LoraRank();
    const float* xin = x;
    if (cfg.lora.dropout > 0.0f) {
      Resize(la->xd, N * in);
      const float p = cfg.lora.dropout, inv = 1.0f / (1.0f - p);
      const uint64_t seed = cfg.seed;
      const int64_t micro_now = micro;
      const int pair = m.pair_id;
      float* xd = la->xd.data();
      pool.ParallelFor(N, [&](int64_t t, int) {
        for (int64_t i = 0; i < in; ++i) {
          const int64_t idx = t * in + i;
          xd[idx] = Keep(seed, micro_now, pair, idx, p) ? x[idx] * inv : 0.0f;
        }
      });
      xin = xd;
    }
    Resize(la->h, N * r);
    MatMulFwd(pool, F32View(params[static_cast<size_t>(m.lora_a)].data.data(), r, in), xin, N,
              la->h.data(), r, ls);
    Resize(tmp, N * out);
    MatMulFwd(pool, F32View(params[static_cast<size_t>(m.lora_b)].data.data(), out, r),
              la->h.data(), N, tmp.data(), out, ls);
    const float s = lora_scale;
    for (int64_t i = 0; i < N * out; ++i) y[i] += s * tmp[static_cast<size_t>(i)];
  }

  static void AddBias(const float* b, float* y, int64_t n_rows, int64_t n) {
    for (int64_t t = 0; t < n_rows; ++t) {
      for (int64_t i = 0; i < n; ++i) y[t * n + i] += b[i];
    }
  }

  void LayerForward(ThreadPool& pool, int64_t l, Acts& a) {
    LayerParams& lp = layers[static_cast<size_t>(l)];
    const int64_t C = hp.n_embd, Q = hp.n_embd_q(), KV = hp.n_embd_kv(), F = hp.n_ff;
    const int64_t H = hp.n_head, Hkv = hp.n_head_kv, D = hp.head_dim();
    Resize(a.xn1, N * C);
    Resize(a.rstd1, N);
    Resize(a.q, N * Q);
    Resize(a.k, N * KV);
    Resize(a.v, N * KV);
    Resize(a.probs, B * H * T * T);
    Resize(a.att, N * Q);
    Resize(a.x_mid, N * C);
    Resize(a.xn2, N * C);
    Resize(a.rstd2, N);
    Resize(a.gate, N * F);
    Resize(a.up, N * F);
    Resize(a.act, N * F);
    RmsNormForward(a.x_in.data(), VecData(lp.attn_norm), N, C, hp.norm_eps, a.xn1.data(),
                   a.rstd1.data());
    MatForward(pool, lp.m[0], a.xn1.data(), a.q.data(), &a.lora[0]);
    MatForward(pool, lp.m[1], a.xn1.data(), a.k.data(), &a.lora[1]);
    MatForward(pool, lp.m[2], a.xn1.data(), a.v.data(), &a.lora[2]);
    if (lp.bq.present()) AddBias(VecData(lp.bq), a.q.data(), N, Q);
    if (lp.bk.present()) AddBias(VecData(lp.bk), a.k.data(), N, KV);
    if (lp.bv.present()) AddBias(VecData(lp.bv), a.v.data(), N, KV);
    if (rope.n_rot > 0) {
      RopeForward(rope, pos.data(), N, H, D, a.q.data());
      RopeForward(rope, pos.data(), N, Hkv, D, a.k.data());
    }
    const AttentionShape shape{T, H, Hkv, D};
    for (int64_t b = 0; b < B; ++b) {
      AttentionForward(pool, shape, a.q.data() + b * T * Q, a.k.data() + b * T * KV,
                       a.v.data() + b * T * KV, a.att.data() + b * T * Q,
                       a.probs.data() + b * H * T * T);
    }
    MatForward(pool, lp.m[3], a.att.data(), a.x_mid.data(), &a.lora[3]);
    for (int64_t i = 0; i < N * C; ++i) a.x_mid[static_cast<size_t>(i)] += a.x_in[static_cast<size_t>(i)];
    RmsNormForward(a.x_mid.data(), VecData(lp.ffn_norm), N, C, hp.norm_eps, a.xn2.data(),
                   a.rstd2.data());
    MatForward(pool, lp.m[4], a.xn2.data(), a.gate.data(), &a.lora[4]);
    MatForward(pool, lp.m[5], a.xn2.data(), a.up.data(), &a.lora[5]);
    SwiGluForward(a.gate.data(), a.up.data(), N * F, a.act.data());
  }

  // out = layer output (N, C) from the activations.
  void LayerOutput(ThreadPool& pool, int64_t l, Acts& a, float* out) {
    LayerParams& lp = layers[static_cast<size_t>(l)];
    const int64_t C = hp.n_embd;
    MatForward(pool, lp.m[6], a.act.data(), out, &a.lora[6]);
    for (int64_t i = 0; i < N * C; ++i) out[i] += a.x_mid[static_cast<size_t>(i)];
  }

  Status Validate(const Batch& batch) const {
    if (batch.batch <= 0 || batch.ctx <= 0 ||
        batch.inputs.size() != static_cast<size_t>(batch.batch) * static_cast<size_t>(batch.ctx) ||
        batch.targets.size() != batch.inputs.size()) {
      return InvalidArgumentError("train: malformed batch (sizes do not match batch x ctx)");
    }
    for (size_t i = 0; i < batch.inputs.size(); ++i) {
      if (batch.inputs[i] < 0 || batch.inputs[i] >= hp.n_vocab) {
        return InvalidArgumentError(StrFormat("train: input token %d at position %zu is outside "
                                              "the vocabulary [0, %lld)", batch.inputs[i], i,
                                              static_cast<long long>(hp.n_vocab)));
      }
      const int32_t t = batch.targets[i];
      if (t != kIgnoreIndex && (t < 0 || t >= hp.n_vocab)) {
        return InvalidArgumentError(StrFormat("train: target %d at position %zu is outside the "
                                              "vocabulary [0, %lld)", t, i,
                                              static_cast<long long>(hp.n_vocab)));
      }
    }
    if (hp.n_swa > 0 && batch.ctx > hp.n_swa) {
      return UnimplementedError(StrFormat(
          "train: the model uses sliding-window attention (%lld tokens); training windows longer "
          "than that (--ctx %d) are not supported", static_cast<long long>(hp.n_swa), batch.ctx));
    }
    return Status::Ok();
  }

  // Full forward to logits (N, V). Keeps activations per layer unless recomputing.
  void Forward(ThreadPool& pool, const Batch& batch) {
    B = batch.batch;
    T = batch.ctx;
    N = B * T;
    const int64_t C = hp.n_embd, V = hp.n_vocab, L = hp.n_layer;
    pos.resize(static_cast<size_t>(N));
    for (int64_t i = 0; i < N; ++i) pos[static_cast<size_t>(i)] = static_cast<int32_t>(i % T);
    acts.resize(cfg.recompute ? static_cast<size_t>(L + 1) : static_cast<size_t>(L));
    // Embedding.
    std::vector<float>& x0 = acts[0].x_in;
    Resize(x0, N * C);
    pool.ParallelFor(N, [&](int64_t t, int) { EmbedRow(batch.inputs[static_cast<size_t>(t)], x0.data() + t * C); });
    Resize(x_final, N * C);
    for (int64_t l = 0; l < L; ++l) {
      Acts& a = cfg.recompute ? acts[static_cast<size_t>(L)] : acts[static_cast<size_t>(l)];
      if (cfg.recompute) a.x_in = acts[static_cast<size_t>(l)].x_in;
      LayerForward(pool, l, a);
      float* out = l + 1 < L ? (Resize(acts[static_cast<size_t>(l + 1)].x_in, N * C),
                                acts[static_cast<size_t>(l + 1)].x_in.data())
                             : x_final.data();
      LayerOutput(pool, l, a, out);
    }
    Resize(xf, N * C);
    Resize(rstdf, N);
    RmsNormForward(x_final.data(), VecData(output_norm), N, C, hp.norm_eps, xf.data(), rstdf.data());
    Resize(logits, N * V);
    if (output_rows >= 0) {
      const int64_t from = cfg.rows_from;
      tensor::MatrixView head = View(output);
      head.rows = from;
      MatMulFwd(pool, head, xf.data(), N, logits.data(), V, ls);
      MatMulFwd(pool, F32View(params[static_cast<size_t>(output_rows)].data.data(), V - from, C),
                xf.data(), N, logits.data() + from, V, ls);
    } else {
      MatMulFwd(pool, View(output), xf.data(), N, logits.data(), V, ls);
    }
  }

  void EmbedRow(int32_t token, float* out) const {
    const int64_t C = hp.n_embd;
    if (embd_rows >= 0 && token >= cfg.rows_from) {
      const float* src = params[static_cast<size_t>(embd_rows)].data.data() + (token - cfg.rows_from) * C;
      std::copy(src, src + C, out);
      return;
    }
    tensor::GetRow(View(tok_embd), token, out);
  }

  // ---- Backward pieces ---------------------------------------------------------------------

  // dx (N, in) = gradient wrt x through m (overwritten unless accumulate); parameter gradients
  // accumulated. x is the input the forward saw; dy (N, out).
  void MatBackward(ThreadPool& pool, Mat& m, const float* x, const float* dy, float* dx,
                   bool accumulate, LoraActs& la) {
    const int64_t in = m.base.cols, out = m.base.rows;
    if (m.param >= 0) {
      MatMulBwdW(pool, dy, out, x, N, in, out, params[static_cast<size_t>(m.param)].grad.data(), ls);
    }
    MatMulBwdX(pool, View(m), dy, out, N, dx, accumulate, ls);
    if (m.lora_a < 0) return;
    const int64_t r = LoraRank();
    Param& pa = params[static_cast<size_t>(m.lora_a)];
    Param& pb = params[static_cast<size_t>(m.lora_b)];
    Resize(g_dys, N * out);
    for (int64_t i = 0; i < N * out; ++i) g_dys[static_cast<size_t>(i)] = lora_scale * dy[i];
    const float* xin = cfg.lora.dropout > 0.0f ? la.xd.data() : x;
    MatMulBwdW(pool, g_dys.data(), out, la.h.data(), N, r, out, pb.grad.data(), ls);
    Resize(g_dh, N * r);
    MatMulBwdX(pool, F32View(pb.data.data(), out, r), g_dys.data(), out, N, g_dh.data(), false, ls);
    MatMulBwdW(pool, g_dh.data(), r, xin, N, in, r, pa.grad.data(), ls);
    Resize(g_lx, N * in);
    MatMulBwdX(pool, F32View(pa.data.data(), r, in), g_dh.data(), r, N, g_lx.data(), false, ls);
    if (cfg.lora.dropout > 0.0f) {
      const float p = cfg.lora.dropout, inv = 1.0f / (1.0f - p);
      const uint64_t seed = cfg.seed;
      const int64_t micro_now = micro;
      const int pair = m.pair_id;
      float* lx = g_lx.data();
      pool.ParallelFor(N, [&](int64_t t, int) {
        for (int64_t i = 0; i < in; ++i) {
          const int64_t idx = t * in + i;
          lx[idx] = Keep(seed, micro_now, pair, idx, p) ? lx[idx] * inv : 0.0f;
        }
      });
    }
    for (int64_t i = 0; i < N * in; ++i) dx[i] += g_lx[static_cast<size_t>(i)];
  }

  static void BiasGrad(const float* dy, int64_t n_rows, int64_t n, float* db) {
    for (int64_t t = 0; t < n_rows; ++t) {
      for (int64_t i = 0; i < n; ++i) db[i] += dy[t * n + i];
    }
  }

  // g_x holds d(loss)/d(layer output) on entry and d(loss)/d(layer input) on exit.
  void LayerBackward(ThreadPool& pool, int64_t l, Acts& a) {
    LayerParams& lp = layers[static_cast<size_t>(l)];
    const int64_t C = hp.n_embd, Q = hp.n_embd_q(), KV = hp.n_embd_kv(), F = hp.n_ff;
    const int64_t H = hp.n_head, Hkv = hp.n_head_kv, D = hp.head_dim();
    // FFN.
    Resize(g_act, N * F);
    MatBackward(pool, lp.m[6], a.act.data(), g_x.data(), g_act.data(), false, a.lora[6]);
    Resize(g_gate, N * F);
    Resize(g_up, N * F);
    SwiGluBackward(a.gate.data(), a.up.data(), g_act.data(), N * F, g_gate.data(), g_up.data());
    Resize(g_xn, N * C);
    MatBackward(pool, lp.m[4], a.xn2.data(), g_gate.data(), g_xn.data(), false, a.lora[4]);
    MatBackward(pool, lp.m[5], a.xn2.data(), g_up.data(), g_xn.data(), true, a.lora[5]);
    Resize(g_tmp, N * C);
    RmsNormBackward(g_xn.data(), a.x_mid.data(), VecData(lp.ffn_norm), a.rstd2.data(), N, C,
                    g_tmp.data(), VecGrad(lp.ffn_norm));
    for (int64_t i = 0; i < N * C; ++i) g_x[static_cast<size_t>(i)] += g_tmp[static_cast<size_t>(i)];
    // Attention.
    Resize(g_att, N * Q);
    MatBackward(pool, lp.m[3], a.att.data(), g_x.data(), g_att.data(), false, a.lora[3]);
    Resize(g_q, N * Q);
    Resize(g_k, N * KV);
    Resize(g_v, N * KV);
    const AttentionShape shape{T, H, Hkv, D};
    for (int64_t b = 0; b < B; ++b) {
      AttentionBackward(pool, shape, a.q.data() + b * T * Q, a.k.data() + b * T * KV,
                        a.v.data() + b * T * KV, a.probs.data() + b * H * T * T,
                        g_att.data() + b * T * Q, g_q.data() + b * T * Q, g_k.data() + b * T * KV,
                        g_v.data() + b * T * KV);
    }
    if (rope.n_rot > 0) {
      RopeBackward(rope, pos.data(), N, H, D, g_q.data());
      RopeBackward(rope, pos.data(), N, Hkv, D, g_k.data());
    }
    if (lp.bq.param >= 0) BiasGrad(g_q.data(), N, Q, params[static_cast<size_t>(lp.bq.param)].grad.data());
    if (lp.bk.param >= 0) BiasGrad(g_k.data(), N, KV, params[static_cast<size_t>(lp.bk.param)].grad.data());
    if (lp.bv.param >= 0) BiasGrad(g_v.data(), N, KV, params[static_cast<size_t>(lp.bv.param)].grad.data());
    MatBackward(pool, lp.m[0], a.xn1.data(), g_q.data(), g_xn.data(), false, a.lora[0]);
    MatBackward(pool, lp.m[1], a.xn1.data(), g_k.data(), g_xn.data(), true, a.lora[1]);
    MatBackward(pool, lp.m[2], a.xn1.data(), g_v.data(), g_xn.data(), true, a.lora[2]);
    RmsNormBackward(g_xn.data(), a.x_in.data(), VecData(lp.attn_norm), a.rstd1.data(), N, C,
                    g_tmp.data(), VecGrad(lp.attn_norm));
    for (int64_t i = 0; i < N * C; ++i) g_x[static_cast<size_t>(i)] += g_tmp[static_cast<size_t>(i)];
  }

  // Backward from dlogits (in `logits`, already scaled).
  Status Backward(ThreadPool& pool, const Batch& batch) {
    const int64_t C = hp.n_embd, V = hp.n_vocab, L = hp.n_layer;
    Resize(g_xn, N * C);
    if (output_rows >= 0) {
      const int64_t from = cfg.rows_from;
      tensor::MatrixView head = View(output);
      head.rows = from;
      if (output.param >= 0) {
        MatMulBwdW(pool, logits.data(), V, xf.data(), N, C, from,
                   params[static_cast<size_t>(output.param)].grad.data(), ls);
      }
      MatMulBwdX(pool, head, logits.data(), V, N, g_xn.data(), false, ls);
      Param& pr = params[static_cast<size_t>(output_rows)];
      MatMulBwdW(pool, logits.data() + from, V, xf.data(), N, C, V - from, pr.grad.data(), ls);
      MatMulBwdX(pool, F32View(pr.data.data(), V - from, C), logits.data() + from, V, N,
                 g_xn.data(), true, ls);
    } else {
      if (output.param >= 0) {
        MatMulBwdW(pool, logits.data(), V, xf.data(), N, C, V,
                   params[static_cast<size_t>(output.param)].grad.data(), ls);
      }
      MatMulBwdX(pool, View(output), logits.data(), V, N, g_xn.data(), false, ls);
    }
    Resize(g_x, N * C);
    RmsNormBackward(g_xn.data(), x_final.data(), VecData(output_norm), rstdf.data(), N, C,
                    g_x.data(), VecGrad(output_norm));
    for (int64_t l = L - 1; l >= 0; --l) {
      Acts* a = &acts[static_cast<size_t>(l)];
      if (cfg.recompute) {
        a = &acts[static_cast<size_t>(L)];
        a->x_in = acts[static_cast<size_t>(l)].x_in;
        LayerForward(pool, l, *a);
      }
      LayerBackward(pool, l, *a);
    }
    // Embedding.
    if (tok_embd.param >= 0) {
      RETURN_IF_ERROR(EmbeddingBackward(g_x.data(), batch.inputs.data(), N, V, C,
                                        params[static_cast<size_t>(tok_embd.param)].grad.data()));
    }
    if (embd_rows >= 0) {
      float* g = params[static_cast<size_t>(embd_rows)].grad.data();
      for (int64_t t = 0; t < N; ++t) {
        const int32_t tok = batch.inputs[static_cast<size_t>(t)];
        if (tok < cfg.rows_from) continue;
        float* row = g + (tok - cfg.rows_from) * C;
        const float* src = g_x.data() + t * C;
        for (int64_t c = 0; c < C; ++c) row[c] += src[c];
      }
    }
    return Status::Ok();
  }
};

TrainGraph::TrainGraph(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TrainGraph::~TrainGraph() = default;

Result<std::unique_ptr<TrainGraph>> TrainGraph::Create(const model::Model& base,
                                                       const GraphConfig& cfg) {
  const auto* m = dynamic_cast<const model::ModelImpl*>(&base);
  if (m == nullptr) return InvalidArgumentError("train: TrainGraph needs a loaded model");
  const model::Hparams& hp = m->hparams();
  if (!cfg.full && cfg.lora.rank <= 0 && cfg.rows_from < 0) {
    return InvalidArgumentError("train: nothing to train: choose --full, --lora-rank R or "
                                "--train-rows-from ID");
  }
  if (cfg.full && cfg.lora.rank > 0) {
    return InvalidArgumentError("train: --full and --lora-rank are exclusive");
  }
  if (cfg.lora.rank < 0 || cfg.lora.rank > 65536) {
    return InvalidArgumentError("train: LoRA rank must be in [1, 65536]");
  }
  if (!(cfg.lora.dropout >= 0.0f && cfg.lora.dropout < 1.0f)) {
    return InvalidArgumentError("train: LoRA dropout must be in [0, 1)");
  }
  if (cfg.lora.rank > 0 && cfg.lora.targets.empty()) {
    return InvalidArgumentError("train: LoRA needs at least one target (--lora-targets)");
  }
  if (cfg.rows_from >= 0 && (cfg.full || cfg.rows_from >= hp.n_vocab)) {
    return InvalidArgumentError(StrFormat(
        "train: --train-rows-from %lld must be below the vocabulary size %lld and is not used "
        "with --full (which trains every row)", static_cast<long long>(cfg.rows_from),
        static_cast<long long>(hp.n_vocab)));
  }
  if (hp.n_rot % 2 != 0 || hp.n_rot > hp.head_dim()) {
    return UnimplementedError("train: rope dimension count must be even and <= head size");
  }
  auto impl = std::make_unique<Impl>();
  Impl& g = *impl;
  g.cfg = cfg;
  g.hp = hp;
  g.base = m;
  const model::Weights& w = m->weights();
  g.rope.n_rot = hp.n_rot;
  g.rope.freq_base = hp.rope_freq_base;
  g.rope.freq_scale = (hp.rope_scaling_type == "linear" && hp.rope_scale_factor > 0.0f)
                          ? 1.0f / hp.rope_scale_factor
                          : 1.0f;
  g.rope.freq_factors = w.rope_freqs.empty() ? nullptr : w.rope_freqs.data();
  g.rope.neox = hp.rope_neox;
  if (cfg.lora.rank > 0) {
    const double r = static_cast<double>(cfg.lora.rank);
    g.lora_scale = static_cast<float>(cfg.lora.alpha / (cfg.lora.rslora ? std::sqrt(r) : r));
  }
  // Parameters in a fixed order (the checkpoint and optimizer rely on it).
  g.tok_embd.base = w.tok_embd;
  if (cfg.full) g.tok_embd.param = g.FullMat("token_embd.weight", w.tok_embd, true);
  g.layers.resize(static_cast<size_t>(hp.n_layer));
  int pair_id = 0;
  for (int64_t l = 0; l < hp.n_layer; ++l) {
    const model::LayerWeights& lw = w.layers[static_cast<size_t>(l)];
    LayerParams& lp = g.layers[static_cast<size_t>(l)];
    const std::string pre = "blk." + std::to_string(l) + ".";
    const tensor::MatrixView* views[kNumTargets] = {&lw.wq, &lw.wk, &lw.wv, &lw.wo,
                                                     &lw.gate, &lw.up, &lw.down};
    struct VecSrc {
      Vec* dst;
      const std::vector<float>* src;
      const char* name;
    };
    const VecSrc vecs[] = {{&lp.attn_norm, &lw.attn_norm, "attn_norm.weight"},
                           {&lp.ffn_norm, &lw.ffn_norm, "ffn_norm.weight"},
                           {&lp.bq, &lw.bq, "attn_q.bias"},
                           {&lp.bk, &lw.bk, "attn_k.bias"},
                           {&lp.bv, &lw.bv, "attn_v.bias"}};
    for (const VecSrc& v : vecs) {
      if (v.src->empty()) continue;
      if (cfg.full) {
        v.dst->param = g.FullVec(pre + v.name, *v.src);
      } else {
        v.dst->frozen = *v.src;
      }
    }
    for (int t = 0; t < kNumTargets; ++t) {
      Mat& mt = lp.m[t];
      mt.base = *views[t];
      const std::string name = model::LoraTargetTensorName(kAllTargets[t], l);
      if (cfg.full) mt.param = g.FullMat(name, mt.base, false);
      if (cfg.lora.rank > 0 &&
          std::find(cfg.lora.targets.begin(), cfg.lora.targets.end(), kAllTargets[t]) !=
              cfg.lora.targets.end()) {
        g.InitLora(mt, kAllTargets[t], l, pair_id);
      }
      ++pair_id;
    }
  }
  if (cfg.full) {
    g.output_norm.param = g.FullVec("output_norm.weight", w.output_norm);
  } else {
    g.output_norm.frozen = w.output_norm;
  }
  g.output.base = w.output;
  if (cfg.full) {
    g.output.param = hp.tied_output ? g.tok_embd.param : g.FullMat("output.weight", w.output, false);
  }
  if (cfg.rows_from >= 0) {
    const int64_t n = hp.n_vocab - cfg.rows_from, C = hp.n_embd;
    g.embd_rows = g.AddParam("token_embd.weight.rows", {n, C}, true);
    float* d = g.params[static_cast<size_t>(g.embd_rows)].data.data();
    for (int64_t r = 0; r < n; ++r) tensor::GetRow(w.tok_embd, cfg.rows_from + r, d + r * C);
    if (hp.tied_output) {
      g.output_rows = g.embd_rows;
    } else {
      g.output_rows = g.AddParam("output.weight.rows", {n, C}, false);
      float* o = g.params[static_cast<size_t>(g.output_rows)].data.data();
      for (int64_t r = 0; r < n; ++r) tensor::GetRow(w.output, cfg.rows_from + r, o + r * C);
    }
  }
  return std::unique_ptr<TrainGraph>(new TrainGraph(std::move(impl)));
}

Result<float> TrainGraph::ForwardBackward(ThreadPool& pool, const Batch& batch, float grad_scale) {
  Impl& g = *impl_;
  RETURN_IF_ERROR(g.Validate(batch));
  g.Forward(pool, batch);
  ASSIGN_OR_RETURN(float loss, CrossEntropy(g.logits.data(), batch.targets.data(), g.N,
                                            g.hp.n_vocab, g.logits.data()));
  if (grad_scale != 1.0f) {
    for (float& v : g.logits) v *= grad_scale;
  }
  RETURN_IF_ERROR(g.Backward(pool, batch));
  ++g.micro;
  return loss;
}

Status TrainGraph::Loss(ThreadPool& pool, const Batch& batch, double* loss_sum,
                        int64_t* n_targets) {
  Impl& g = *impl_;
  RETURN_IF_ERROR(g.Validate(batch));
  int64_t n = 0;
  for (int32_t t : batch.targets) n += t != kIgnoreIndex ? 1 : 0;
  *n_targets = n;
  *loss_sum = 0.0;
  if (n == 0) return Status::Ok();
  // No dropout at evaluation: temporarily disable it.
  const float p = g.cfg.lora.dropout;
  g.cfg.lora.dropout = 0.0f;
  g.Forward(pool, batch);
  g.cfg.lora.dropout = p;
  ASSIGN_OR_RETURN(float loss, CrossEntropy(g.logits.data(), batch.targets.data(), g.N,
                                            g.hp.n_vocab, g.logits.data()));
  *loss_sum = static_cast<double>(loss) * static_cast<double>(n);
  return Status::Ok();
}

Result<std::vector<float>> TrainGraph::Logits(ThreadPool& pool, const Batch& batch) {
  Impl& g = *impl_;
  RETURN_IF_ERROR(g.Validate(batch));
  const float p = g.cfg.lora.dropout;
  g.cfg.lora.dropout = 0.0f;
  g.Forward(pool, batch);
  g.cfg.lora.dropout = p;
  return g.logits;
}

std::vector<Param>& TrainGraph::params() { return impl_->params; }
const std::vector<Param>& TrainGraph::params() const { return impl_->params; }
void TrainGraph::ZeroGrad() {
  for (Param& p : impl_->params) std::fill(p.grad.begin(), p.grad.end(), 0.0f);
}
int64_t TrainGraph::micro_step() const { return impl_->micro; }
void TrainGraph::set_micro_step(int64_t s) { impl_->micro = s; }
const GraphConfig& TrainGraph::config() const { return impl_->cfg; }
const model::Hparams& TrainGraph::hparams() const { return impl_->hp; }

model::LoraAdapter TrainGraph::ExportLora() const {
  const Impl& g = *impl_;
  model::LoraAdapter ad;
  ad.arch = g.hp.arch;
  ad.base_name = g.hp.name;
  ad.rank = g.cfg.lora.rank;
  ad.alpha = g.cfg.lora.alpha;
  ad.rslora = g.cfg.lora.rslora;
  ad.dropout = g.cfg.lora.dropout;
  if (g.cfg.lora.rank <= 0) return ad;
  for (int64_t l = 0; l < g.hp.n_layer; ++l) {
    const LayerParams& lp = g.layers[static_cast<size_t>(l)];
    for (int t = 0; t < kNumTargets; ++t) {
      const Mat& mt = lp.m[t];
      if (mt.lora_a < 0) continue;
      model::LoraPair p;
      p.layer = l;
      p.target = kAllTargets[t];
      p.n_in = mt.base.cols;
      p.n_out = mt.base.rows;
      p.a = g.params[static_cast<size_t>(mt.lora_a)].data;
      p.b = g.params[static_cast<size_t>(mt.lora_b)].data;
      ad.pairs.push_back(std::move(p));
    }
  }
  return ad;
}

TrainGraph::Overrides TrainGraph::ExportOverrides() const {
  const Impl& g = *impl_;
  Overrides o;
  const int64_t C = g.hp.n_embd;
  auto add_rows = [&](const char* name, const tensor::MatrixView& base, int rows_param) {
    std::vector<float> full(static_cast<size_t>(base.rows * C));
    for (int64_t r = 0; r < g.cfg.rows_from; ++r) tensor::GetRow(base, r, full.data() + r * C);
    const std::vector<float>& rows = g.params[static_cast<size_t>(rows_param)].data;
    std::copy(rows.begin(), rows.end(), full.begin() + g.cfg.rows_from * C);
    o.storage.push_back(std::move(full));
    o.list.push_back({name, nullptr, base.rows * C});
  };
  if (g.embd_rows >= 0) {
    add_rows("token_embd.weight", g.tok_embd.base, g.embd_rows);
    if (!g.hp.tied_output) add_rows("output.weight", g.output.base, g.output_rows);
  }
  for (size_t i = 0; i < o.list.size(); ++i) o.list[i].data = o.storage[i].data();
  if (g.cfg.full) {
    for (const Param& p : g.params) {
      o.list.push_back({p.name, p.data.data(), static_cast<int64_t>(p.data.size())});
    }
  }
  return o;
}

}  // namespace sangam::train
