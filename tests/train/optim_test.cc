// AdamW / SGD against hand-derived PyTorch updates; schedules, clipping, state round trip.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numbers>
#include <vector>

#include "sangam/optim.h"

namespace sangam::train {
namespace {

// Gradients for steps 1..3 of a 4-value parameter.
const std::vector<std::vector<float>> kGrads = {
    {0.5f, -1.0f, 2.0f, 0.0f}, {0.1f, 0.3f, -2.0f, 1e-3f}, {-0.4f, 0.2f, 1.5f, -0.5f}};
const std::vector<float> kInit = {1.0f, -2.0f, 0.5f, 3.0f};

TEST(OptimTest, AdamWMatchesPyTorchEquations) {
  AdamWParams hp;
  hp.weight_decay = 0.1f;
  const float lr = 0.01f;
  AdamW opt(hp, {4});
  std::vector<float> p = kInit;
  // Reference in double, torch.optim.AdamW's documented algorithm (amsgrad off):
  //   p_t = p_{t-1} - lr * wd * p_{t-1}
  //   m_t = b1 m_{t-1} + (1 - b1) g_t,  v_t = b2 v_{t-1} + (1 - b2) g_t^2
  //   mhat = m_t / (1 - b1^t),  vhat = v_t / (1 - b2^t)
  //   p_t = p_t - lr * mhat / (sqrt(vhat) + eps)
  std::vector<double> rp(kInit.begin(), kInit.end()), m(4, 0.0), v(4, 0.0);
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
  for (int t = 1; t <= 3; ++t) {
    const auto& g = kGrads[t - 1];
    ParamRef ref{p.data(), g.data(), 4};
    ASSERT_TRUE(opt.Step({&ref, 1}, lr).ok());
    for (int i = 0; i < 4; ++i) {
      rp[i] -= lr * wd * rp[i];
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      const double mh = m[i] / (1 - std::pow(b1, t)), vh = v[i] / (1 - std::pow(b2, t));
      rp[i] -= lr * mh / (std::sqrt(vh) + eps);
      EXPECT_NEAR(p[i], rp[i], 2e-6) << "step " << t << " param " << i;
    }
  }
  EXPECT_EQ(opt.step(), 3);
  // Step 1 by hand for element 0: m=0.05, v=2.5e-4, mhat=0.5, vhat=0.25 -> update lr*0.5/0.5;
  // p = 1 - 0.01*0.1*1 - 0.01 = 0.989 (Adam's first step is lr*sign(g)).
  AdamW one(hp, {4});
  std::vector<float> q = kInit;
  ParamRef r1{q.data(), kGrads[0].data(), 4};
  ASSERT_TRUE(one.Step({&r1, 1}, lr).ok());
  EXPECT_NEAR(q[0], 0.989f, 1e-6);
  EXPECT_NEAR(q[3], 3.0f * (1 - 0.001f), 1e-6);  // zero gradient: only the decay
  // Wrong parameter list is an error, not a crash.
  std::vector<float> small(3);
  ParamRef bad{small.data(), small.data(), 3};
  EXPECT_FALSE(opt.Step({&bad, 1}, lr).ok());
}

void RunSgd(bool nesterov, float dampening) {
  SgdParams hp;
  hp.momentum = 0.9f;
  hp.dampening = dampening;
  hp.weight_decay = 0.01f;
  hp.nesterov = nesterov;
  const float lr = 0.1f;
  Sgd opt(hp, {4});
  std::vector<float> p = kInit;
  // torch.optim.SGD: g = g + wd p; b_1 = g, b_t = mu b_{t-1} + (1 - damp) g;
  // g = nesterov ? g + mu b_t : b_t;  p = p - lr g.
  std::vector<double> rp(kInit.begin(), kInit.end()), b(4, 0.0);
  for (int t = 1; t <= 3; ++t) {
    const auto& gr = kGrads[t - 1];
    ParamRef ref{p.data(), gr.data(), 4};
    ASSERT_TRUE(opt.Step({&ref, 1}, lr).ok());
    for (int i = 0; i < 4; ++i) {
      double g = gr[i] + 0.01 * rp[i];
      b[i] = t == 1 ? g : 0.9 * b[i] + (1 - dampening) * g;
      g = nesterov ? g + 0.9 * b[i] : b[i];
      rp[i] -= lr * g;
      EXPECT_NEAR(p[i], rp[i], 1e-6) << "step " << t << " param " << i;
    }
  }
}

TEST(OptimTest, SgdMomentumMatchesPyTorchEquations) { RunSgd(false, 0.0f); }
TEST(OptimTest, SgdNesterovMatchesPyTorchEquations) { RunSgd(true, 0.0f); }
TEST(OptimTest, SgdDampeningMatchesPyTorchEquations) { RunSgd(false, 0.5f); }

TEST(OptimTest, SgdPlainFirstStep) {
  Sgd opt(SgdParams{}, {4});
  std::vector<float> p = kInit;
  ParamRef ref{p.data(), kGrads[0].data(), 4};
  ASSERT_TRUE(opt.Step({&ref, 1}, 0.5f).ok());
  EXPECT_FLOAT_EQ(p[0], 0.75f);
  EXPECT_FLOAT_EQ(p[1], -1.5f);
  EXPECT_FLOAT_EQ(p[2], -0.5f);
  EXPECT_FLOAT_EQ(p[3], 3.0f);
}

TEST(OptimTest, Schedules) {
  LrSchedule s;
  s.base_lr = 1.0f;
  s.min_lr = 0.1f;
  s.warmup_steps = 4;
  s.total_steps = 14;
  s.kind = LrScheduleKind::kConstant;
  EXPECT_EQ(s.LrAt(0), 1.0f);
  EXPECT_EQ(s.LrAt(1000), 1.0f);
  s.kind = LrScheduleKind::kWarmup;
  EXPECT_FLOAT_EQ(s.LrAt(0), 0.25f);
  EXPECT_FLOAT_EQ(s.LrAt(3), 1.0f);
  EXPECT_FLOAT_EQ(s.LrAt(4), 1.0f);
  EXPECT_FLOAT_EQ(s.LrAt(100), 1.0f);
  s.kind = LrScheduleKind::kCosine;
  EXPECT_FLOAT_EQ(s.LrAt(0), 1.0f);
  EXPECT_FLOAT_EQ(s.LrAt(7), 0.55f);  // halfway: min + (base-min)/2
  EXPECT_FLOAT_EQ(s.LrAt(14), 0.1f);
  EXPECT_FLOAT_EQ(s.LrAt(20), 0.1f);
  s.kind = LrScheduleKind::kWarmupCosine;
  EXPECT_FLOAT_EQ(s.LrAt(0), 0.25f);
  EXPECT_FLOAT_EQ(s.LrAt(3), 1.0f);
  EXPECT_FLOAT_EQ(s.LrAt(4), 1.0f);   // cosine starts at base
  EXPECT_FLOAT_EQ(s.LrAt(9), 0.55f);  // (9-4)/(14-4) = 0.5
  EXPECT_FLOAT_EQ(s.LrAt(6), static_cast<float>(0.1 + 0.9 * 0.5 * (1 + std::cos(0.2 * std::numbers::pi))));
  EXPECT_FLOAT_EQ(s.LrAt(14), 0.1f);
  EXPECT_FLOAT_EQ(s.LrAt(15), 0.1f);
}

TEST(OptimTest, ClipGradNorm) {
  std::vector<float> a = {3.0f, 0.0f}, b = {4.0f};
  std::vector<float*> gs = {a.data(), b.data()};
  std::vector<int64_t> n = {2, 1};
  // No clipping when under the limit.
  EXPECT_FLOAT_EQ(ClipGradNorm(gs, n, 10.0f), 5.0f);
  EXPECT_EQ(a[0], 3.0f);
  EXPECT_EQ(b[0], 4.0f);
  // Clip to 1: scaled by 1/(5+1e-6), returns the pre-clip norm.
  EXPECT_FLOAT_EQ(ClipGradNorm(gs, n, 1.0f), 5.0f);
  EXPECT_NEAR(a[0], 0.6f, 1e-6);
  EXPECT_NEAR(b[0], 0.8f, 1e-6);
  EXPECT_NEAR(ClipGradNorm(gs, n, 0.0f), 1.0f, 1e-6);  // max_norm 0: norm only
}

template <class Opt, class Params>
void CheckRoundTrip(const Params& hp) {
  Opt a(hp, {4, 2});
  std::vector<float> p1 = kInit, p2 = {0.3f, -0.7f};
  const std::vector<float> g2 = {0.25f, -0.125f};
  for (int t = 0; t < 3; ++t) {
    ParamRef refs[2] = {{p1.data(), kGrads[t].data(), 4}, {p2.data(), g2.data(), 2}};
    ASSERT_TRUE(a.Step(refs, 0.01f).ok());
  }
  const std::string bytes = a.SerializeState();
  Opt b(hp, {4, 2});
  ASSERT_TRUE(b.RestoreState(bytes).ok());
  EXPECT_EQ(b.step(), 3);
  EXPECT_EQ(b.SerializeState(), bytes);
  std::vector<float> q1 = p1, q2 = p2;
  ParamRef ra[2] = {{p1.data(), kGrads[1].data(), 4}, {p2.data(), g2.data(), 2}};
  ParamRef rb[2] = {{q1.data(), kGrads[1].data(), 4}, {q2.data(), g2.data(), 2}};
  ASSERT_TRUE(a.Step(ra, 0.01f).ok());
  ASSERT_TRUE(b.Step(rb, 0.01f).ok());
  EXPECT_EQ(std::memcmp(p1.data(), q1.data(), 16), 0);
  EXPECT_EQ(std::memcmp(p2.data(), q2.data(), 8), 0);
  // Malformed or mismatched state is rejected and leaves the optimizer usable.
  Opt c(hp, {4, 3});
  EXPECT_FALSE(c.RestoreState(bytes).ok());
  EXPECT_FALSE(b.RestoreState(bytes.substr(0, bytes.size() - 1)).ok());
  EXPECT_FALSE(b.RestoreState("garbage").ok());
  EXPECT_FALSE(b.RestoreState("").ok());
  EXPECT_EQ(b.step(), 4);
}

TEST(OptimTest, AdamWStateRoundTripIsBitExact) {
  AdamWParams hp;
  hp.weight_decay = 0.05f;
  CheckRoundTrip<AdamW>(hp);
}

TEST(OptimTest, SgdStateRoundTripIsBitExact) {
  SgdParams hp;
  hp.momentum = 0.9f;
  CheckRoundTrip<Sgd>(hp);
}

TEST(OptimTest, StateOfOtherKindIsRejected) {
  AdamW a(AdamWParams{}, {4});
  Sgd s(SgdParams{}, {4});
  EXPECT_FALSE(s.RestoreState(a.SerializeState()).ok());
  EXPECT_FALSE(a.RestoreState(s.SerializeState()).ok());
}

}  // namespace
}  // namespace sangam::train
