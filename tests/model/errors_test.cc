// Errors: bad files and bad batches give clear Statuses naming the problem, never a crash.
#include <gtest/gtest.h>

#include "model_test_util.h"
#include "sangam/model.h"

namespace sangam::model {
namespace {

using testing::Rewrite;
using testing::RewriteGguf;
using testing::TempDir;

class ErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    InitOptions o;
    o.n_embd = 64;
    o.n_layer = 2;
    o.n_head = 4;
    o.n_head_kv = 2;
    o.n_ff = 96;
    o.n_ctx = 32;
    ASSERT_TRUE(InitModel(o, good_, pool_).ok());
  }
  Status LoadRewritten(const Rewrite& rw) {
    RewriteGguf(good_, bad_, rw);
    auto m = Model::Load(bad_);
    return m.ok() ? Status::Ok() : m.status();
  }

  TempDir dir_;
  ThreadPool pool_{2};
  std::string good_ = dir_.File("good.gguf");
  std::string bad_ = dir_.File("bad.gguf");
};

#define EXPECT_STATUS(st, code_, substr)                                         \
  do {                                                                           \
    Status _s = (st);                                                            \
    EXPECT_EQ(_s.code(), code_) << _s.ToString();                                \
    EXPECT_NE(_s.message().find(substr), std::string::npos) << _s.ToString();    \
  } while (0)

TEST_F(ErrorsTest, MissingTensor) {
  Rewrite rw;
  rw.drop_tensor = [](const std::string& n) { return n == "blk.1.ffn_gate.weight"; };
  EXPECT_STATUS(LoadRewritten(rw), StatusCode::kNotFound, "'blk.1.ffn_gate.weight' is missing");
}

TEST_F(ErrorsTest, MissingBiasForQwen2) {
  InitOptions o;
  o.arch = "qwen2";
  o.n_embd = 64;
  o.n_layer = 1;
  o.n_head = 4;
  o.n_head_kv = 2;
  o.n_ff = 96;
  ASSERT_TRUE(InitModel(o, good_, pool_).ok());
  Rewrite rw;
  rw.drop_tensor = [](const std::string& n) { return n == "blk.0.attn_k.bias"; };
  EXPECT_STATUS(LoadRewritten(rw), StatusCode::kNotFound, "'blk.0.attn_k.bias'");
}

TEST_F(ErrorsTest, WrongShape) {
  Rewrite rw;
  rw.drop_tensor = [](const std::string& n) { return n == "blk.0.attn_k.weight"; };
  // 64 x 64 instead of 64 x 32 (2 KV heads of 16).
  rw.add_tensors.push_back({"blk.0.attn_k.weight", tensor::DType::kF32, {64, 64},
                            std::vector<uint8_t>(64 * 64 * 4, 0)});
  EXPECT_STATUS(LoadRewritten(rw), StatusCode::kInvalidArgument,
                "'blk.0.attn_k.weight' has shape [64, 64], expected [64, 32]");
}

TEST_F(ErrorsTest, MissingKey) {
  Rewrite rw;
  rw.drop_key = [](const std::string& k) { return k == "llama.embedding_length"; };
  EXPECT_STATUS(LoadRewritten(rw), StatusCode::kNotFound, "'llama.embedding_length' is missing");
}

TEST_F(ErrorsTest, BadKeyValues) {
  Rewrite rw;
  rw.set_keys.push_back({"llama.attention.head_count_kv", gguf::Value::U32(3)});
  EXPECT_STATUS(LoadRewritten(rw), StatusCode::kInvalidArgument, "head_count_kv");
  Rewrite rw2;
  rw2.set_keys.push_back({"llama.rope.scaling.type", gguf::Value::Str("yarn")});
  EXPECT_STATUS(LoadRewritten(rw2), StatusCode::kUnimplemented, "'yarn'");
  Rewrite rw3;
  rw3.set_keys.push_back({"llama.embedding_length", gguf::Value::Str("64")});
  EXPECT_FALSE(LoadRewritten(rw3).ok());
}

TEST_F(ErrorsTest, UnknownArchitecture) {
  Rewrite rw;
  rw.set_keys.push_back({"general.architecture", gguf::Value::Str("rwkv9")});
  EXPECT_STATUS(LoadRewritten(rw), StatusCode::kUnimplemented, "'rwkv9' ");
}

TEST_F(ErrorsTest, MissingFileAndGarbage) {
  EXPECT_EQ(Model::Load(dir_.File("nope.gguf")).status().code(), StatusCode::kNotFound);
  ASSERT_TRUE(WriteFileAtomic(dir_.File("junk.bin"), std::string(100, 'x')).ok());
  EXPECT_FALSE(Model::Load(dir_.File("junk.bin")).ok());
}

TEST_F(ErrorsTest, Llama2cWithoutTokenizer) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.bin");
  const std::string bin = dir_.File("stories.bin");
  std::filesystem::copy_file(sangam::testing::SharedPath("data/models/stories260K.bin"), bin);
  EXPECT_STATUS(Model::Load(bin).status(), StatusCode::kNotFound, "tok512.bin");
  LoadOptions lo;
  lo.llama2c_tokenizer = sangam::testing::SharedPath("data/models/tok512.bin");
  auto m = Model::Load(bin, lo);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->hparams().n_vocab, 512);
  // A truncated checkpoint is an error, not a crash.
  std::filesystem::resize_file(bin, 5000);
  EXPECT_FALSE(Model::Load(bin, lo).ok());
}

TEST_F(ErrorsTest, BadBatches) {
  auto m = Model::Load(good_);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  auto ctx = Context::Create(**m, ContextOptions{.n_ctx = 8, .n_seq = 2});
  ASSERT_TRUE(ctx.ok());
  Context& c = **ctx;
  // Token id out of range.
  std::vector<int32_t> bad_token = {1, 260};
  EXPECT_STATUS(c.Eval(pool_, bad_token).status(), StatusCode::kInvalidArgument,
                "token id 260");
  std::vector<int32_t> neg_token = {-1};
  EXPECT_STATUS(c.Eval(pool_, neg_token).status(), StatusCode::kInvalidArgument, "token id -1");
  EXPECT_EQ(c.SeqLength(0), 0);  // nothing was evaluated
  // Context overflow.
  std::vector<int32_t> long_prompt(9, 5);
  EXPECT_STATUS(c.Eval(pool_, long_prompt).status(), StatusCode::kOutOfRange,
                "prompt of 9 tokens exceeds the context size 8; use -c to raise it");
  EXPECT_EQ(c.SeqLength(0), 0);
  std::vector<int32_t> eight(8, 5);
  ASSERT_TRUE(c.Eval(pool_, eight).ok());
  std::vector<int32_t> one = {5};
  EXPECT_EQ(c.Eval(pool_, one).status().code(), StatusCode::kOutOfRange);
  // Bad sequence ids and positions.
  std::vector<BatchToken> b = {{5, 0, 2, true}};
  EXPECT_STATUS(c.Decode(pool_, b), StatusCode::kInvalidArgument, "sequence id 2");
  b = {{5, 3, 1, true}};
  EXPECT_STATUS(c.Decode(pool_, b), StatusCode::kInvalidArgument, "position 3, expected 0");
  EXPECT_EQ(c.Decode(pool_, {}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.Eval(pool_, one, 5).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(c.Logits(5), nullptr);
  // Bad context options.
  EXPECT_EQ(Context::Create(**m, ContextOptions{.n_seq = 0}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Context::Create(**m, ContextOptions{.kv_type = tensor::DType::kQ4_0}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace sangam::model
