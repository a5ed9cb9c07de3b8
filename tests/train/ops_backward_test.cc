// Finite-difference gradient checks for every backward in sangam/train_ops.h.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <vector>

#include "model/ops.h"
#include "sangam/tensor.h"
#include "sangam/train_ops.h"

namespace sangam::train {
namespace {

std::vector<float> Random(size_t n, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// Sum of r .* out in double: the scalar loss whose gradient w.r.t. out is r.
double Dot(const std::vector<float>& r, const std::vector<float>& out) {
  double s = 0.0;
  for (size_t i = 0; i < r.size(); ++i) s += static_cast<double>(r[i]) * out[i];
  return s;
}

// Compares the analytic gradient `ana` of `x` with central differences of loss() (which reads x).
void CheckGrad(const char* name, std::vector<float>& x, const std::vector<float>& ana,
               const std::function<double()>& loss, float h = 1e-2f) {
  ASSERT_EQ(x.size(), ana.size()) << name;
  for (size_t i = 0; i < x.size(); ++i) {
    const float x0 = x[i];
    x[i] = x0 + h;
    const double lp = loss();
    x[i] = x0 - h;
    const double lm = loss();
    x[i] = x0;
    const double num = (lp - lm) / (2.0 * static_cast<double>(h));
    EXPECT_NEAR(ana[i], num, 1e-3 + 5e-3 * std::fabs(num)) << name << " index " << i;
  }
}

TEST(TrainOpsTest, EmbeddingScatterAdd) {
  const int64_t V = 5, C = 3;
  std::vector<float> table = Random(V * C, 1);
  const std::vector<int32_t> tok = {1, 3, 1, 4};
  const std::vector<float> r = Random(tok.size() * C, 2);
  std::vector<float> out(tok.size() * C);
  auto loss = [&] {
    EXPECT_TRUE(EmbeddingForward(table.data(), V, C, tok.data(), 4, out.data()).ok());
    return Dot(r, out);
  };
  std::vector<float> dtable(V * C, 0.0f);
  ASSERT_TRUE(EmbeddingBackward(r.data(), tok.data(), 4, V, C, dtable.data()).ok());
  // Rows 0 and 2 are unused: exactly zero.
  for (int64_t c = 0; c < C; ++c) {
    EXPECT_EQ(dtable[0 * C + c], 0.0f);
    EXPECT_EQ(dtable[2 * C + c], 0.0f);
  }
  CheckGrad("dtable", table, dtable, loss);
  const std::vector<int32_t> bad = {0, 5};
  EXPECT_FALSE(EmbeddingForward(table.data(), V, C, bad.data(), 2, out.data()).ok());
  EXPECT_FALSE(EmbeddingBackward(r.data(), bad.data(), 2, V, C, dtable.data()).ok());
}

TEST(TrainOpsTest, RmsNormMatchesModelAndGradients) {
  const int64_t N = 3, C = 8;
  const float eps = 1e-5f;
  std::vector<float> x = Random(N * C, 3), w = Random(C, 4, 0.5f, 1.5f);
  const std::vector<float> r = Random(N * C, 5);
  std::vector<float> y(N * C), rstd(N), y_model(C);
  RmsNormForward(x.data(), w.data(), N, C, eps, y.data(), rstd.data());
  for (int64_t n = 0; n < N; ++n) {
    model::RmsNorm(x.data() + n * C, w.data(), y_model.data(), C, eps);
    for (int64_t c = 0; c < C; ++c) EXPECT_EQ(y[n * C + c], y_model[c]);
  }
  std::vector<float> dx(N * C), dw(C, 0.0f);
  RmsNormBackward(r.data(), x.data(), w.data(), rstd.data(), N, C, dx.data(), dw.data());
  auto loss = [&] {
    RmsNormForward(x.data(), w.data(), N, C, eps, y.data(), rstd.data());
    return Dot(r, y);
  };
  CheckGrad("rmsnorm dx", x, dx, loss);
  CheckGrad("rmsnorm dw", w, dw, loss);
}

void CheckRope(bool neox) {
  const int64_t T = 3, H = 2, D = 8;
  RopeConfig cfg;
  cfg.n_rot = 6;  // partial rotation: last 2 dims of each head pass through
  cfg.neox = neox;
  const std::vector<int32_t> pos = {0, 5, 17};
  std::vector<float> x = Random(T * H * D, 6);
  const std::vector<float> r = Random(T * H * D, 7);
  // Forward equals the model's rope.
  std::vector<float> y = x, y_model = x;
  RopeForward(cfg, pos.data(), T, H, D, y.data());
  model::RopeParams p;
  p.n_rot = cfg.n_rot;
  p.neox = neox;
  std::vector<float> cs(cfg.n_rot);
  for (int64_t t = 0; t < T; ++t) {
    model::RopeCosSin(p, pos[t], cs.data());
    model::ApplyRope(p, cs.data(), y_model.data() + t * H * D, H, D);
  }
  EXPECT_EQ(y, y_model);
  std::vector<float> dx = r;
  RopeBackward(cfg, pos.data(), T, H, D, dx.data());
  auto loss = [&] {
    y = x;
    RopeForward(cfg, pos.data(), T, H, D, y.data());
    return Dot(r, y);
  };
  CheckGrad(neox ? "rope neox dx" : "rope normal dx", x, dx, loss);
}

TEST(TrainOpsTest, RopeNormalGradients) { CheckRope(false); }
TEST(TrainOpsTest, RopeNeoxGradients) { CheckRope(true); }

TEST(TrainOpsTest, GqaAttentionGradients) {
  ThreadPool pool(2);
  AttentionShape s{/*n_tokens=*/5, /*n_head=*/4, /*n_head_kv=*/2, /*head_dim=*/4};
  const int64_t T = s.n_tokens, H = s.n_head, Hkv = s.n_head_kv, D = s.head_dim;
  std::vector<float> q = Random(T * H * D, 8), k = Random(T * Hkv * D, 9),
                     v = Random(T * Hkv * D, 10);
  const std::vector<float> r = Random(T * H * D, 11);
  std::vector<float> out(T * H * D), probs(H * T * T);
  AttentionForward(pool, s, q.data(), k.data(), v.data(), out.data(), probs.data());
  // Token 0 attends only to itself: out = v of its kv head.
  for (int64_t h = 0; h < H; ++h) {
    for (int64_t d = 0; d < D; ++d) EXPECT_FLOAT_EQ(out[h * D + d], v[(h / 2) * D + d]);
  }
  std::vector<float> dq(q.size()), dk(k.size()), dv(v.size());
  AttentionBackward(pool, s, q.data(), k.data(), v.data(), probs.data(), r.data(), dq.data(),
                    dk.data(), dv.data());
  auto loss = [&] {
    AttentionForward(pool, s, q.data(), k.data(), v.data(), out.data(), probs.data());
    return Dot(r, out);
  };
  CheckGrad("attn dq", q, dq, loss);
  CheckGrad("attn dk", k, dk, loss);
  CheckGrad("attn dv", v, dv, loss);
}

TEST(TrainOpsTest, SwiGluGradients) {
  const int64_t n = 12;
  std::vector<float> g = Random(n, 12, -3.0f, 3.0f), u = Random(n, 13);
  const std::vector<float> r = Random(n, 14);
  std::vector<float> out(n), dg(n), du(n);
  SwiGluForward(g.data(), u.data(), n, out.data());
  EXPECT_NEAR(out[0], g[0] / (1.0 + std::exp(-g[0])) * u[0], 1e-6);
  SwiGluBackward(g.data(), u.data(), r.data(), n, dg.data(), du.data());
  auto loss = [&] {
    SwiGluForward(g.data(), u.data(), n, out.data());
    return Dot(r, out);
  };
  CheckGrad("swiglu dgate", g, dg, loss);
  CheckGrad("swiglu dup", u, du, loss);
}

TEST(TrainOpsTest, LinearGradients) {
  ThreadPool pool(2);
  const int64_t N = 3, I = 5, O = 4;
  std::vector<float> x = Random(N * I, 15), w = Random(O * I, 16);
  const std::vector<float> r = Random(N * O, 17);
  std::vector<float> y(N * O), dx(N * I), dw(O * I, 0.0f);
  LinearForward(pool, x.data(), w.data(), N, I, O, y.data());
  double y01 = 0.0;
  for (int64_t i = 0; i < I; ++i) y01 += static_cast<double>(x[i]) * w[1 * I + i];
  EXPECT_NEAR(y[1], y01, 1e-5);
  LinearBackward(pool, r.data(), x.data(), w.data(), N, I, O, dx.data(), dw.data());
  auto loss = [&] {
    LinearForward(pool, x.data(), w.data(), N, I, O, y.data());
    return Dot(r, y);
  };
  CheckGrad("linear dx", x, dx, loss);
  CheckGrad("linear dw", w, dw, loss);
}

// dX for a frozen quantized W equals dX computed from the dequantized matrix.
void CheckFrozen(tensor::DType type, int64_t n_in) {
  ThreadPool pool(2);
  const int64_t N = 3, O = 40;  // 40 rows: more than one 32-row dequantization block
  const std::vector<float> wf = Random(O * n_in, 18);
  const size_t rb = tensor::RowBytes(type, n_in);
  std::vector<uint8_t> wq(rb * O);
  std::vector<float> wd(O * n_in);
  for (int64_t o = 0; o < O; ++o) {
    tensor::QuantizeRow(type, wf.data() + o * n_in, wq.data() + o * rb, n_in);
    tensor::DequantizeRow(type, wq.data() + o * rb, wd.data() + o * n_in, n_in);
  }
  const std::vector<float> dy = Random(N * O, 19);
  std::vector<float> dx_ref(N * n_in), dx(N * n_in, 123.0f);
  LinearBackward(pool, dy.data(), nullptr, wd.data(), N, n_in, O, dx_ref.data(), nullptr);
  tensor::MatrixView mv{type, wq.data(), O, n_in, rb};
  LinearBackwardFrozen(pool, mv, dy.data(), N, dx.data());
  for (size_t i = 0; i < dx.size(); ++i) {
    EXPECT_NEAR(dx[i], dx_ref[i], 1e-4 * (1.0 + std::fabs(dx_ref[i])))
        << tensor::Traits(type).name << " index " << i;
  }
  // And against an independent double-precision sum over the dequantized matrix.
  for (int64_t t = 0; t < N; ++t) {
    double s = 0.0;
    for (int64_t o = 0; o < O; ++o) s += static_cast<double>(dy[t * O + o]) * wd[o * n_in + 7];
    EXPECT_NEAR(dx[t * n_in + 7], s, 1e-4);
  }
}

TEST(TrainOpsTest, FrozenLinearDxQ8_0) { CheckFrozen(tensor::DType::kQ8_0, 64); }
TEST(TrainOpsTest, FrozenLinearDxQ4_0) { CheckFrozen(tensor::DType::kQ4_0, 64); }
TEST(TrainOpsTest, FrozenLinearDxQ4_K) { CheckFrozen(tensor::DType::kQ4_K, 256); }
TEST(TrainOpsTest, FrozenLinearDxF16) { CheckFrozen(tensor::DType::kF16, 48); }
TEST(TrainOpsTest, FrozenLinearDxF32) { CheckFrozen(tensor::DType::kF32, 20); }

TEST(TrainOpsTest, CrossEntropyGradientsWithIgnore) {
  const int64_t N = 4, V = 7;
  std::vector<float> logits = Random(N * V, 20, -2.0f, 2.0f);
  const std::vector<int32_t> tgt = {2, kIgnoreIndex, 6, 0};
  std::vector<float> dl(N * V);
  Result<float> l = CrossEntropy(logits.data(), tgt.data(), N, V, dl.data());
  ASSERT_TRUE(l.ok());
  // Independent loss: mean over the 3 valid rows of logsumexp - logit[target].
  double ref = 0.0;
  for (int64_t n : {0, 2, 3}) {
    double s = 0.0;
    for (int64_t i = 0; i < V; ++i) s += std::exp(static_cast<double>(logits[n * V + i]));
    ref += std::log(s) - logits[n * V + tgt[n]];
  }
  EXPECT_NEAR(*l, ref / 3.0, 1e-5);
  for (int64_t i = 0; i < V; ++i) EXPECT_EQ(dl[1 * V + i], 0.0f);
  std::vector<float> scratch(N * V);
  auto loss = [&] {
    return static_cast<double>(*CrossEntropy(logits.data(), tgt.data(), N, V, scratch.data()));
  };
  CheckGrad("ce dlogits", logits, dl, loss, 1e-2f);
  // In place (dlogits aliasing logits) gives the same gradient.
  std::vector<float> inplace = logits;
  ASSERT_TRUE(CrossEntropy(inplace.data(), tgt.data(), N, V, inplace.data()).ok());
  for (size_t i = 0; i < dl.size(); ++i) EXPECT_FLOAT_EQ(inplace[i], dl[i]);
  // All ignored: loss 0, zero gradient. Out-of-range target: error.
  const std::vector<int32_t> none(N, kIgnoreIndex);
  Result<float> z = CrossEntropy(logits.data(), none.data(), N, V, dl.data());
  ASSERT_TRUE(z.ok());
  EXPECT_EQ(*z, 0.0f);
  for (float g : dl) EXPECT_EQ(g, 0.0f);
  const std::vector<int32_t> bad = {0, 7, 1, 1};
  EXPECT_FALSE(CrossEntropy(logits.data(), bad.data(), N, V, dl.data()).ok());
}

// Results do not depend on the pool's thread count (bit-identical).
TEST(TrainOpsTest, ThreadCountInvariance) {
  ThreadPool p1(1), p3(3);
  AttentionShape s{/*n_tokens=*/9, /*n_head=*/4, /*n_head_kv=*/2, /*head_dim=*/8};
  const int64_t T = 9, H = 4, Hkv = 2, D = 8;
  const std::vector<float> q = Random(T * H * D, 30), k = Random(T * Hkv * D, 31),
                           v = Random(T * Hkv * D, 32), dout = Random(T * H * D, 33),
                           w = Random(16 * 24, 34);
  std::vector<float> grads[2][4];
  ThreadPool* pools[2] = {&p1, &p3};
  for (int i = 0; i < 2; ++i) {
    std::vector<float> out(q.size()), probs(H * T * T);
    grads[i][0].resize(q.size());
    grads[i][1].resize(k.size());
    grads[i][2].resize(v.size());
    AttentionForward(*pools[i], s, q.data(), k.data(), v.data(), out.data(), probs.data());
    AttentionBackward(*pools[i], s, q.data(), k.data(), v.data(), probs.data(), dout.data(),
                      grads[i][0].data(), grads[i][1].data(), grads[i][2].data());
    grads[i][3].assign(16 * 24, 0.0f);
    std::vector<float> dx(9 * 24);
    LinearBackward(*pools[i], dout.data(), q.data(), w.data(), 9, 24, 16, dx.data(),
                   grads[i][3].data());
    grads[i][3].insert(grads[i][3].end(), dx.begin(), dx.end());
    grads[i][0].insert(grads[i][0].end(), out.begin(), out.end());
  }
  for (int j = 0; j < 4; ++j) EXPECT_EQ(grads[0][j], grads[1][j]) << j;
}

}  // namespace
}  // namespace sangam::train
