// LoRA file formats: llama.cpp GGUF adapters and Hugging Face PEFT directories (round trips,
// exact on-disk conventions, hand-made files, errors).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "lora_test_util.h"
#include "sangam/file.h"
#include "sangam/gguf.h"
#include "sangam/lora.h"
#include "sangam/safetensors.h"

namespace sangam::model {
namespace {

using tensor::DType;
using testing::AllTargets;
using testing::ExpectSameAdapter;
using testing::MakeModel;
using testing::RandomAdapter;
using testing::TempDir;
using testing::TinyLoraModel;

class LoraFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = MakeModel(dir_.File("base.gguf"), TinyLoraModel());
    ASSERT_NE(model_, nullptr);
  }
  const Hparams& hp() const { return model_->hparams(); }

  TempDir dir_;
  std::unique_ptr<Model> model_;
};

TEST_F(LoraFormatTest, GgufRoundTripAndLlamaCppLayout) {
  for (bool rslora : {false, true}) {
    LoraAdapter ad = RandomAdapter(hp(), AllTargets(), 4, 12.0f, 21);
    ad.rslora = rslora;
    const std::string path = dir_.File("a.gguf");
    Status st = SaveLoraGguf(ad, hp(), path);
    ASSERT_TRUE(st.ok()) << st.ToString();
    auto back = LoadLoraAdapter(path, hp());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ExpectSameAdapter(*back, ad);

    // The keys and shapes llama.cpp's llama_adapter_lora_init reads.
    auto f = gguf::File::Open(path);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(*(*f)->GetString("general.type"), "adapter");
    EXPECT_EQ(*(*f)->GetString("general.architecture"), "llama");
    EXPECT_EQ(*(*f)->GetString("adapter.type"), "lora");
    const gguf::Value* alpha = (*f)->Find("adapter.lora.alpha");
    ASSERT_NE(alpha, nullptr);
    EXPECT_EQ(alpha->type, gguf::ValueType::kFloat32);
    // llama.cpp scales by alpha / rank, so rsLoRA (alpha / sqrt(rank)) stores alpha * sqrt(rank).
    EXPECT_FLOAT_EQ(static_cast<float>(alpha->f), rslora ? 12.0f * 2.0f : 12.0f);
    EXPECT_FLOAT_EQ(static_cast<float>(alpha->f) / 4.0f, ad.scale());
    EXPECT_EQ((*f)->tensors().size(), 2 * ad.pairs.size());
    for (const LoraPair& p : ad.pairs) {
      const std::string base = LoraTargetTensorName(p.target, p.layer);
      const gguf::TensorInfo* a = (*f)->FindTensor(base + ".lora_a");
      const gguf::TensorInfo* b = (*f)->FindTensor(base + ".lora_b");
      ASSERT_NE(a, nullptr) << base;
      ASSERT_NE(b, nullptr) << base;
      EXPECT_EQ(a->n_dims, 2u);
      EXPECT_EQ(a->ne[0], p.n_in);
      EXPECT_EQ(a->ne[1], 4);
      EXPECT_EQ(b->ne[0], 4);
      EXPECT_EQ(b->ne[1], p.n_out);
      EXPECT_EQ(a->type, DType::kF32);
      // Base weight ne = {n_in, n_out}: llama.cpp's checks a.ne[0] == w.ne[0], b.ne[1] == w.ne[1].
      const gguf::TensorInfo* w = model_->file().FindTensor(base);
      EXPECT_EQ(w->ne[0], a->ne[0]);
      EXPECT_EQ(w->ne[1], b->ne[1]);
      EXPECT_EQ(std::memcmp(a->data, p.a.data(), p.a.size() * 4), 0);
      EXPECT_EQ(std::memcmp(b->data, p.b.data(), p.b.size() * 4), 0);
    }
  }
}

// An adapter as llama.cpp's converter writes it (no sangam keys), F16 tensors, alpha given or
// absent (absent = scale 1, as in llama.cpp).
TEST_F(LoraFormatTest, ReadsForeignGgufAdapter) {
  const int64_t r = 2, C = hp().n_embd;
  std::vector<float> a(static_cast<size_t>(r * C)), b(static_cast<size_t>(hp().n_embd_kv() * r));
  for (size_t i = 0; i < a.size(); ++i) a[i] = 0.25f * static_cast<float>(int(i % 7) - 3);
  for (size_t i = 0; i < b.size(); ++i) b[i] = 0.5f * static_cast<float>(int(i % 5) - 2);
  std::vector<uint16_t> a16(a.size()), b16(b.size());
  for (size_t i = 0; i < a.size(); ++i) a16[i] = tensor::F32ToF16(a[i]);
  for (size_t i = 0; i < b.size(); ++i) b16[i] = tensor::F32ToF16(b[i]);
  for (bool with_alpha : {true, false}) {
    gguf::Writer w;
    w.Set("general.architecture", gguf::Value::Str("llama"));
    w.Set("general.type", gguf::Value::Str("adapter"));
    w.Set("adapter.type", gguf::Value::Str("lora"));
    if (with_alpha) w.Set("adapter.lora.alpha", gguf::Value::F32(6.0f));
    ASSERT_TRUE(w.AddTensor("blk.1.attn_v.weight.lora_a", DType::kF16, {C, r}, a16.data()).ok());
    ASSERT_TRUE(
        w.AddTensor("blk.1.attn_v.weight.lora_b", DType::kF16, {r, hp().n_embd_kv()}, b16.data())
            .ok());
    ASSERT_TRUE(w.Write(dir_.File("f.gguf")).ok());
    auto ad = LoadLoraAdapter(dir_.File("f.gguf"), hp());
    ASSERT_TRUE(ad.ok()) << ad.status().ToString();
    EXPECT_EQ(ad->rank, 2);
    EXPECT_FALSE(ad->rslora);
    EXPECT_FLOAT_EQ(ad->scale(), with_alpha ? 3.0f : 1.0f);
    ASSERT_EQ(ad->pairs.size(), 1u);
    EXPECT_EQ(ad->pairs[0].layer, 1);
    EXPECT_EQ(ad->pairs[0].target, LoraTarget::kV);
    EXPECT_EQ(ad->pairs[0].a, a);
    EXPECT_EQ(ad->pairs[0].b, b);
  }
}

// Writes a GGUF adapter through a callback that may break it.
Status LoadBrokenGguf(const std::string& path, const Hparams& hp,
                      const std::function<void(gguf::Writer&, std::vector<float>&)>& edit,
                      bool add_pair = true) {
  static std::vector<float> a, b;
  a.assign(static_cast<size_t>(2 * hp.n_embd), 0.1f);
  b.assign(static_cast<size_t>(2 * hp.n_embd_q()), 0.1f);
  gguf::Writer w;
  w.Set("general.architecture", gguf::Value::Str(hp.arch));
  w.Set("general.type", gguf::Value::Str("adapter"));
  w.Set("adapter.type", gguf::Value::Str("lora"));
  w.Set("adapter.lora.alpha", gguf::Value::F32(2.0f));
  if (add_pair) {
    EXPECT_TRUE(
        w.AddTensor("blk.0.attn_q.weight.lora_a", DType::kF32, {hp.n_embd, 2}, a.data()).ok());
    EXPECT_TRUE(
        w.AddTensor("blk.0.attn_q.weight.lora_b", DType::kF32, {2, hp.n_embd_q()}, b.data()).ok());
  }
  edit(w, a);
  EXPECT_TRUE(w.Write(path).ok());
  return LoadLoraAdapter(path, hp).status();
}

TEST_F(LoraFormatTest, GgufErrors) {
  const std::string p = dir_.File("bad.gguf");
  auto expect = [&](Status st, StatusCode code, const std::string& needle) {
    EXPECT_EQ(st.code(), code) << st.ToString();
    EXPECT_NE(st.message().find(needle), std::string::npos) << st.message();
  };
  expect(LoadBrokenGguf(p, hp(), [](gguf::Writer&, std::vector<float>&) {}), StatusCode::kOk, "");
  // A model file is not an adapter.
  expect(LoadLoraAdapter(dir_.File("base.gguf"), hp()).status(), StatusCode::kInvalidArgument,
         "general.type");
  expect(LoadBrokenGguf(p, hp(),
                        [](gguf::Writer& w, std::vector<float>&) {
                          w.Set("general.architecture", gguf::Value::Str("qwen2"));
                        }),
         StatusCode::kInvalidArgument, "'qwen2'");
  expect(LoadBrokenGguf(p, hp(),
                        [](gguf::Writer& w, std::vector<float>&) {
                          w.Set("adapter.type", gguf::Value::Str("control_vector"));
                        }),
         StatusCode::kInvalidArgument, "adapter.type");
  static std::vector<float> extra(1024, 0.1f);
  expect(LoadBrokenGguf(p, hp(),
                        [this](gguf::Writer& w, std::vector<float>&) {
                          EXPECT_TRUE(w.AddTensor("blk.1.attn_k.weight.lora_a", DType::kF32,
                                                  {hp().n_embd, 2}, extra.data())
                                          .ok());
                        }),
         StatusCode::kInvalidArgument, "blk.1.attn_k.weight' is missing its lora_b");
  expect(
      LoadBrokenGguf(
          p, hp(),
          [this](gguf::Writer& w, std::vector<float>&) {
            EXPECT_TRUE(w.AddTensor("blk.1.attn_k.weight.lora_a", DType::kF32, {hp().n_embd, 2},
                                    extra.data())
                            .ok());
            EXPECT_TRUE(
                w.AddTensor("blk.1.attn_k.weight.lora_b", DType::kF32, {2, 8}, extra.data()).ok());
          }),
      StatusCode::kInvalidArgument, "incorrect shape");
  expect(LoadBrokenGguf(
             p, hp(),
             [this](gguf::Writer& w, std::vector<float>&) {
               EXPECT_TRUE(w.AddTensor("token_embd.weight.lora_a", DType::kF32, {hp().n_embd, 2},
                                       extra.data())
                               .ok());
               EXPECT_TRUE(
                   w.AddTensor("token_embd.weight.lora_b", DType::kF32, {2, 8}, extra.data()).ok());
             }),
         StatusCode::kUnimplemented, "token_embd.weight");
  expect(LoadBrokenGguf(
             p, hp(), [](gguf::Writer&, std::vector<float>&) {}, false),
         StatusCode::kInvalidArgument, "no LoRA tensors");
  expect(LoadLoraAdapter(dir_.File("missing.gguf"), hp()).status(), StatusCode::kNotFound,
         "missing.gguf");
  ASSERT_TRUE(WriteFileAtomic(dir_.File("junk.bin"), "not an adapter").ok());
  expect(LoadLoraAdapter(dir_.File("junk.bin"), hp()).status(), StatusCode::kInvalidArgument,
         "junk.bin");
}

// Row `row` of B in Hugging Face order from GGUF order, written out from the definition of
// convert_hf_to_gguf.py's LlamaModel.permute: within each head of d rows,
// gguf row 2i+a = hf row a*d/2+i.
int64_t GgufRowOfHfRow(int64_t hf_row, int64_t head_dim) {
  const int64_t h = hf_row / head_dim, j = hf_row % head_dim, half = head_dim / 2;
  const int64_t a = j / half, i = j % half;
  return h * head_dim + 2 * i + a;
}

TEST_F(LoraFormatTest, PeftRoundTripAndHfRowOrder) {
  LoraAdapter ad = RandomAdapter(hp(), AllTargets(), 4, 16.0f, 31);
  ad.rslora = true;
  const std::string dir = dir_.File("peft");
  Status st = SavePeftAdapter(ad, hp(), dir);
  ASSERT_TRUE(st.ok()) << st.ToString();
  for (const std::string& path :
       {dir, dir + "/adapter_model.safetensors", dir + "/adapter_config.json"}) {
    auto back = LoadLoraAdapter(path, hp());
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ExpectSameAdapter(*back, ad);
  }

  auto cfg_text = ReadFileToString(dir + "/adapter_config.json");
  ASSERT_TRUE(cfg_text.ok());
  const nlohmann::json cfg = nlohmann::json::parse(*cfg_text);
  EXPECT_EQ(cfg["peft_type"], "LORA");
  EXPECT_EQ(cfg["task_type"], "CAUSAL_LM");
  EXPECT_EQ(cfg["r"], 4);
  EXPECT_EQ(cfg["lora_alpha"], 16);
  EXPECT_EQ(cfg["use_rslora"], true);
  EXPECT_EQ(cfg["bias"], "none");
  EXPECT_EQ(cfg["base_model_name_or_path"], "tiny-base");
  EXPECT_EQ(cfg["target_modules"].size(), 7u);

  auto st_file = safetensors::File::Open(dir + "/adapter_model.safetensors");
  ASSERT_TRUE(st_file.ok());
  EXPECT_EQ((*st_file)->tensors().size(), 2 * ad.pairs.size());
  const int64_t d = hp().head_dim(), r = ad.rank;
  for (const LoraPair& p : ad.pairs) {
    if (p.layer != 1) continue;
    const bool attn = p.target <= LoraTarget::kO;
    const std::string mod = std::string("base_model.model.model.layers.1.") +
                            (attn ? "self_attn." : "mlp.") +
                            (p.target == LoraTarget::kQ      ? "q_proj"
                             : p.target == LoraTarget::kK    ? "k_proj"
                             : p.target == LoraTarget::kV    ? "v_proj"
                             : p.target == LoraTarget::kO    ? "o_proj"
                             : p.target == LoraTarget::kGate ? "gate_proj"
                             : p.target == LoraTarget::kUp   ? "up_proj"
                                                             : "down_proj");
    const safetensors::Tensor* ta = (*st_file)->Find(mod + ".lora_A.weight");
    const safetensors::Tensor* tb = (*st_file)->Find(mod + ".lora_B.weight");
    ASSERT_NE(ta, nullptr) << mod;
    ASSERT_NE(tb, nullptr) << mod;
    EXPECT_EQ(ta->shape, (std::vector<int64_t>{r, p.n_in}));
    EXPECT_EQ(tb->shape, (std::vector<int64_t>{p.n_out, r}));
    auto fa = safetensors::ReadFloats(*ta);
    auto fb = safetensors::ReadFloats(*tb);
    EXPECT_EQ(*fa, p.a);
    const bool permuted = p.target == LoraTarget::kQ || p.target == LoraTarget::kK;
    for (int64_t hf = 0; hf < p.n_out; ++hf) {
      const int64_t g = permuted ? GgufRowOfHfRow(hf, d) : hf;
      for (int64_t k = 0; k < r; ++k) {
        ASSERT_EQ((*fb)[static_cast<size_t>(hf * r + k)], p.b[static_cast<size_t>(g * r + k)])
            << mod << " hf row " << hf;
      }
    }
    if (p.target == LoraTarget::kQ) {
      // One row spelled out: head 1, i = 2, a = 1 -> hf row d + d/2 + 2, gguf row d + 5.
      const int64_t hf = d + d / 2 + 2, g = d + 5;
      EXPECT_EQ((*fb)[static_cast<size_t>(hf * r)], p.b[static_cast<size_t>(g * r)]);
      EXPECT_NE((*fb)[static_cast<size_t>(hf * r)], p.b[static_cast<size_t>(hf * r)]);
    }
  }
}

// Qwen2 (NeoX RoPE) keeps Hugging Face row order in GGUF: no permutation.
TEST_F(LoraFormatTest, PeftQwen2IsNotPermuted) {
  TempDir dir;
  auto qwen = MakeModel(dir.File("q.gguf"), TinyLoraModel("qwen2"));
  ASSERT_NE(qwen, nullptr);
  const LoraAdapter ad = RandomAdapter(qwen->hparams(), {LoraTarget::kQ}, 2, 2.0f, 32);
  ASSERT_TRUE(SavePeftAdapter(ad, qwen->hparams(), dir.File("p")).ok());
  auto st_file = safetensors::File::Open(dir.File("p") + "/adapter_model.safetensors");
  ASSERT_TRUE(st_file.ok());
  auto fb = safetensors::ReadFloats(
      *(*st_file)->Find("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"));
  EXPECT_EQ(*fb, ad.pairs[0].b);
  auto back = LoadLoraAdapter(dir.File("p"), qwen->hparams());
  ASSERT_TRUE(back.ok());
  ExpectSameAdapter(*back, ad);
}

// A PEFT directory written by hand (as peft's save_pretrained lays it out), F16 tensors in HF
// row order and target_modules as a string.
class HandPeft : public LoraFormatTest {
 protected:
  void Write(const nlohmann::json& cfg, bool add_b = true, bool extra_embed = false,
             int64_t a_cols = 0) {
    const int64_t r = 2, C = hp().n_embd, Q = hp().n_embd_q();
    a_.resize(static_cast<size_t>(r * C));
    b_.resize(static_cast<size_t>(Q * r));
    for (size_t i = 0; i < a_.size(); ++i) a_[i] = static_cast<float>(int(i % 9) - 4) / 8.0f;
    for (size_t i = 0; i < b_.size(); ++i) b_[i] = static_cast<float>(i) / 16.0f;
    a16_.resize(a_.size());
    b16_.resize(b_.size());
    for (size_t i = 0; i < a_.size(); ++i) a16_[i] = tensor::F32ToF16(a_[i]);
    for (size_t i = 0; i < b_.size(); ++i) b16_[i] = tensor::F32ToF16(b_[i]);
    safetensors::Writer w;
    const std::string m = "base_model.model.model.layers.1.self_attn.q_proj";
    ASSERT_TRUE(w.AddTensor(m + ".lora_A.weight", safetensors::DType::kF16,
                            {r, a_cols > 0 ? a_cols : C}, a16_.data())
                    .ok());
    if (add_b) {
      ASSERT_TRUE(
          w.AddTensor(m + ".lora_B.weight", safetensors::DType::kF16, {Q, r}, b16_.data()).ok());
    }
    if (extra_embed) {
      ASSERT_TRUE(w.AddTensor("base_model.model.lm_head.lora_A.weight", safetensors::DType::kF16,
                              {r, C}, a16_.data())
                      .ok());
    }
    std::filesystem::create_directories(path_);
    ASSERT_TRUE(w.Write(path_ + "/adapter_model.safetensors").ok());
    ASSERT_TRUE(WriteFileAtomic(path_ + "/adapter_config.json", cfg.dump()).ok());
  }
  static nlohmann::json Config() {
    return {{"peft_type", "LORA"},
            {"r", 2},
            {"lora_alpha", 3},
            {"target_modules", "q_proj"},
            {"lora_dropout", 0.1},
            {"bias", "none"},
            {"rank_pattern", nlohmann::json::object()},
            {"alpha_pattern", nlohmann::json::object()},
            {"task_type", "CAUSAL_LM"},
            {"base_model_name_or_path", "hand/made"},
            {"use_rslora", false}};
  }
  std::string path_ = dir_.File("hand");
  std::vector<float> a_, b_;
  std::vector<uint16_t> a16_, b16_;
};

TEST_F(HandPeft, Loads) {
  Write(Config());
  auto ad = LoadLoraAdapter(path_, hp());
  ASSERT_TRUE(ad.ok()) << ad.status().ToString();
  EXPECT_EQ(ad->rank, 2);
  EXPECT_FLOAT_EQ(ad->scale(), 1.5f);
  EXPECT_EQ(ad->base_name, "hand/made");
  EXPECT_FLOAT_EQ(ad->dropout, 0.1f);
  ASSERT_EQ(ad->pairs.size(), 1u);
  const LoraPair& p = ad->pairs[0];
  EXPECT_EQ(p.layer, 1);
  EXPECT_EQ(p.target, LoraTarget::kQ);
  EXPECT_EQ(p.a, a_);
  const int64_t d = hp().head_dim();
  for (int64_t hf = 0; hf < p.n_out; ++hf) {
    const int64_t g = GgufRowOfHfRow(hf, d);
    for (int64_t k = 0; k < 2; ++k) {
      ASSERT_EQ(p.b[static_cast<size_t>(g * 2 + k)], b_[static_cast<size_t>(hf * 2 + k)]) << hf;
    }
  }
  // target_modules as a list works too.
  nlohmann::json cfg = Config();
  cfg["target_modules"] = {"q_proj", "v_proj"};
  Write(cfg);
  EXPECT_TRUE(LoadLoraAdapter(path_, hp()).ok());
}

TEST_F(HandPeft, Errors) {
  auto expect = [&](StatusCode code, const std::string& needle) {
    auto r = LoadLoraAdapter(path_, hp());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), code) << r.status().ToString();
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  };
  Write(Config());
  std::filesystem::remove(path_ + "/adapter_config.json");
  expect(StatusCode::kNotFound, "adapter_config.json");

  nlohmann::json cfg = Config();
  cfg["rank_pattern"] = {{"q_proj", 4}};
  Write(cfg);
  expect(StatusCode::kUnimplemented, "rank_pattern");
  cfg = Config();
  cfg["alpha_pattern"] = {{"q_proj", 4}};
  Write(cfg);
  expect(StatusCode::kUnimplemented, "alpha_pattern");

  cfg = Config();
  cfg["target_modules"] = {"q_proj", "embed_tokens"};
  Write(cfg);
  expect(StatusCode::kUnimplemented, "'embed_tokens' is not supported");
  Write(Config(), true, /*extra_embed=*/true);
  expect(StatusCode::kUnimplemented, "lm_head");

  Write(Config(), /*add_b=*/false);
  expect(StatusCode::kInvalidArgument, "lora_B.weight is missing");
  Write(Config(), true, false, /*a_cols=*/32);
  expect(StatusCode::kInvalidArgument, "shape mismatch");
  cfg = Config();
  cfg["r"] = 3;
  Write(cfg);
  expect(StatusCode::kInvalidArgument, "shape mismatch");

  Write(Config());
  ASSERT_TRUE(WriteFileAtomic(path_ + "/adapter_config.json", "{\"r\": 2,").ok());
  expect(StatusCode::kDataLoss, "adapter_config.json");

  // Corrupt safetensors: truncated in the middle of the data.
  Write(Config());
  const std::string stp = path_ + "/adapter_model.safetensors";
  std::filesystem::resize_file(stp, std::filesystem::file_size(stp) - 10);
  auto r = LoadLoraAdapter(path_, hp());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("adapter_model.safetensors"), std::string::npos)
      << r.status().message();
  std::filesystem::remove(stp);
  expect(StatusCode::kNotFound, "adapter_model.safetensors");
}

}  // namespace
}  // namespace sangam::model
