// InitModel and QuantizeModel: every architecture initializes, loads, decodes like an independent
// reference forward pass; quantized copies load and stay close to F32.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

#include "model_test_util.h"
#include "sangam/model.h"

namespace sangam::model {
namespace {

using testing::ReferenceForward;
using testing::TempDir;
using tensor::DType;

InitOptions Tiny(const std::string& arch, bool tied) {
  InitOptions o;
  o.arch = arch;
  o.n_embd = 256;  // a multiple of 256 so every K-quant applies
  o.n_layer = 2;
  o.n_head = 4;
  o.n_head_kv = 2;
  o.n_ff = 512;
  o.n_ctx = 128;
  o.tied_output = tied;
  o.init_std = 0.08f;  // larger than 0.02 so attention and logits are far from uniform
  o.seed = 7;
  return o;
}

double RelErr(const float* a, const float* ref, int64_t n) {
  double num = 0, den = 0;
  for (int64_t i = 0; i < n; ++i) {
    num += (double(a[i]) - ref[i]) * (double(a[i]) - ref[i]);
    den += double(ref[i]) * ref[i];
  }
  return std::sqrt(num / std::max(den, 1e-30));
}

std::vector<float> LastLogits(const Model& m, const std::vector<int32_t>& tokens) {
  ThreadPool pool(2);
  auto ctx = Context::Create(m, ContextOptions{.n_ctx = 64});
  EXPECT_TRUE(ctx.ok()) << ctx.status().ToString();
  auto r = (*ctx)->Eval(pool, tokens);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  return std::vector<float>(*r, *r + m.hparams().n_vocab);
}

const std::vector<int32_t> kTokens = {1, 72, 101, 108, 108, 111, 259, 119, 111, 114, 108, 100};

struct ArchCase {
  std::string arch;
  bool tied;
};

class InitArchTest : public ::testing::TestWithParam<ArchCase> {};

TEST_P(InitArchTest, InitLoadDecodeMatchesReference) {
  const ArchCase& c = GetParam();
  TempDir dir;
  ThreadPool pool(2);
  const std::string path = dir.File("m.gguf");
  Status st = InitModel(Tiny(c.arch, c.tied), path, pool);
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto m = Model::Load(path);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const Hparams& hp = (*m)->hparams();
  EXPECT_EQ(hp.arch, c.arch);
  EXPECT_EQ(hp.n_vocab, 260);
  EXPECT_EQ(hp.n_embd, 256);
  EXPECT_EQ(hp.n_layer, 2);
  EXPECT_EQ(hp.n_head_kv, 2);
  EXPECT_EQ(hp.tied_output, c.tied);
  EXPECT_EQ(hp.qkv_bias, c.arch == "qwen2");
  EXPECT_EQ(hp.rope_neox, c.arch == "qwen2");
  EXPECT_EQ((*m)->file().FindTensor("output.weight") == nullptr, c.tied);

  // The byte vocabulary round-trips any text.
  auto ids = (*m)->tokenizer().Encode("Hello, world! \xC3\xBC");
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ((*m)->tokenizer().Decode(*ids), "Hello, world! \xC3\xBC");

  std::vector<float> got = LastLogits(**m, kTokens);
  ASSERT_EQ(got.size(), 260u);
  ReferenceForward ref(path);
  std::vector<float> want = ref.Logits(kTokens);
  double max_ref = 0;
  for (float v : want) max_ref = std::max(max_ref, double(std::fabs(v)));
  EXPECT_GT(max_ref, 0.05);  // logits are not trivially tiny
  EXPECT_LT(RelErr(got.data(), want.data(), 260), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Archs, InitArchTest,
                         ::testing::Values(ArchCase{"llama", false}, ArchCase{"llama", true},
                                           ArchCase{"mistral", false}, ArchCase{"mistral", true},
                                           ArchCase{"qwen2", false}, ArchCase{"qwen2", true}),
                         [](const auto& info) {
                           return info.param.arch + (info.param.tied ? "_tied" : "_untied");
                         });

TEST(InitTest, DeterministicForSeedAndThreadCount) {
  TempDir dir;
  ThreadPool p1(1), p3(3);
  InitOptions o = Tiny("llama", false);
  ASSERT_TRUE(InitModel(o, dir.File("a.gguf"), p1).ok());
  ASSERT_TRUE(InitModel(o, dir.File("b.gguf"), p3).ok());
  o.seed = 8;
  ASSERT_TRUE(InitModel(o, dir.File("c.gguf"), p3).ok());
  const std::string a = testing::ReadText(dir.File("a.gguf"));
  EXPECT_EQ(a, testing::ReadText(dir.File("b.gguf")));
  EXPECT_NE(a, testing::ReadText(dir.File("c.gguf")));
  // Statistics of a matrix: mean ~ 0, std ~ init_std; norms are exactly 1.
  auto f = gguf::File::Open(dir.File("a.gguf"));
  ASSERT_TRUE(f.ok());
  const gguf::TensorInfo* q = (*f)->FindTensor("blk.0.attn_q.weight");
  ASSERT_NE(q, nullptr);
  const float* w = reinterpret_cast<const float*>(q->data);
  double s = 0, s2 = 0;
  const int64_t n = q->n_elements();
  for (int64_t i = 0; i < n; ++i) {
    s += w[i];
    s2 += double(w[i]) * w[i];
  }
  EXPECT_NEAR(s / n, 0.0, 0.003);
  EXPECT_NEAR(std::sqrt(s2 / n), 0.08, 0.003);
  const gguf::TensorInfo* down = (*f)->FindTensor("blk.1.ffn_down.weight");
  w = reinterpret_cast<const float*>(down->data);
  s2 = 0;
  for (int64_t i = 0; i < down->n_elements(); ++i) s2 += double(w[i]) * w[i];
  EXPECT_NEAR(std::sqrt(s2 / down->n_elements()), 0.08 / 2.0, 0.003);  // / sqrt(2 * n_layer)
  const gguf::TensorInfo* norm = (*f)->FindTensor("blk.1.ffn_norm.weight");
  for (int64_t i = 0; i < norm->n_elements(); ++i) {
    ASSERT_EQ(reinterpret_cast<const float*>(norm->data)[i], 1.0f);
  }
  EXPECT_EQ(*(*f)->GetU32("general.file_type"), 0u);
}

TEST(InitTest, QuantizedInitAndVocabPadding) {
  TempDir dir;
  ThreadPool pool(2);
  InitOptions o = Tiny("llama", false);
  o.type = DType::kQ8_0;
  o.n_vocab_pad_to = 64;
  ASSERT_TRUE(InitModel(o, dir.File("q.gguf"), pool).ok());
  auto m = Model::Load(dir.File("q.gguf"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->hparams().n_vocab, 320);
  EXPECT_EQ((*m)->file().FindTensor("blk.0.ffn_up.weight")->type, DType::kQ8_0);
  EXPECT_EQ((*m)->file().FindTensor("blk.0.ffn_norm.weight")->type, DType::kF32);
  EXPECT_EQ(*(*m)->file().GetU32("general.file_type"), 7u);
  std::vector<float> logits = LastLogits(**m, kTokens);
  for (float v : logits) ASSERT_TRUE(std::isfinite(v));
}

TEST(InitTest, TokenizerFromLlama2cBinAndFromGguf) {
  SANGAM_REQUIRE_SHARED("data/models/tok512.bin");
  TempDir dir;
  ThreadPool pool(2);
  InitOptions o = Tiny("llama", true);
  o.tokenizer = sangam::testing::SharedPath("data/models/tok512.bin");
  ASSERT_TRUE(InitModel(o, dir.File("a.gguf"), pool).ok());
  o.tokenizer = sangam::testing::SharedPath("data/models/stories260K.gguf");
  ASSERT_TRUE(InitModel(o, dir.File("b.gguf"), pool).ok());
  for (const char* f : {"a.gguf", "b.gguf"}) {
    auto m = Model::Load(dir.File(f));
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    EXPECT_EQ((*m)->hparams().n_vocab, 512);
    // tok512.encode-vectors.tsv: "Once upon a time" -> 1 403 407 261 378.
    auto ids = (*m)->tokenizer().Encode("Once upon a time");
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, (std::vector<int32_t>{1, 403, 407, 261, 378})) << f;
  }
}

TEST(InitTest, RejectsBadOptions) {
  TempDir dir;
  ThreadPool pool(1);
  InitOptions o = Tiny("llama", false);
  o.arch = "gpt-17";
  Status st = InitModel(o, dir.File("x.gguf"), pool);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("gpt-17"), std::string::npos) << st.message();
  o = Tiny("llama", false);
  o.n_head_kv = 3;
  EXPECT_EQ(InitModel(o, dir.File("x.gguf"), pool).code(), StatusCode::kInvalidArgument);
  o = Tiny("llama", false);
  o.tokenizer = dir.File("does-not-exist.bin");
  EXPECT_EQ(InitModel(o, dir.File("x.gguf"), pool).code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.File("x.gguf")));
}

// Tolerances measured on this 2-layer random model (init_std 0.08), where quantization noise
// compounds through 15 matrix products: relative L2 errors of the logits were about
// F16 1.1e-3, BF16 1e-2, Q8_0 3.3e-2, Q6_K 9e-2, Q4_K 0.38, Q4_0 0.38 (vs F32).
struct QuantCase {
  DType type;
  double tol;         // relative L2 error of the logits vs the F32 model
  double kernel_tol;  // vs an exact forward pass over the same quantized weights
};

class QuantizeTest : public ::testing::TestWithParam<QuantCase> {};

TEST_P(QuantizeTest, LoadsAndStaysCloseToF32) {
  const QuantCase& c = GetParam();
  TempDir dir;
  ThreadPool pool(2);
  for (const char* arch : {"llama", "qwen2"}) {
    const std::string f32 = dir.File(std::string(arch) + ".f32.gguf");
    const std::string q = dir.File(std::string(arch) + ".q.gguf");
    ASSERT_TRUE(InitModel(Tiny(arch, false), f32, pool).ok());
    Status st = QuantizeModel(f32, q, c.type, pool);
    ASSERT_TRUE(st.ok()) << st.ToString();
    auto mf = Model::Load(f32);
    auto mq = Model::Load(q);
    ASSERT_TRUE(mf.ok() && mq.ok()) << mq.status().ToString();
    for (const gguf::TensorInfo& t : (*mq)->file().tensors()) {
      EXPECT_EQ(t.type, t.n_dims >= 2 ? c.type : DType::kF32) << t.name;
    }
    // Metadata copied (tokenizer included) and file type set.
    EXPECT_EQ((*mq)->hparams().n_ff, 512);
    EXPECT_EQ((*mq)->tokenizer().n_vocab(), 260);
    auto ft = (*mq)->file().GetU32("general.file_type");
    ASSERT_TRUE(ft.ok());
    const std::vector<float> a = LastLogits(**mf, kTokens);
    const std::vector<float> b = LastLogits(**mq, kTokens);
    const double err = RelErr(b.data(), a.data(), 260);
    // The reference forward on the quantized file (weights dequantized exactly, F32/double
    // activations) isolates the quantization of activations inside the kernels.
    const std::vector<float> r = ReferenceForward(q).Logits(kTokens);
    const double kernel_err = RelErr(b.data(), r.data(), 260);
    std::printf("[quantize %s %s] relative logits error vs F32 %.5f (tolerance %.3f); vs exact "
                "forward on the quantized weights %.5f (tolerance %.3f)\n",
                arch, tensor::Traits(c.type).name, err, c.tol, kernel_err, c.kernel_tol);
    EXPECT_LT(err, c.tol) << tensor::Traits(c.type).name;
    EXPECT_LT(kernel_err, c.kernel_tol) << tensor::Traits(c.type).name;
    if (c.type != DType::kF32) {
      EXPECT_GT(err, 0.0);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Types, QuantizeTest,
    ::testing::Values(QuantCase{DType::kF32, 1e-6, 1e-4}, QuantCase{DType::kF16, 2e-3, 2e-3},
                      QuantCase{DType::kBF16, 2e-2, 2e-3}, QuantCase{DType::kQ8_0, 6e-2, 5e-2},
                      QuantCase{DType::kQ6_K, 0.15, 5e-2}, QuantCase{DType::kQ4_K, 0.6, 5e-2},
                      QuantCase{DType::kQ4_0, 0.6, 5e-2}),
    [](const auto& info) { return std::string(tensor::Traits(info.param.type).name); });

TEST(QuantizeTest, RequantizeQuantizedAndOddShapesFallBack) {
  TempDir dir;
  ThreadPool pool(2);
  InitOptions o = Tiny("mistral", true);
  o.n_ff = 96;  // ffn_down rows of 96: not a multiple of 256, so K-quants fall back
  o.type = DType::kQ8_0;
  ASSERT_TRUE(InitModel(o, dir.File("a.gguf"), pool).ok());
  ASSERT_TRUE(QuantizeModel(dir.File("a.gguf"), dir.File("b.gguf"), DType::kQ4_K, pool).ok());
  auto m = Model::Load(dir.File("b.gguf"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->file().FindTensor("blk.0.ffn_up.weight")->type, DType::kQ4_K);
  EXPECT_EQ((*m)->file().FindTensor("blk.0.ffn_down.weight")->type, DType::kQ4_0);
  EXPECT_EQ(*(*m)->file().GetU32("general.file_type"), 14u);
  for (float v : LastLogits(**m, kTokens)) ASSERT_TRUE(std::isfinite(v));
  EXPECT_EQ(QuantizeModel(dir.File("a.gguf"), dir.File("a.gguf"), DType::kQ4_K, pool).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(QuantizeModel(dir.File("a.gguf"), dir.File("c.gguf"), DType::kQ8_K, pool).code(),
            StatusCode::kInvalidArgument);
}

TEST(QuantizeTest, Llama2cCheckpointToGguf) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.bin");
  TempDir dir;
  ThreadPool pool(2);
  // The default tokenizer lookup finds tok512.bin beside the checkpoint.
  Status st = QuantizeModel(sangam::testing::SharedPath("data/models/stories260K.bin"),
                            dir.File("s.gguf"), DType::kF32, pool);
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto a = Model::Load(dir.File("s.gguf"));
  auto b = Model::Load(sangam::testing::SharedPath("data/models/stories260K.gguf"));
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().ToString();
  const std::vector<int32_t> toks = {1, 403, 407, 261, 378};
  const std::vector<float> la = LastLogits(**a, toks), lb = LastLogits(**b, toks);
  EXPECT_LT(RelErr(la.data(), lb.data(), 512), 1e-5);
}

TEST(InitTest, BenchmarkShapeIsFast) {
  constexpr const char* kVocab = "data/vocab/ggml-vocab-llama-spm.gguf";
  SANGAM_REQUIRE_SHARED(kVocab);
  TempDir dir;
  ThreadPool pool(2);
  InitOptions o;
  o.n_embd = 1024;
  o.n_layer = 8;
  o.n_head = 16;
  o.n_head_kv = 4;
  o.n_ff = 2816;
  o.tokenizer = sangam::testing::SharedPath(kVocab);
  o.type = DType::kF16;
  const auto t0 = std::chrono::steady_clock::now();
  Status st = InitModel(o, dir.File("bench.gguf"), pool);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(st.ok()) << st.ToString();
  std::printf("[init benchmark shape, F16] %.2f s\n", secs);
  EXPECT_LT(secs, 60.0);
  auto m = Model::Load(dir.File("bench.gguf"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->hparams().n_vocab, 32000);
  EXPECT_NEAR(static_cast<double>((*m)->n_params()), 155.5e6, 1e6);
  auto ids = (*m)->tokenizer().Encode("Once upon a time");
  ASSERT_TRUE(ids.ok());
  ThreadPool p2(2);
  auto ctx = Context::Create(**m, ContextOptions{.n_ctx = 64});
  ASSERT_TRUE(ctx.ok());
  auto r = (*ctx)->Eval(p2, *ids);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (int i = 0; i < 32000; ++i) ASSERT_TRUE(std::isfinite((*r)[i]));
}

}  // namespace
}  // namespace sangam::model
