// Whole-model checks of TrainGraph: finite-difference gradients for every mode and base dtype,
// recomputation and thread-count invariance, agreement with the inference forward, and LoRA
// merge / adapter export equal to the graph's own LoRA forward.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "../model/model_test_util.h"
#include "sangam/lora.h"
#include "sangam/model.h"
#include "sangam/tensor.h"
#include "sangam/train_graph.h"

namespace sangam::train {
namespace {

using model::testing::TempDir;

struct TinySpec {
  int64_t dim = 32, layers = 2, heads = 4, kv_heads = 2, ffn = 64;
  tensor::DType type = tensor::DType::kF32;
  float init_std = 0.3f;
  bool tied = false;
  std::string arch = "llama";
};

std::unique_ptr<model::Model> MakeModel(const TempDir& dir, const TinySpec& s,
                                        const std::string& name = "m.gguf") {
  model::InitOptions o;
  o.arch = s.arch;
  o.n_embd = s.dim;
  o.n_layer = s.layers;
  o.n_head = s.heads;
  o.n_head_kv = s.kv_heads;
  o.n_ff = s.ffn;
  o.n_ctx = 64;
  o.type = s.type;
  o.init_std = s.init_std;
  o.tied_output = s.tied;
  o.seed = 7;
  ThreadPool pool(2);
  const std::string path = dir.File(name);
  EXPECT_TRUE(model::InitModel(o, path, pool).ok());
  auto m = model::Model::Load(path);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(*m) : nullptr;
}

Batch MakeBatch(int32_t rows, int32_t ctx, int64_t vocab, uint32_t seed, bool some_ignored) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> tok(0, static_cast<int32_t>(vocab - 1));
  Batch b;
  b.batch = rows;
  b.ctx = ctx;
  for (int32_t i = 0; i < rows * ctx; ++i) {
    b.inputs.push_back(tok(rng));
    b.targets.push_back(some_ignored && i % 5 == 2 ? kIgnoreIndex : tok(rng));
  }
  return b;
}

// Loss at the current parameters with the dropout masks of micro-step 0 (grads discarded).
double LossAt(TrainGraph& g, ThreadPool& pool, const Batch& b) {
  g.set_micro_step(0);
  auto l = g.ForwardBackward(pool, b, 1.0f);
  EXPECT_TRUE(l.ok()) << l.status().ToString();
  g.ZeroGrad();
  return l.ok() ? static_cast<double>(*l) : NAN;
}

// Central differences on `per_tensor` sampled elements of every parameter tensor. Checks each
// element loosely and the whole sampled vector tightly (cosine and relative error).
void CheckGraphGradients(TrainGraph& g, ThreadPool& pool, const Batch& b, int per_tensor,
                         float h, const std::string& what) {
  g.ZeroGrad();
  g.set_micro_step(0);
  ASSERT_TRUE(g.ForwardBackward(pool, b, 1.0f).ok());
  std::vector<std::vector<float>> ana;
  for (const Param& p : g.params()) ana.push_back(p.grad);
  g.ZeroGrad();
  std::mt19937 rng(123);
  double dot = 0, na = 0, nn = 0;
  int checked = 0;
  for (size_t pi = 0; pi < g.params().size(); ++pi) {
    Param& p = g.params()[pi];
    std::uniform_int_distribution<size_t> pick(0, p.data.size() - 1);
    double t_diff2 = 0, t_num2 = 0;
    for (int k = 0; k < per_tensor; ++k) {
      // Prefer elements with a non-negligible gradient (sparse grads: embeddings, rows).
      size_t i = pick(rng);
      for (int tries = 0; tries < 50 && std::fabs(ana[pi][i]) < 1e-4f; ++tries) i = pick(rng);
      const float x0 = p.data[i];
      p.data[i] = x0 + h;
      const double lp = LossAt(g, pool, b);
      p.data[i] = x0 - h;
      const double lm = LossAt(g, pool, b);
      p.data[i] = x0;
      const double num = (lp - lm) / (2.0 * h);
      const double a = ana[pi][i];
      // Central differences of a float loss carry ~1e-4 absolute noise at this h.
      EXPECT_NEAR(a, num, 5e-4 + 0.05 * std::max(std::fabs(a), std::fabs(num)))
          << what << ": " << p.name << "[" << i << "]";
      dot += a * num;
      na += a * a;
      nn += num * num;
      t_diff2 += (a - num) * (a - num);
      t_num2 += num * num;
      ++checked;
    }
    // Per tensor: the sampled gradient vector within 3 % (plus the noise floor).
    EXPECT_LE(std::sqrt(t_diff2), 0.03 * std::sqrt(t_num2) + 3e-4 * std::sqrt(per_tensor))
        << what << ": " << p.name << " (|num| = " << std::sqrt(t_num2) << ")";
  }
  ASSERT_GT(checked, 0);
  ASSERT_GT(na, 0.0) << what << ": all sampled gradients are zero";
  EXPECT_GT(dot / std::sqrt(na * nn), 0.999) << what;
}

TEST(TrainGraph, FullModelGradientsMatchFiniteDifferences) {
  TempDir dir;
  auto m = MakeModel(dir, {});
  ThreadPool pool(2);
  GraphConfig cfg;
  cfg.full = true;
  auto g = TrainGraph::Create(*m, cfg);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  // Every tensor of the model is a parameter.
  EXPECT_EQ((*g)->params().size(), 1 + 2 * 9 + 2u);
  CheckGraphGradients(**g, pool, MakeBatch(2, 8, m->hparams().n_vocab, 1, true), 8, 5e-3f,
                      "full f32");
}

TEST(TrainGraph, FullModelTiedOutputGradients) {
  TempDir dir;
  TinySpec s;
  s.tied = true;
  auto m = MakeModel(dir, s);
  ASSERT_TRUE(m->hparams().tied_output);
  ThreadPool pool(2);
  GraphConfig cfg;
  cfg.full = true;
  auto g = TrainGraph::Create(*m, cfg);
  ASSERT_TRUE(g.ok());
  CheckGraphGradients(**g, pool, MakeBatch(2, 6, m->hparams().n_vocab, 2, false), 4, 5e-3f,
                      "full tied");
}

TEST(TrainGraph, Qwen2BiasesAndNeoxRopeGradients) {
  TempDir dir;
  TinySpec s;
  s.arch = "qwen2";
  auto m = MakeModel(dir, s);
  ThreadPool pool(2);
  GraphConfig cfg;
  cfg.full = true;
  auto g = TrainGraph::Create(*m, cfg);
  ASSERT_TRUE(g.ok());
  CheckGraphGradients(**g, pool, MakeBatch(1, 8, m->hparams().n_vocab, 3, false), 3, 5e-3f,
                      "qwen2 full");
}

// LoRA on every projection with random (non-zero) B so that A's gradient is non-trivial, plus
// trainable rows, with dropout: for each base dtype.
class LoraGradients : public ::testing::TestWithParam<tensor::DType> {};

TEST_P(LoraGradients, MatchFiniteDifferences) {
  TempDir dir;
  TinySpec s;
  s.type = GetParam();
  if (s.type == tensor::DType::kQ4_K || s.type == tensor::DType::kQ6_K) {
    s.dim = 256;  // K-quants need rows of 256
    s.ffn = 256;
    s.heads = 4;
    s.kv_heads = 2;
    s.layers = 1;
  }
  auto m = MakeModel(dir, s);
  ThreadPool pool(2);
  GraphConfig cfg;
  cfg.lora.rank = 4;
  cfg.lora.alpha = 8.0f;
  cfg.lora.dropout = 0.25f;
  cfg.lora.targets = {model::LoraTarget::kQ,    model::LoraTarget::kK,  model::LoraTarget::kV,
                      model::LoraTarget::kO,    model::LoraTarget::kGate, model::LoraTarget::kUp,
                      model::LoraTarget::kDown};
  cfg.rows_from = m->hparams().n_vocab - 20;
  cfg.seed = 5;
  auto g = TrainGraph::Create(*m, cfg);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  for (Param& p : (*g)->params()) {
    if (p.name.ends_with(".lora_b")) {
      for (float& v : p.data) v = u(rng);
    }
  }
  Batch b = MakeBatch(2, 8, m->hparams().n_vocab, 4, true);
  // Make sure some inputs and targets use the trainable rows.
  b.inputs[3] = static_cast<int32_t>(m->hparams().n_vocab - 1);
  b.targets[5] = static_cast<int32_t>(m->hparams().n_vocab - 2);
  CheckGraphGradients(**g, pool, b, 3, 5e-3f,
                      std::string("lora on ") + tensor::Traits(GetParam()).name);
}

INSTANTIATE_TEST_SUITE_P(AllBaseTypes, LoraGradients,
                         ::testing::Values(tensor::DType::kF32, tensor::DType::kF16,
                                           tensor::DType::kBF16, tensor::DType::kQ8_0,
                                           tensor::DType::kQ4_0, tensor::DType::kQ4_K,
                                           tensor::DType::kQ6_K),
                         [](const auto& info) { return std::string(tensor::Traits(info.param).name); });

std::vector<std::vector<float>> GradsOf(TrainGraph& g) {
  std::vector<std::vector<float>> out;
  for (const Param& p : g.params()) out.push_back(p.grad);
  return out;
}

TEST(TrainGraph, RecomputeAndThreadCountGiveIdenticalGradients) {
  TempDir dir;
  auto m = MakeModel(dir, {});
  const Batch b = MakeBatch(3, 12, m->hparams().n_vocab, 11, true);
  std::vector<std::vector<float>> ref;
  float ref_loss = 0;
  for (int variant = 0; variant < 3; ++variant) {
    GraphConfig cfg;
    cfg.lora.rank = 2;
    cfg.lora.dropout = 0.1f;
    cfg.rows_from = 200;
    cfg.recompute = variant == 1;
    ThreadPool pool(variant == 2 ? 3 : 1);
    auto g = TrainGraph::Create(*m, cfg);
    ASSERT_TRUE(g.ok());
    for (Param& p : (*g)->params()) {
      if (p.name.ends_with(".lora_b")) std::fill(p.data.begin(), p.data.end(), 0.1f);
    }
    auto l = (*g)->ForwardBackward(pool, b, 1.0f);
    ASSERT_TRUE(l.ok());
    if (variant == 0) {
      ref = GradsOf(**g);
      ref_loss = *l;
    } else {
      EXPECT_EQ(*l, ref_loss) << "variant " << variant;
      EXPECT_EQ(GradsOf(**g), ref) << "variant " << variant;
    }
  }
}

TEST(TrainGraph, GradientAccumulationEqualsTheMeanOfMicroBatches) {
  TempDir dir;
  auto m = MakeModel(dir, {});
  ThreadPool pool(2);
  GraphConfig cfg;
  cfg.full = true;
  auto g = TrainGraph::Create(*m, cfg);
  ASSERT_TRUE(g.ok());
  const Batch b1 = MakeBatch(1, 8, m->hparams().n_vocab, 21, false);
  const Batch b2 = MakeBatch(1, 8, m->hparams().n_vocab, 22, false);
  ASSERT_TRUE((*g)->ForwardBackward(pool, b1, 0.5f).ok());
  ASSERT_TRUE((*g)->ForwardBackward(pool, b2, 0.5f).ok());
  auto acc = GradsOf(**g);
  (*g)->ZeroGrad();
  ASSERT_TRUE((*g)->ForwardBackward(pool, b1, 1.0f).ok());
  auto g1 = GradsOf(**g);
  (*g)->ZeroGrad();
  ASSERT_TRUE((*g)->ForwardBackward(pool, b2, 1.0f).ok());
  auto g2 = GradsOf(**g);
  for (size_t p = 0; p < acc.size(); ++p) {
    for (size_t i = 0; i < acc[p].size(); i += 7) {
      EXPECT_NEAR(acc[p][i], 0.5f * (g1[p][i] + g2[p][i]), 1e-6f + 1e-5f * std::fabs(acc[p][i]));
    }
  }
}

// Logits of one row through the inference Context.
std::vector<float> InferenceLogits(const model::Model& m, const std::vector<int32_t>& tokens,
                                   const std::vector<model::AppliedLora>& loras = {}) {
  ThreadPool pool(2);
  model::ContextOptions co;
  co.n_ctx = 64;
  co.loras = loras;
  auto ctx = model::Context::Create(m, co);
  EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
  std::vector<model::BatchToken> batch;
  for (size_t i = 0; i < tokens.size(); ++i) {
    batch.push_back({tokens[i], static_cast<int32_t>(i), 0, true});
  }
  EXPECT_TRUE((*ctx)->Decode(pool, batch).ok());
  std::vector<float> out;
  const int64_t V = m.hparams().n_vocab;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const float* l = (*ctx)->Logits(static_cast<int>(i));
    out.insert(out.end(), l, l + V);
  }
  return out;
}

void ExpectClose(const std::vector<float>& a, const std::vector<float>& b, float tol,
                 const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  float worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  EXPECT_LT(worst, tol) << what;
}

class GraphMatchesInference : public ::testing::TestWithParam<tensor::DType> {};

TEST_P(GraphMatchesInference, Logits) {
  TempDir dir;
  TinySpec s;
  s.type = GetParam();
  s.init_std = 0.1f;
  auto m = MakeModel(dir, s);
  ThreadPool pool(2);
  GraphConfig cfg;
  cfg.lora.rank = 2;  // B = 0: the graph computes the base model
  auto g = TrainGraph::Create(*m, cfg);
  ASSERT_TRUE(g.ok());
  const Batch b = MakeBatch(1, 16, m->hparams().n_vocab, 31, false);
  auto logits = (*g)->Logits(pool, b);
  ASSERT_TRUE(logits.ok());
  // Quantized bases: inference quantizes activations to 8 bits, training does not.
  const float tol = tensor::Traits(GetParam()).quantized ? 0.05f : 1e-3f;
  ExpectClose(*logits, InferenceLogits(*m, b.inputs), tol, tensor::Traits(GetParam()).name);
}

INSTANTIATE_TEST_SUITE_P(Types, GraphMatchesInference,
                         ::testing::Values(tensor::DType::kF32, tensor::DType::kF16,
                                           tensor::DType::kQ8_0),
                         [](const auto& info) { return std::string(tensor::Traits(info.param).name); });

// The graph's LoRA forward, the merged model and the exported adapter applied at inference all
// give the same logits.
TEST(TrainGraph, LoraMergeAndAdapterExportMatchTheGraph) {
  TempDir dir;
  TinySpec s;
  s.init_std = 0.1f;
  auto m = MakeModel(dir, s);
  ThreadPool pool(2);
  GraphConfig cfg;
  cfg.lora.rank = 4;
  cfg.lora.alpha = 4.0f;
  cfg.lora.rslora = true;
  cfg.lora.targets = {model::LoraTarget::kQ, model::LoraTarget::kV, model::LoraTarget::kDown};
  auto g = TrainGraph::Create(*m, cfg);
  ASSERT_TRUE(g.ok());
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-0.3f, 0.3f);
  for (Param& p : (*g)->params()) {
    if (p.name.ends_with(".lora_b")) {
      for (float& v : p.data) v = u(rng);
    }
  }
  const Batch b = MakeBatch(1, 16, m->hparams().n_vocab, 41, false);
  auto graph_logits = (*g)->Logits(pool, b);
  ASSERT_TRUE(graph_logits.ok());
  const auto base_logits = InferenceLogits(*m, b.inputs);
  float change = 0;
  for (size_t i = 0; i < base_logits.size(); ++i) {
    change = std::max(change, std::fabs(base_logits[i] - (*graph_logits)[i]));
  }
  ASSERT_GT(change, 0.05f) << "the adapter should change the logits noticeably";

  model::LoraAdapter ad = (*g)->ExportLora();
  ASSERT_EQ(ad.pairs.size(), 3u * 2u);
  EXPECT_FLOAT_EQ(ad.scale(), 4.0f / 2.0f);

  // Merged F32 model.
  model::MergeOptions mo;
  mo.loras.push_back({&ad, 1.0f});
  const std::string merged = dir.File("merged.gguf");
  ASSERT_TRUE(model::WriteMergedModel(*m, mo, merged, pool).ok());
  auto mm = model::Model::Load(merged);
  ASSERT_TRUE(mm.ok());
  ExpectClose(InferenceLogits(**mm, b.inputs), *graph_logits, 1e-3f, "merged");

  // GGUF adapter and PEFT directory, reloaded and applied at inference.
  const std::string gguf = dir.File("adapter.gguf");
  ASSERT_TRUE(model::SaveLoraGguf(ad, m->hparams(), gguf).ok());
  auto loaded = model::LoadLoraAdapter(gguf, m->hparams());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ExpectClose(InferenceLogits(*m, b.inputs, {{&*loaded, 1.0f}}), *graph_logits, 1e-3f,
              "gguf adapter");
  const std::string peft = dir.File("peft");
  ASSERT_TRUE(model::SavePeftAdapter(ad, m->hparams(), peft).ok());
  auto loaded_peft = model::LoadLoraAdapter(peft, m->hparams());
  ASSERT_TRUE(loaded_peft.ok()) << loaded_peft.status().ToString();
  ExpectClose(InferenceLogits(*m, b.inputs, {{&*loaded_peft, 1.0f}}), *graph_logits, 1e-3f,
              "peft adapter");
}

TEST(TrainGraph, FullTrainingExportReproducesTheGraph) {
  TempDir dir;
  TinySpec s;
  s.init_std = 0.1f;
  auto m = MakeModel(dir, s);
  ThreadPool pool(2);
  GraphConfig cfg;
  cfg.full = true;
  auto g = TrainGraph::Create(*m, cfg);
  ASSERT_TRUE(g.ok());
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-0.02f, 0.02f);
  for (Param& p : (*g)->params()) {
    for (float& v : p.data) v += u(rng);
  }
  const Batch b = MakeBatch(1, 12, m->hparams().n_vocab, 51, false);
  auto graph_logits = (*g)->Logits(pool, b);
  ASSERT_TRUE(graph_logits.ok());
  auto ov = (*g)->ExportOverrides();
  model::MergeOptions mo;
  mo.overrides = ov.list;
  const std::string out = dir.File("full.gguf");
  ASSERT_TRUE(model::WriteMergedModel(*m, mo, out, pool).ok());
  auto mm = model::Model::Load(out);
  ASSERT_TRUE(mm.ok());
  ExpectClose(InferenceLogits(**mm, b.inputs), *graph_logits, 1e-3f, "full export");
}

TEST(TrainGraph, BadInputsAreRejectedWithoutSideEffects) {
  TempDir dir;
  auto m = MakeModel(dir, {});
  ThreadPool pool(1);
  GraphConfig none;
  EXPECT_FALSE(TrainGraph::Create(*m, none).ok());
  GraphConfig both;
  both.full = true;
  both.lora.rank = 2;
  EXPECT_FALSE(TrainGraph::Create(*m, both).ok());
  GraphConfig rows;
  rows.rows_from = m->hparams().n_vocab;
  EXPECT_FALSE(TrainGraph::Create(*m, rows).ok());
  GraphConfig cfg;
  cfg.full = true;
  auto g = TrainGraph::Create(*m, cfg);
  ASSERT_TRUE(g.ok());
  Batch b = MakeBatch(1, 4, m->hparams().n_vocab, 1, false);
  b.targets[2] = static_cast<int32_t>(m->hparams().n_vocab);
  auto r = (*g)->ForwardBackward(pool, b, 1.0f);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("target"), std::string::npos) << r.status().ToString();
  for (const Param& p : (*g)->params()) {
    for (float v : p.grad) ASSERT_EQ(v, 0.0f);
  }
  EXPECT_EQ((*g)->micro_step(), 0);
}

}  // namespace
}  // namespace sangam::train
