// Tests for the sampler stages (hand-computed expectations) and the chain's determinism.
#include "sangam/sample.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

namespace sangam::sample {
namespace {

std::vector<Candidate> Make(const std::vector<float>& logits) {
  std::vector<Candidate> c;
  for (size_t i = 0; i < logits.size(); ++i) c.push_back({static_cast<int32_t>(i), logits[i], 0.0f});
  return c;
}

std::set<int32_t> Ids(const std::vector<Candidate>& c) {
  std::set<int32_t> s;
  for (const auto& x : c) s.insert(x.id);
  return s;
}

TEST(SamplerTest, PenaltiesFollowLlamaCppRules) {
  // Token 0 (positive logit) seen twice, token 1 (negative logit) once, token 2 never.
  auto c = Make({2.0f, -1.0f, 3.0f});
  ApplyPenalties(c, {0, 1, 0}, /*repeat=*/2.0f, /*freq=*/0.5f, /*presence=*/0.25f);
  EXPECT_FLOAT_EQ(c[0].logit, 2.0f / 2.0f - 2 * 0.5f - 0.25f);
  EXPECT_FLOAT_EQ(c[1].logit, -1.0f * 2.0f - 1 * 0.5f - 0.25f);
  EXPECT_FLOAT_EQ(c[2].logit, 3.0f);
}

TEST(SamplerTest, TopKKeepsLargest) {
  auto c = Make({0.1f, 5.0f, -2.0f, 3.0f, 4.0f});
  ApplyTopK(c, 3);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].id, 1);
  EXPECT_EQ(c[1].id, 4);
  EXPECT_EQ(c[2].id, 3);
  auto d = Make({1, 2});
  ApplyTopK(d, 0);  // disabled
  EXPECT_EQ(d.size(), 2u);
  ApplyTopK(d, 10);  // k larger than the list
  EXPECT_EQ(d.size(), 2u);
}

TEST(SamplerTest, TopPKeepsSmallestPrefixReachingP) {
  // Probabilities 0.5, 0.3, 0.2 (logits are their logs).
  auto c = Make({std::log(0.2f), std::log(0.5f), std::log(0.3f)});
  auto c1 = c;
  ApplyTopP(c1, 0.7f, 1);  // 0.5 < 0.7 <= 0.8
  EXPECT_EQ(Ids(c1), (std::set<int32_t>{1, 2}));
  EXPECT_NEAR(c1[0].p, 0.5f, 1e-6);
  auto c2 = c;
  ApplyTopP(c2, 0.5f, 1);
  EXPECT_EQ(Ids(c2), (std::set<int32_t>{1}));
  auto c3 = c;
  ApplyTopP(c3, 0.1f, 2);  // min_keep wins
  EXPECT_EQ(c3.size(), 2u);
  auto c4 = c;
  ApplyTopP(c4, 1.0f, 1);
  EXPECT_EQ(c4.size(), 3u);
}

TEST(SamplerTest, MinPRelativeToMostLikely) {
  // p = 0.5, 0.3, 0.15, 0.05; min_p 0.3 -> threshold 0.15: keeps the first three.
  auto c = Make({std::log(0.5f), std::log(0.3f), std::log(0.15f), std::log(0.05f)});
  auto c1 = c;
  ApplyMinP(c1, 0.3f, 1);
  EXPECT_EQ(Ids(c1), (std::set<int32_t>{0, 1, 2}));
  auto c2 = c;
  ApplyMinP(c2, 0.9f, 1);
  EXPECT_EQ(Ids(c2), (std::set<int32_t>{0}));
}

TEST(SamplerTest, TemperatureAndSoftmax) {
  auto c = Make({1.0f, 3.0f});
  ApplyTemperature(c, 0.5f);
  EXPECT_FLOAT_EQ(c[0].logit, 2.0f);
  EXPECT_FLOAT_EQ(c[1].logit, 6.0f);
  Softmax(c, true);
  EXPECT_EQ(c[0].id, 1);
  EXPECT_NEAR(c[0].p, 1.0 / (1.0 + std::exp(-4.0)), 1e-6);
  EXPECT_NEAR(c[0].p + c[1].p, 1.0, 1e-6);
}

TEST(SamplerTest, GreedyIsArgmaxAndPenaltyCanChangeIt) {
  SamplerParams p;
  p.temperature = 0.0f;
  std::vector<float> logits = {0.5f, 2.0f, 1.9f, -1.0f};
  Sampler s(p);
  EXPECT_EQ(s.Sample(logits.data(), 4), 1);
  p.repeat_penalty = 1.5f;
  Sampler s2(p);
  s2.Accept(1);
  EXPECT_EQ(s2.Sample(logits.data(), 4), 2);  // 2.0/1.5 < 1.9
}

TEST(SamplerTest, SeedDeterminesSequence) {
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  std::vector<float> logits(50);
  for (int i = 0; i < 50; ++i) logits[i] = 0.1f * static_cast<float>(i % 7);
  auto run = [&](uint64_t seed) {
    p.seed = seed;
    Sampler s(p);
    std::vector<int32_t> out;
    for (int i = 0; i < 64; ++i) out.push_back(s.Sample(logits.data(), 50));
    return out;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(SamplerTest, DrawFrequenciesMatchProbabilities) {
  SamplerParams p;
  p.temperature = 1.0f;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.seed = 123;
  std::vector<float> logits = {std::log(0.6f), std::log(0.3f), std::log(0.1f)};
  Sampler s(p);
  std::map<int32_t, int> counts;
  const int n = 20000;
  for (int i = 0; i < n; ++i) ++counts[s.Sample(logits.data(), 3)];
  // Binomial standard deviation at n=20000 is < 0.0035; allow ~4 sigma.
  EXPECT_NEAR(counts[0] / double(n), 0.6, 0.015);
  EXPECT_NEAR(counts[1] / double(n), 0.3, 0.015);
  EXPECT_NEAR(counts[2] / double(n), 0.1, 0.015);
}

TEST(SamplerTest, TopKOneIsGreedyAtAnyTemperature) {
  SamplerParams p;
  p.temperature = 5.0f;
  p.top_k = 1;
  std::vector<float> logits = {0.0f, 0.1f, 3.0f, 0.2f};
  Sampler s(p);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(s.Sample(logits.data(), 4), 2);
}

TEST(SamplerTest, PenaltyWindowIsLastN) {
  SamplerParams p;
  p.temperature = 0.0f;
  p.repeat_last_n = 2;
  p.presence_penalty = 10.0f;
  std::vector<float> logits = {5.0f, 4.0f, 3.0f};
  Sampler s(p);
  s.Accept(0);
  EXPECT_EQ(s.Sample(logits.data(), 3), 1);
  s.Accept(1);
  EXPECT_EQ(s.Sample(logits.data(), 3), 2);
  s.Accept(2);  // window now {1, 2}: token 0 is free again
  EXPECT_EQ(s.Sample(logits.data(), 3), 0);
}

TEST(SamplerTest, RngIsSeededAndUniformInRange) {
  Rng a(1), b(1), c(2);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.Next(), b.Next());
  EXPECT_NE(Rng(1).Next(), c.Next());
  for (int i = 0; i < 1000; ++i) {
    double u = a.Uniform();
    EXPECT_GE(u, 0.0);
    EXPECT_LT(u, 1.0);
  }
}

TEST(SamplerTest, ValidateRejectsBadValues) {
  SamplerParams p;
  EXPECT_TRUE(ValidateParams(p).ok());
  p.temperature = -1.0f;
  EXPECT_FALSE(ValidateParams(p).ok());
  p = {};
  p.top_p = 1.5f;
  EXPECT_NE(ValidateParams(p).message().find("top-p"), std::string::npos);
  p = {};
  p.min_p = -0.1f;
  EXPECT_FALSE(ValidateParams(p).ok());
  p = {};
  p.repeat_penalty = 0.0f;
  EXPECT_FALSE(ValidateParams(p).ok());
  p = {};
  p.repeat_last_n = -3;
  EXPECT_FALSE(ValidateParams(p).ok());
}

}  // namespace
}  // namespace sangam::sample
