// Helpers for the LoRA tests: a tiny random model, random adapters, logits of a token sequence.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "model_test_util.h"
#include "sangam/lora.h"
#include "sangam/model.h"

namespace sangam::model::testing {

// A small Llama (GQA, 2 layers) whose rows fit Q8_0 blocks.
inline InitOptions TinyLoraModel(const std::string& arch = "llama",
                                 tensor::DType type = tensor::DType::kF32) {
  InitOptions o;
  o.arch = arch;
  o.n_embd = 64;
  o.n_layer = 2;
  o.n_head = 4;
  o.n_head_kv = 2;
  o.n_ff = 96;
  o.n_ctx = 64;
  o.init_std = 0.08f;
  o.seed = 11;
  o.type = type;
  return o;
}

inline std::unique_ptr<Model> MakeModel(const std::string& path, const InitOptions& o) {
  ThreadPool pool(2);
  Status st = InitModel(o, path, pool);
  EXPECT_TRUE(st.ok()) << st.ToString();
  auto m = Model::Load(path);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(*m) : nullptr;
}

// A random adapter on `targets` in every layer: A, B ~ N(0, std) (both non-zero, unlike a
// freshly initialized LoRA whose B is zero).
inline LoraAdapter RandomAdapter(const Hparams& hp, const std::vector<LoraTarget>& targets,
                                 int64_t rank, float alpha, uint32_t seed, float std_dev = 0.1f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, std_dev);
  LoraAdapter ad;
  ad.arch = hp.arch;
  ad.base_name = "tiny-base";
  ad.rank = rank;
  ad.alpha = alpha;
  ad.dropout = 0.05f;
  for (int64_t l = 0; l < hp.n_layer; ++l) {
    for (LoraTarget t : targets) {
      LoraPair p;
      p.layer = l;
      p.target = t;
      switch (t) {
        case LoraTarget::kQ:
          p.n_in = hp.n_embd, p.n_out = hp.n_embd_q();
          break;
        case LoraTarget::kK:
        case LoraTarget::kV:
          p.n_in = hp.n_embd, p.n_out = hp.n_embd_kv();
          break;
        case LoraTarget::kO:
          p.n_in = hp.n_embd_q(), p.n_out = hp.n_embd;
          break;
        case LoraTarget::kGate:
        case LoraTarget::kUp:
          p.n_in = hp.n_embd, p.n_out = hp.n_ff;
          break;
        case LoraTarget::kDown:
          p.n_in = hp.n_ff, p.n_out = hp.n_embd;
          break;
      }
      p.a.resize(static_cast<size_t>(rank * p.n_in));
      p.b.resize(static_cast<size_t>(rank * p.n_out));
      for (float& v : p.a) v = nd(rng);
      for (float& v : p.b) v = nd(rng);
      ad.pairs.push_back(std::move(p));
    }
  }
  return ad;
}

inline const std::vector<LoraTarget>& AllTargets() {
  static const std::vector<LoraTarget> all = {LoraTarget::kQ,   LoraTarget::kK,    LoraTarget::kV,
                                              LoraTarget::kO,   LoraTarget::kGate, LoraTarget::kUp,
                                              LoraTarget::kDown};
  return all;
}

inline const std::vector<int32_t>& LoraTokens() {
  static const std::vector<int32_t> t = {1, 72, 101, 108, 108, 111, 259, 119, 111, 114, 108, 100};
  return t;
}

// Logits of every token of `tokens` (one sequence from position 0), decoded in one batch.
inline std::vector<float> AllLogits(const Model& m, const std::vector<int32_t>& tokens,
                                    std::vector<AppliedLora> loras = {}) {
  ThreadPool pool(2);
  ContextOptions co;
  co.n_ctx = 64;
  co.loras = std::move(loras);
  auto ctx = Context::Create(m, co);
  EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
  if (!ctx.ok()) return {};
  std::vector<BatchToken> batch;
  for (size_t i = 0; i < tokens.size(); ++i) {
    batch.push_back({tokens[i], static_cast<int32_t>(i), 0, true});
  }
  Status st = (*ctx)->Decode(pool, batch);
  EXPECT_TRUE(st.ok()) << st.ToString();
  const int64_t V = m.hparams().n_vocab;
  std::vector<float> out;
  for (int i = 0; i < (*ctx)->n_logits(); ++i) {
    out.insert(out.end(), (*ctx)->Logits(i), (*ctx)->Logits(i) + V);
  }
  return out;
}

// ||a - ref|| / ||ref||.
inline double RelErr(const std::vector<float>& a, const std::vector<float>& ref) {
  EXPECT_EQ(a.size(), ref.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < std::min(a.size(), ref.size()); ++i) {
    num += (double(a[i]) - ref[i]) * (double(a[i]) - ref[i]);
    den += double(ref[i]) * ref[i];
  }
  return std::sqrt(num / std::max(den, 1e-30));
}

inline void ExpectSameAdapter(const LoraAdapter& got, const LoraAdapter& want) {
  EXPECT_EQ(got.arch, want.arch);
  EXPECT_EQ(got.base_name, want.base_name);
  EXPECT_EQ(got.rank, want.rank);
  EXPECT_EQ(got.alpha, want.alpha);
  EXPECT_EQ(got.rslora, want.rslora);
  EXPECT_EQ(got.dropout, want.dropout);
  ASSERT_EQ(got.pairs.size(), want.pairs.size());
  // Both sides in (layer, target) order.
  auto key = [](const LoraPair& p) { return std::make_pair(p.layer, static_cast<int>(p.target)); };
  std::vector<const LoraPair*> g, w;
  for (const auto& p : got.pairs) g.push_back(&p);
  for (const auto& p : want.pairs) w.push_back(&p);
  auto by_key = [&](const LoraPair* x, const LoraPair* y) { return key(*x) < key(*y); };
  std::sort(g.begin(), g.end(), by_key);
  std::sort(w.begin(), w.end(), by_key);
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_EQ(key(*g[i]), key(*w[i]));
    EXPECT_EQ(g[i]->n_in, w[i]->n_in);
    EXPECT_EQ(g[i]->n_out, w[i]->n_out);
    EXPECT_EQ(g[i]->a, w[i]->a) << "pair " << i;
    EXPECT_EQ(g[i]->b, w[i]->b) << "pair " << i;
  }
}

}  // namespace sangam::model::testing
