// Architecture features: Llama 3 RoPE frequency scaling (keys and rope_freqs.weight), linear RoPE
// scaling, Mistral's sliding window, and batch invariance over quantized weight types.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "model_test_util.h"
#include "sangam/model.h"

namespace sangam::model {
namespace {

using testing::Rewrite;
using testing::RewriteGguf;
using testing::TempDir;
using tensor::DType;

InitOptions Small(const std::string& arch, DType type = DType::kF32) {
  InitOptions o;
  o.arch = arch;
  o.n_embd = 256;
  o.n_layer = 2;
  o.n_head = 4;
  o.n_head_kv = 2;
  o.n_ff = 256;
  o.init_std = 0.08f;
  o.type = type;
  return o;
}

std::vector<int32_t> Tokens(int n) {
  std::vector<int32_t> t = {1};
  for (int i = 1; i < n; ++i) t.push_back(3 + (i * 53) % 256);
  return t;
}

// Logits of every position of `tokens`, decoded as one batch.
std::vector<std::vector<float>> AllLogits(const std::string& path, const std::vector<int32_t>& tokens,
                                          int64_t n_batch = 512) {
  auto m = Model::Load(path);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  if (!m.ok()) return {};
  ThreadPool pool(2);
  auto ctx = Context::Create(**m, ContextOptions{.n_ctx = 128, .n_batch = n_batch});
  EXPECT_TRUE(ctx.ok());
  std::vector<BatchToken> batch;
  for (size_t i = 0; i < tokens.size(); ++i) batch.push_back({tokens[i], int32_t(i), 0, true});
  EXPECT_TRUE((*ctx)->Decode(pool, batch).ok());
  std::vector<std::vector<float>> out;
  const int64_t V = (*m)->hparams().n_vocab;
  for (int i = 0; i < (*ctx)->n_logits(); ++i) out.emplace_back((*ctx)->Logits(i), (*ctx)->Logits(i) + V);
  return out;
}

float MaxDiff(const std::vector<float>& a, const std::vector<float>& b) {
  float d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

Rewrite::Extra F32Tensor(const std::string& name, const std::vector<float>& v) {
  Rewrite::Extra e{name, DType::kF32, {static_cast<int64_t>(v.size())}, {}};
  e.data.resize(v.size() * 4);
  std::memcpy(e.data.data(), v.data(), e.data.size());
  return e;
}

TEST(RopeScalingTest, Llama3KeysEqualRopeFreqsTensor) {
  TempDir dir;
  ThreadPool pool(2);
  const std::string base = dir.File("base.gguf");
  ASSERT_TRUE(InitModel(Small("llama"), base, pool).ok());
  // Llama 3.1's formula (as in the GGUF converter), computed here independently in double.
  const double factor = 8, lo = 1, hi = 4, old_ctx = 32;  // small context so most pairs scale
  const int64_t n_rot = 64;
  std::vector<float> factors;
  for (int64_t i = 0; i < n_rot / 2; ++i) {
    const double freq = 1.0 / std::pow(10000.0, double(2 * i) / double(n_rot));
    const double wavelen = 2 * M_PI / freq;
    if (wavelen < old_ctx / hi) {
      factors.push_back(1.0f);
    } else if (wavelen > old_ctx / lo) {
      factors.push_back(float(factor));
    } else {
      const double smooth = (old_ctx / wavelen - lo) / (hi - lo);
      factors.push_back(float(1.0 / ((1 - smooth) / factor + smooth)));
    }
  }
  ASSERT_EQ(factors.front(), 1.0f);
  ASSERT_EQ(factors.back(), 8.0f);

  Rewrite keys;
  keys.set_keys = {{"llama.rope.scaling.type", gguf::Value::Str("llama3")},
                   {"llama.rope.scaling.factor", gguf::Value::F32(8)},
                   {"llama.rope.scaling.low_freq_factor", gguf::Value::F32(1)},
                   {"llama.rope.scaling.high_freq_factor", gguf::Value::F32(4)},
                   {"llama.rope.scaling.original_context_length", gguf::Value::U32(32)}};
  RewriteGguf(base, dir.File("keys.gguf"), keys);
  Rewrite tensor;
  tensor.add_tensors.push_back(F32Tensor("rope_freqs.weight", factors));
  RewriteGguf(base, dir.File("tensor.gguf"), tensor);
  Rewrite ones;
  ones.add_tensors.push_back(F32Tensor("rope_freqs.weight", std::vector<float>(32, 1.0f)));
  RewriteGguf(base, dir.File("ones.gguf"), ones);

  const std::vector<int32_t> toks = Tokens(24);
  const auto l_base = AllLogits(base, toks);
  const auto l_keys = AllLogits(dir.File("keys.gguf"), toks);
  const auto l_tensor = AllLogits(dir.File("tensor.gguf"), toks);
  const auto l_ones = AllLogits(dir.File("ones.gguf"), toks);
  ASSERT_EQ(l_base.size(), 24u);
  ASSERT_EQ(l_keys.size(), 24u);
  ASSERT_EQ(l_tensor.size(), 24u);
  ASSERT_EQ(l_ones.size(), 24u);
  EXPECT_EQ(MaxDiff(l_base[0], l_keys[0]), 0.0f);  // position 0: RoPE is the identity
  EXPECT_GT(MaxDiff(l_base[23], l_keys[23]), 1e-3f);  // scaling is active
  for (size_t p = 0; p < toks.size(); ++p) {
    EXPECT_LT(MaxDiff(l_keys[p], l_tensor[p]), 1e-4f) << p;
    EXPECT_EQ(MaxDiff(l_base[p], l_ones[p]), 0.0f) << p;  // factors of 1 change nothing
  }
  // A rope_freqs tensor of the wrong length is rejected by name.
  Rewrite bad;
  bad.add_tensors.push_back(F32Tensor("rope_freqs.weight", std::vector<float>(31, 1.0f)));
  RewriteGguf(base, dir.File("bad.gguf"), bad);
  auto m = Model::Load(dir.File("bad.gguf"));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("rope_freqs.weight"), std::string::npos);
}

TEST(RopeScalingTest, LinearScalingDividesPositions) {
  TempDir dir;
  ThreadPool pool(2);
  const std::string base = dir.File("base.gguf");
  ASSERT_TRUE(InitModel(Small("llama"), base, pool).ok());
  Rewrite lin;
  lin.set_keys = {{"llama.rope.scaling.type", gguf::Value::Str("linear")},
                  {"llama.rope.scaling.factor", gguf::Value::F32(4)}};
  RewriteGguf(base, dir.File("lin.gguf"), lin);
  // Linear scaling by 4 = every rope factor 4 (theta / 4 either way).
  Rewrite four;
  four.add_tensors.push_back(F32Tensor("rope_freqs.weight", std::vector<float>(32, 4.0f)));
  RewriteGguf(base, dir.File("four.gguf"), four);
  const std::vector<int32_t> toks = Tokens(12);
  const auto a = AllLogits(dir.File("lin.gguf"), toks);
  const auto b = AllLogits(dir.File("four.gguf"), toks);
  const auto c = AllLogits(base, toks);
  ASSERT_EQ(a.size(), 12u);
  ASSERT_EQ(b.size(), 12u);
  for (size_t p = 0; p < toks.size(); ++p) EXPECT_LT(MaxDiff(a[p], b[p]), 1e-5f) << p;
  EXPECT_GT(MaxDiff(a[11], c[11]), 1e-3f);
}

TEST(SlidingWindowTest, MistralWindowLimitsAttention) {
  TempDir dir;
  ThreadPool pool(2);
  const std::string base = dir.File("base.gguf");
  ASSERT_TRUE(InitModel(Small("mistral"), base, pool).ok());
  Rewrite swa;
  swa.set_keys = {{"mistral.attention.sliding_window", gguf::Value::U32(6)}};
  RewriteGguf(base, dir.File("swa.gguf"), swa);
  {
    auto m = Model::Load(dir.File("swa.gguf"));
    ASSERT_TRUE(m.ok());
    EXPECT_EQ((*m)->hparams().n_swa, 6);
  }
  const std::vector<int32_t> toks = Tokens(16);
  const auto full = AllLogits(base, toks);
  const auto win = AllLogits(dir.File("swa.gguf"), toks);
  ASSERT_EQ(full.size(), 16u);
  ASSERT_EQ(win.size(), 16u);
  for (size_t p = 0; p < 6; ++p) EXPECT_EQ(MaxDiff(full[p], win[p]), 0.0f) << p;
  for (size_t p = 6; p < 16; ++p) EXPECT_GT(MaxDiff(full[p], win[p]), 0.0f) << p;
  // The window applies identically whether the prompt is one batch or split into chunks.
  const auto chunked = AllLogits(dir.File("swa.gguf"), toks, 5);
  for (size_t p = 0; p < 16; ++p) EXPECT_EQ(MaxDiff(win[p], chunked[p]), 0.0f) << p;
}

class QuantBatchTest : public ::testing::TestWithParam<DType> {};

TEST_P(QuantBatchTest, BatchedEqualsTokenByToken) {
  TempDir dir;
  ThreadPool pool(2);
  const std::string path = dir.File("m.gguf");
  ASSERT_TRUE(InitModel(Small("qwen2", GetParam()), path, pool).ok());
  const std::vector<int32_t> toks = Tokens(20);
  const auto batched = AllLogits(path, toks);
  const auto single = AllLogits(path, toks, 1);  // n_batch 1: one token per forward pass
  ASSERT_EQ(batched.size(), 20u);
  ASSERT_EQ(single.size(), 20u);
  float worst = 0;
  for (size_t p = 0; p < toks.size(); ++p) worst = std::max(worst, MaxDiff(batched[p], single[p]));
  std::printf("[batched vs single, %s] max |diff| = %g\n", tensor::Traits(GetParam()).name,
              static_cast<double>(worst));
  EXPECT_EQ(worst, 0.0f);
}

INSTANTIATE_TEST_SUITE_P(Types, QuantBatchTest,
                         ::testing::Values(DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0,
                                           DType::kQ4_0, DType::kQ4_K, DType::kQ6_K),
                         [](const auto& info) { return std::string(tensor::Traits(info.param).name); });

}  // namespace
}  // namespace sangam::model
