// LoRA at inference and in merged models: adapter-at-inference == merged weights, merged
// weights == W + scale*B*A computed independently, batch invariance, per-sequence adapters.
#include "sangam/lora.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "lora_test_util.h"

namespace sangam::model {
namespace {

using tensor::DType;
using testing::AllLogits;
using testing::AllTargets;
using testing::LoraTokens;
using testing::MakeModel;
using testing::RandomAdapter;
using testing::RelErr;
using testing::TempDir;
using testing::TinyLoraModel;

std::unique_ptr<Model> Merge(const Model& base, const MergeOptions& mo, const std::string& path) {
  ThreadPool pool(2);
  Status st = WriteMergedModel(base, mo, path, pool);
  EXPECT_TRUE(st.ok()) << st.ToString();
  auto m = Model::Load(path);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(*m) : nullptr;
}

// Tolerance: at inference y = W x + s B (A x); the merged model computes (W + s B A) x. Both are
// F32 sums of the same terms in different orders, so each projection differs by a few ulps of
// sum |w x| (~1e-7 relative); two layers and the output projection amplify that by well under
// 100x (observed: ~3e-7 with these sizes), so 1e-5 relative on the logits leaves a wide margin
// while a wrong scale, a transposed pair or a missing target would give errors of order 1 (the
// adapter moves the logits by > 5%).
constexpr double kTol = 1e-5;

TEST(LoraInferenceTest, MatchesMergedModelF32Base) {
  TempDir dir;
  auto base = MakeModel(dir.File("base.gguf"), TinyLoraModel());
  ASSERT_NE(base, nullptr);
  const LoraAdapter ad = RandomAdapter(base->hparams(), AllTargets(), 4, 8.0f, 1);
  const std::vector<AppliedLora> loras = {{&ad, 0.75f}};

  const auto plain = AllLogits(*base, LoraTokens());
  const auto with = AllLogits(*base, LoraTokens(), loras);
  MergeOptions mo;
  mo.loras = loras;
  mo.set_type = true;
  mo.type = DType::kF32;
  auto merged = Merge(*base, mo, dir.File("merged.gguf"));
  ASSERT_NE(merged, nullptr);
  const auto ref = AllLogits(*merged, LoraTokens());
  EXPECT_GT(RelErr(plain, ref), 0.05) << "the adapter should change the logits clearly";
  EXPECT_LT(RelErr(with, ref), kTol);
}

TEST(LoraInferenceTest, RsLoraAndTwoAdaptersMatchMerged) {
  TempDir dir;
  auto base = MakeModel(dir.File("base.gguf"), TinyLoraModel());
  ASSERT_NE(base, nullptr);
  LoraAdapter a1 = RandomAdapter(base->hparams(), {LoraTarget::kQ, LoraTarget::kV}, 8, 4.0f, 2);
  a1.rslora = true;
  const LoraAdapter a2 = RandomAdapter(
      base->hparams(), {LoraTarget::kO, LoraTarget::kDown, LoraTarget::kUp}, 2, 2.0f, 3);
  const std::vector<AppliedLora> loras = {{&a1, 1.0f}, {&a2, -0.5f}};
  MergeOptions mo;
  mo.loras = loras;
  auto merged = Merge(*base, mo, dir.File("merged.gguf"));
  ASSERT_NE(merged, nullptr);
  EXPECT_LT(RelErr(AllLogits(*base, LoraTokens(), loras), AllLogits(*merged, LoraTokens())), kTol);
}

// A Q8_0 base: merging dequantizes each row, adds the delta in F32 and (with set_type F32)
// stores F32. That file must equal the F32 copy of the Q8_0 base (QuantizeModel to F32, exact
// dequantization) with the adapter applied at inference, to the same tight tolerance.
// Applying the adapter directly on the Q8_0 base also quantizes activations to Q8_0 inside
// MatMul (~0.5% per projection), so that comparison only gets a loose bound.
TEST(LoraInferenceTest, Q8BaseMergedIntoF32MatchesInference) {
  TempDir dir;
  auto base = MakeModel(dir.File("q8.gguf"), TinyLoraModel("llama", DType::kQ8_0));
  ASSERT_NE(base, nullptr);
  ThreadPool pool(2);
  ASSERT_TRUE(QuantizeModel(dir.File("q8.gguf"), dir.File("f32.gguf"), DType::kF32, pool).ok());
  auto f32 = Model::Load(dir.File("f32.gguf"));
  ASSERT_TRUE(f32.ok());
  const LoraAdapter ad = RandomAdapter(base->hparams(), AllTargets(), 4, 4.0f, 4);
  const std::vector<AppliedLora> loras = {{&ad, 1.0f}};
  MergeOptions mo;
  mo.loras = loras;
  mo.set_type = true;
  mo.type = DType::kF32;
  auto merged = Merge(*base, mo, dir.File("merged.gguf"));
  ASSERT_NE(merged, nullptr);
  EXPECT_EQ(merged->file().FindTensor("blk.0.attn_q.weight")->type, DType::kF32);
  EXPECT_EQ(*merged->file().GetU32("general.file_type"), 0u);
  const auto ref = AllLogits(*merged, LoraTokens());
  EXPECT_GT(RelErr(AllLogits(**f32, LoraTokens()), ref), 0.05);
  EXPECT_LT(RelErr(AllLogits(**f32, LoraTokens(), loras), ref), kTol);
  EXPECT_LT(RelErr(AllLogits(*base, LoraTokens(), loras), ref), 0.05);

  // Without set_type every matrix keeps Q8_0 and the file type is untouched.
  MergeOptions keep;
  keep.loras = loras;
  keep.name = "merged-q8";
  auto q8 = Merge(*base, keep, dir.File("merged_q8.gguf"));
  ASSERT_NE(q8, nullptr);
  EXPECT_EQ(q8->file().FindTensor("blk.1.ffn_down.weight")->type, DType::kQ8_0);
  EXPECT_EQ(*q8->file().GetU32("general.file_type"), *base->file().GetU32("general.file_type"));
  EXPECT_EQ(*q8->file().GetString("general.name"), "merged-q8");
  EXPECT_LT(RelErr(AllLogits(*q8, LoraTokens()), ref), 0.05);
}

// W' from the merged F32 file against W + m * s * B A computed here in double.
void ExpectMergedWeights(const Model& base, const Model& merged, const LoraAdapter& ad,
                         float multiplier, double scale) {
  for (const LoraPair& p : ad.pairs) {
    const std::string name = LoraTargetTensorName(p.target, p.layer);
    const gguf::TensorInfo* w = base.file().FindTensor(name);
    const gguf::TensorInfo* w2 = merged.file().FindTensor(name);
    ASSERT_NE(w, nullptr);
    ASSERT_NE(w2, nullptr);
    ASSERT_EQ(w2->type, DType::kF32);
    ASSERT_EQ(w->ne[0], p.n_in);
    ASSERT_EQ(w->ne[1], p.n_out);
    std::vector<float> row(static_cast<size_t>(p.n_in));
    double max_err = 0;
    for (int64_t r = 0; r < p.n_out; ++r) {
      tensor::DequantizeRow(w->type, w->data + r * tensor::RowBytes(w->type, p.n_in), row.data(),
                            p.n_in);
      const float* got = reinterpret_cast<const float*>(w2->data) + r * p.n_in;
      for (int64_t c = 0; c < p.n_in; ++c) {
        double d = 0;
        for (int64_t k = 0; k < ad.rank; ++k) {
          d += double(p.b[static_cast<size_t>(r * ad.rank + k)]) *
               p.a[static_cast<size_t>(k * p.n_in + c)];
        }
        const double want = row[static_cast<size_t>(c)] + double(multiplier) * scale * d;
        max_err = std::max(max_err, std::fabs(got[c] - want));
      }
    }
    EXPECT_LT(max_err, 2e-6) << name;
  }
}

TEST(LoraMergeTest, MergedWeightsEqualWPlusScaledBA) {
  TempDir dir;
  auto base = MakeModel(dir.File("base.gguf"), TinyLoraModel());
  ASSERT_NE(base, nullptr);
  const Hparams& hp = base->hparams();
  struct Case {
    bool rslora;
    float multiplier;
  };
  for (const Case c : {Case{false, 1.0f}, Case{true, 1.0f}, Case{false, 0.3f}}) {
    LoraAdapter ad = RandomAdapter(hp, AllTargets(), 4, 6.0f, 5);
    ad.rslora = c.rslora;
    const double scale = c.rslora ? 6.0 / 2.0 : 6.0 / 4.0;  // alpha/sqrt(r) or alpha/r, r = 4
    EXPECT_FLOAT_EQ(ad.scale(), static_cast<float>(scale));
    MergeOptions mo;
    mo.loras = {{&ad, c.multiplier}};
    mo.set_type = true;
    auto merged = Merge(*base, mo, dir.File("merged.gguf"));
    ASSERT_NE(merged, nullptr);
    ExpectMergedWeights(*base, *merged, ad, c.multiplier, scale);
    // Tensors without a pair are copied unchanged.
    const gguf::TensorInfo* e1 = base->file().FindTensor("token_embd.weight");
    const gguf::TensorInfo* e2 = merged->file().FindTensor("token_embd.weight");
    ASSERT_EQ(e1->n_bytes, e2->n_bytes);
    EXPECT_EQ(std::memcmp(e1->data, e2->data, e1->n_bytes), 0);
  }
}

TEST(LoraMergeTest, OverridesReplaceTheBaseTensor) {
  TempDir dir;
  auto base = MakeModel(dir.File("base.gguf"), TinyLoraModel());
  ASSERT_NE(base, nullptr);
  const gguf::TensorInfo* t = base->file().FindTensor("blk.1.ffn_norm.weight");
  std::vector<float> norm(static_cast<size_t>(t->n_elements()));
  for (size_t i = 0; i < norm.size(); ++i) norm[i] = 0.5f + 0.01f * static_cast<float>(i);
  MergeOptions mo;
  mo.overrides = {{"blk.1.ffn_norm.weight", norm.data(), static_cast<int64_t>(norm.size())}};
  auto merged = Merge(*base, mo, dir.File("merged.gguf"));
  ASSERT_NE(merged, nullptr);
  const gguf::TensorInfo* t2 = merged->file().FindTensor("blk.1.ffn_norm.weight");
  ASSERT_EQ(t2->type, DType::kF32);
  EXPECT_EQ(std::memcmp(t2->data, norm.data(), norm.size() * 4), 0);

  ThreadPool pool(2);
  mo.overrides[0].n = 3;
  Status st = WriteMergedModel(*base, mo, dir.File("bad.gguf"), pool);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("blk.1.ffn_norm.weight"), std::string::npos) << st.message();
  mo.overrides[0] = {"blk.9.nope.weight", norm.data(), 1};
  EXPECT_EQ(WriteMergedModel(*base, mo, dir.File("bad.gguf"), pool).code(), StatusCode::kNotFound);
  MergeOptions same;
  EXPECT_FALSE(WriteMergedModel(*base, same, dir.File("base.gguf"), pool).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.File("bad.gguf")));
}

// Token-by-token decoding, a whole-prompt batch and an interleaved two-sequence batch give
// bit-identical logits with adapters (the LoRA path is computed per token).
void ExpectBatchInvariance(const InitOptions& io, int64_t rank) {
  TempDir dir;
  auto base = MakeModel(dir.File("base.gguf"), io);
  ASSERT_NE(base, nullptr);
  const LoraAdapter ad = RandomAdapter(base->hparams(), AllTargets(), rank, 8.0f, 6);
  const int64_t V = base->hparams().n_vocab;
  const auto& toks = LoraTokens();
  const auto batched = AllLogits(*base, toks, {{&ad, 1.0f}});
  EXPECT_GT(RelErr(AllLogits(*base, toks), batched), 0.05);

  ThreadPool pool(2);
  ContextOptions co;
  co.n_ctx = 64;
  co.n_seq = 2;
  co.loras = {{&ad, 1.0f}};
  auto ctx = Context::Create(*base, co);
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  for (size_t i = 0; i < toks.size(); ++i) {
    auto r = (*ctx)->Eval(pool, std::span<const int32_t>(&toks[i], 1), 0);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(std::memcmp(*r, batched.data() + i * V, V * 4), 0) << "token " << i;
  }
  // Interleave the same prompt in both sequences.
  for (int s = 0; s < 2; ++s) (*ctx)->SeqClear(s);
  std::vector<BatchToken> batch;
  for (size_t i = 0; i < toks.size(); ++i) {
    for (int s = 0; s < 2; ++s) batch.push_back({toks[i], static_cast<int32_t>(i), s, true});
  }
  ASSERT_TRUE((*ctx)->Decode(pool, batch).ok());
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(std::memcmp((*ctx)->Logits(static_cast<int>(i)), batched.data() + (i / 2) * V, V * 4),
              0)
        << "batch index " << i;
  }
}

TEST(LoraInferenceTest, BatchedDecodeIsBitIdenticalToTokenByToken) {
  ExpectBatchInvariance(TinyLoraModel(), 4);
}

// Rank 64 on wider matrices: a single token's terms are split across the pool (the generation
// path); still bit-identical to the batched path.
TEST(LoraInferenceTest, BatchInvarianceWithThreadSplitSingleTokenPath) {
  InitOptions io = TinyLoraModel();
  io.n_embd = 128;
  io.n_ff = 256;
  ExpectBatchInvariance(io, 64);
}

TEST(LoraInferenceTest, SetLorasOnOneSequenceLeavesTheOthers) {
  TempDir dir;
  auto base = MakeModel(dir.File("base.gguf"), TinyLoraModel());
  ASSERT_NE(base, nullptr);
  const LoraAdapter ad = RandomAdapter(base->hparams(), AllTargets(), 4, 8.0f, 7);
  const LoraAdapter ad2 = RandomAdapter(base->hparams(), {LoraTarget::kK}, 2, 8.0f, 8);
  const int64_t V = base->hparams().n_vocab;
  const auto& toks = LoraTokens();
  const auto with = AllLogits(*base, toks, {{&ad, 1.0f}});
  const auto plain = AllLogits(*base, toks);
  const auto with2 = AllLogits(*base, toks, {{&ad2, 2.0f}});

  ThreadPool pool(2);
  ContextOptions co;
  co.n_ctx = 64;
  co.n_seq = 3;
  co.loras = {{&ad, 1.0f}};
  auto ctx = Context::Create(*base, co);
  ASSERT_TRUE(ctx.ok());
  ASSERT_TRUE((*ctx)->SetLoras(1, {}).ok());
  ASSERT_TRUE((*ctx)->SetLoras(2, {{&ad2, 2.0f}}).ok());
  std::vector<BatchToken> batch;
  for (size_t i = 0; i < toks.size(); ++i) {
    for (int s = 0; s < 3; ++s) batch.push_back({toks[i], static_cast<int32_t>(i), s, true});
  }
  ASSERT_TRUE((*ctx)->Decode(pool, batch).ok());
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& want = batch[i].seq == 0 ? with : batch[i].seq == 1 ? plain : with2;
    EXPECT_EQ(std::memcmp((*ctx)->Logits(static_cast<int>(i)), want.data() + (i / 3) * V, V * 4), 0)
        << "seq " << batch[i].seq << " token " << i / 3;
  }
  // -1 replaces all sequences.
  ASSERT_TRUE((*ctx)->SetLoras(-1, {}).ok());
  for (int s = 0; s < 3; ++s) (*ctx)->SeqClear(s);
  ASSERT_TRUE((*ctx)->Decode(pool, batch).ok());
  for (size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ(std::memcmp((*ctx)->Logits(static_cast<int>(i)), plain.data() + (i / 3) * V, V * 4),
              0);
  }
}

TEST(LoraInferenceTest, InvalidAdaptersAreRejected) {
  TempDir dir;
  auto base = MakeModel(dir.File("base.gguf"), TinyLoraModel());
  ASSERT_NE(base, nullptr);
  const Hparams& hp = base->hparams();
  LoraAdapter ad = RandomAdapter(hp, {LoraTarget::kQ}, 4, 8.0f, 9);
  ContextOptions co;
  co.n_seq = 2;
  auto ctx = Context::Create(*base, co);
  ASSERT_TRUE(ctx.ok());
  Status st = (*ctx)->SetLoras(2, {{&ad, 1.0f}});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("sequence id 2"), std::string::npos) << st.message();
  EXPECT_EQ((*ctx)->SetLoras(0, {{nullptr, 1.0f}}).code(), StatusCode::kInvalidArgument);

  LoraAdapter rows = ad;
  rows.pairs[0].n_out = 32;
  rows.pairs[0].b.resize(32 * 4);
  st = (*ctx)->SetLoras(0, {{&rows, 1.0f}});
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("blk.0.attn_q.weight: lora_b has 32 rows, model has 64"),
            std::string::npos)
      << st.message();
  LoraAdapter layer = ad;
  layer.pairs[0].layer = 5;
  EXPECT_NE(ValidateLoraAdapter(layer, hp).message().find("layer 5"), std::string::npos);
  LoraAdapter size = ad;
  size.pairs[1].a.pop_back();
  EXPECT_NE(ValidateLoraAdapter(size, hp).message().find("blk.1.attn_q.weight: lora_a"),
            std::string::npos);
  LoraAdapter dup = ad;
  dup.pairs[1].layer = 0;
  EXPECT_NE(ValidateLoraAdapter(dup, hp).message().find("more than one"), std::string::npos);
  LoraAdapter arch = ad;
  arch.arch = "qwen2";
  EXPECT_FALSE(ValidateLoraAdapter(arch, hp).ok());
  co.loras = {{&rows, 1.0f}};
  EXPECT_FALSE(Context::Create(*base, co).ok());
  // A failed SetLoras changed nothing: sequence 0 still decodes like the plain model.
  ThreadPool pool(1);
  auto r = (*ctx)->Eval(pool, LoraTokens(), 0);
  ASSERT_TRUE(r.ok());
  const auto plain = AllLogits(*base, LoraTokens());
  EXPECT_EQ(std::memcmp(*r, plain.data() + (LoraTokens().size() - 1) * hp.n_vocab, hp.n_vocab * 4),
            0);
}

TEST(LoraTargetsTest, ParseAndNames) {
  auto t = ParseLoraTargets("q, v,down");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, (std::vector<LoraTarget>{LoraTarget::kQ, LoraTarget::kV, LoraTarget::kDown}));
  t = ParseLoraTargets("all");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->size(), 7u);
  t = ParseLoraTargets("q_proj,k_proj,q");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, (std::vector<LoraTarget>{LoraTarget::kQ, LoraTarget::kK}));
  auto bad = ParseLoraTargets("q,lm_head");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'lm_head'"), std::string::npos);
  EXPECT_NE(bad.status().message().find("q,k,v,o,gate,up,down"), std::string::npos);
  EXPECT_FALSE(ParseLoraTargets("").ok());
  EXPECT_EQ(LoraTargetTensorName(LoraTarget::kO, 3), "blk.3.attn_output.weight");
  EXPECT_EQ(LoraTargetTensorName(LoraTarget::kGate, 0), "blk.0.ffn_gate.weight");
  EXPECT_STREQ(LoraTargetName(LoraTarget::kUp), "up");
}

// The real stories260K model (and its llama2.c checkpoint, whose File is converted in memory):
// an adapter at inference equals the merged model.
TEST(LoraStoriesTest, MergeFromGgufAndLlama2cMatchesInference) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  SANGAM_REQUIRE_SHARED("data/models/stories260K.bin");
  TempDir dir;
  for (const char* rel : {"data/models/stories260K.gguf", "data/models/stories260K.bin"}) {
    auto base = Model::Load(::sangam::testing::SharedPath(rel));
    ASSERT_TRUE(base.ok()) << base.status().ToString();
    const LoraAdapter ad = RandomAdapter((*base)->hparams(), AllTargets(), 4, 8.0f, 10, 0.2f);
    MergeOptions mo;
    mo.loras = {{&ad, 1.0f}};
    mo.set_type = true;
    auto merged = Merge(**base, mo, dir.File("merged.gguf"));
    ASSERT_NE(merged, nullptr) << rel;
    const auto ref = AllLogits(*merged, LoraTokens());
    EXPECT_GT(RelErr(AllLogits(**base, LoraTokens()), ref), 0.05) << rel;
    EXPECT_LT(RelErr(AllLogits(**base, LoraTokens(), {{&ad, 1.0f}}), ref), kTol) << rel;
  }
}

}  // namespace
}  // namespace sangam::model
