// llama2.c checkpoints: equivalence with the published GGUF, export v1, and corrupt files.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "formats/gguf_bytes.h"
#include "sangam/gguf.h"
#include "sangam/llama2c.h"
#include "test_util.h"

namespace sangam::llama2c {
namespace {

using ::sangam::testing::SharedPath;
constexpr char kBin[] = "data/models/stories260K.bin";
constexpr char kTok[] = "data/models/tok512.bin";
constexpr char kGguf[] = "data/models/stories260K.gguf";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteAll(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

int32_t HeaderInt(const std::string& bin, int index) {
  int32_t v;
  std::memcpy(&v, bin.data() + 4 * index, 4);
  return v;
}

void SetHeaderInt(std::string* bin, int index, int32_t v) {
  std::memcpy(bin->data() + 4 * index, &v, 4);
}

std::string TensorBytes(const gguf::TensorInfo& t) {
  return std::string(reinterpret_cast<const char*>(t.data), t.n_bytes);
}

class Llama2cTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SANGAM_REQUIRE_SHARED(kBin);
    SANGAM_REQUIRE_SHARED(kTok);
    dir_ = gguf::testing::MakeTempDir("llama2c");
    bin_ = ReadAll(SharedPath(kBin));
    tok_ = ReadAll(SharedPath(kTok));
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string Put(const std::string& name, const std::string& data) {
    std::string p = dir_ + "/" + name;
    WriteAll(p, data);
    return p;
  }
  Status LoadStatus(const std::string& bin, const std::string& tok) {
    return LoadLlama2c(Put("m.bin", bin), Put("t.bin", tok)).status();
  }
  std::string dir_, bin_, tok_;
};

TEST_F(Llama2cTest, MatchesPublishedGguf) {
  SANGAM_REQUIRE_SHARED(kGguf);
  auto a = LoadLlama2c(SharedPath(kBin), SharedPath(kTok));
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = gguf::File::Open(SharedPath(kGguf));
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  const gguf::File& mine = **a;
  const gguf::File& ref = **b;

  // Every published tensor except output.weight has the same name, shape, type and bytes.
  size_t compared = 0;
  for (const gguf::TensorInfo& t : ref.tensors()) {
    if (t.name == "output.weight") continue;
    const gguf::TensorInfo* u = mine.FindTensor(t.name);
    ASSERT_NE(u, nullptr) << t.name;
    EXPECT_EQ(u->type, t.type) << t.name;
    EXPECT_EQ(u->n_dims, t.n_dims) << t.name;
    for (int d = 0; d < 4; ++d) EXPECT_EQ(u->ne[d], t.ne[d]) << t.name;
    ASSERT_EQ(u->n_bytes, t.n_bytes) << t.name;
    EXPECT_EQ(std::memcmp(u->data, t.data, t.n_bytes), 0) << t.name;
    ++compared;
  }
  EXPECT_EQ(compared, mine.tensors().size());
  // stories260K shares its classifier: the published GGUF stores a copy of the embedding as
  // output.weight; the llama2.c loader leaves it out (the model ties it to token_embd).
  EXPECT_EQ(mine.FindTensor("output.weight"), nullptr);
  const gguf::TensorInfo* out = ref.FindTensor("output.weight");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(TensorBytes(*out), TensorBytes(*ref.FindTensor("token_embd.weight")));

  // Tokenizer and hyperparameters agree.
  for (const char* key :
       {"tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.scores",
        "tokenizer.ggml.token_type", "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.unknown_token_id", "general.architecture", "llama.embedding_length",
        "llama.feed_forward_length", "llama.attention.head_count", "llama.attention.head_count_kv",
        "llama.block_count", "llama.rope.dimension_count",
        "llama.attention.layer_norm_rms_epsilon"}) {
    const gguf::Value* x = mine.Find(key);
    const gguf::Value* y = ref.Find(key);
    ASSERT_NE(x, nullptr) << key;
    ASSERT_NE(y, nullptr) << key;
    EXPECT_TRUE(*x == *y) << key;
  }
  // The published conversion used n_ctx 2048; the checkpoint header says seq_len.
  EXPECT_EQ(*ref.GetU32("llama.context_length"), 2048u);
  EXPECT_EQ(*mine.GetU32("llama.context_length"), static_cast<uint32_t>(HeaderInt(bin_, 6)));
  EXPECT_EQ(*mine.GetString("general.name"), "stories260K");
  auto tokens = mine.GetStringArray("tokenizer.ggml.tokens");
  EXPECT_EQ((*tokens)[1], "<s>");
  EXPECT_EQ((*tokens)[259], "\xE2\x96\x81t");  // tok512.bin stores " t"
}

TEST_F(Llama2cTest, FileOutlivesNothingElse) {
  std::unique_ptr<gguf::File> f;
  {
    auto r = LoadLlama2c(Put("m.bin", bin_), Put("t.bin", tok_));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    f = std::move(r).value();
  }
  std::filesystem::remove(dir_ + "/m.bin");  // the mapping stays valid after unlink
  const gguf::TensorInfo* t = f->FindTensor("output_norm.weight");
  ASSERT_NE(t, nullptr);
  // rms_final sits right before the freq_cis tables at the end of the legacy file.
  const int32_t seq = HeaderInt(bin_, 6), head = HeaderInt(bin_, 0) / HeaderInt(bin_, 3);
  const size_t off = bin_.size() - 4 * static_cast<size_t>(seq * head) - t->n_bytes;
  EXPECT_EQ(TensorBytes(*t), bin_.substr(off, t->n_bytes));
}

TEST_F(Llama2cTest, ReadConfig) {
  auto c = ReadConfig(SharedPath(kBin));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->dim, 64);
  EXPECT_EQ(c->n_layers, 5);
  EXPECT_EQ(c->n_heads, 8);
  EXPECT_EQ(c->n_kv_heads, 4);
  EXPECT_EQ(c->vocab_size, 512);
  EXPECT_TRUE(c->shared_classifier);
  EXPECT_EQ(c->version, 0);
}

TEST_F(Llama2cTest, TruncatedAndOversizedCheckpoint) {
  Status st = LoadStatus(bin_.substr(0, bin_.size() - 4), tok_);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  std::string want = "expected " + std::to_string(bin_.size()) + " bytes for these hyperparameters";
  EXPECT_NE(st.message().find(want), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("got " + std::to_string(bin_.size() - 4)), std::string::npos);
  st = LoadStatus(bin_ + "xxxx", tok_);
  EXPECT_NE(st.message().find(want), std::string::npos) << st.message();
  for (size_t len : {0, 3, 20, 27}) {
    st = LoadStatus(bin_.substr(0, len), tok_);
    EXPECT_EQ(st.code(), StatusCode::kDataLoss) << len;
    EXPECT_NE(st.message().find("truncated"), std::string::npos) << st.message();
  }
}

TEST_F(Llama2cTest, BadHyperparameters) {
  std::string b = bin_;
  SetHeaderInt(&b, 3, 0);
  Status st = LoadStatus(b, tok_);
  EXPECT_NE(st.message().find("invalid hyperparameters"), std::string::npos) << st.message();
  b = bin_;
  SetHeaderInt(&b, 3, 7);
  st = LoadStatus(b, tok_);
  EXPECT_NE(st.message().find("dim is not a multiple of n_heads"), std::string::npos);
  b = bin_;
  SetHeaderInt(&b, 4, 3);
  st = LoadStatus(b, tok_);
  EXPECT_NE(st.message().find("multiple of n_kv_heads"), std::string::npos);
  b = bin_;
  SetHeaderInt(&b, 0, 0x7fffffff);
  SetHeaderInt(&b, 3, 1);
  SetHeaderInt(&b, 1, 0x7fffffff);
  st = LoadStatus(b, tok_);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);  // odd head size or huge sizes, never a crash
  b = bin_;
  SetHeaderInt(&b, 5, INT32_MIN);
  st = LoadStatus(b, tok_);
  EXPECT_NE(st.message().find("invalid hyperparameters"), std::string::npos);
}

TEST_F(Llama2cTest, UnsharedClassifierLegacy) {
  std::string b = bin_;
  SetHeaderInt(&b, 5, -HeaderInt(bin_, 5));
  const int32_t V = HeaderInt(bin_, 5), dim = HeaderInt(bin_, 0);
  std::string wcls(static_cast<size_t>(V * dim) * 4, '\0');
  for (size_t i = 0; i < wcls.size(); ++i) wcls[i] = static_cast<char>(i * 7);
  auto r = LoadLlama2c(Put("m.bin", b + wcls), Put("t.bin", tok_));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const gguf::TensorInfo* out = (*r)->FindTensor("output.weight");
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->ne[0], dim);
  EXPECT_EQ(out->ne[1], V);
  EXPECT_EQ(TensorBytes(*out), wcls);
  // Without the classifier appended the size check names the mismatch.
  Status st = LoadStatus(b, tok_);
  EXPECT_NE(st.message().find("unshared classifier"), std::string::npos) << st.message();
}

// Rebuilds stories260K as an export-version-1 file (256-byte header, new array order).
std::string ToVersion1(const std::string& legacy, bool shared, const std::string& wcls) {
  int32_t h[7];
  std::memcpy(h, legacy.data(), sizeof(h));
  const size_t dim = h[0], hid = h[1], L = h[2], heads = h[3], kvh = h[4], V = h[5], seq = h[6];
  const size_t head = dim / heads, kv = head * kvh;
  const size_t sizes[] = {V * dim,       L * dim,       L * dim * dim, L * kv * dim,
                          L * kv * dim,  L * dim * dim, L * dim,       L * hid * dim,
                          L * dim * hid, L * hid * dim, dim,           seq * head / 2,
                          seq * head / 2};
  std::vector<std::string> arrays;
  size_t off = 28;
  for (size_t s : sizes) {
    arrays.push_back(legacy.substr(off, s * 4));
    off += s * 4;
  }
  gguf::testing::Bytes b;
  b.U32(0x616b3432).I32(1);
  b.Raw(h, sizeof(h)).U8(shared ? 1 : 0).Fill(256 - 8 - 28 - 1);
  // rms_att, rms_ffn, rms_final, tok, wq, wk, wv, wo, w1, w2, w3
  for (int i : {1, 6, 10, 0, 2, 3, 4, 5, 7, 8, 9}) b.Raw(arrays[i].data(), arrays[i].size());
  std::string out = b.str();
  if (!shared) out += wcls;
  return out;
}

TEST_F(Llama2cTest, ExportVersion1MatchesLegacy) {
  auto legacy = LoadLlama2c(SharedPath(kBin), SharedPath(kTok));
  ASSERT_TRUE(legacy.ok());
  auto v1 = LoadLlama2c(Put("v1.bin", ToVersion1(bin_, true, "")), Put("t.bin", tok_));
  ASSERT_TRUE(v1.ok()) << v1.status().ToString();
  ASSERT_EQ((*v1)->tensors().size(), (*legacy)->tensors().size());
  for (const gguf::TensorInfo& t : (*legacy)->tensors()) {
    const gguf::TensorInfo* u = (*v1)->FindTensor(t.name);
    ASSERT_NE(u, nullptr) << t.name;
    EXPECT_EQ(TensorBytes(*u), TensorBytes(t)) << t.name;
  }
  auto c = ReadConfig(dir_ + "/v1.bin");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->version, 1);

  std::string wcls(static_cast<size_t>(512 * 64) * 4, '\x11');
  auto unshared = LoadLlama2c(Put("v1u.bin", ToVersion1(bin_, false, wcls)), Put("t.bin", tok_));
  ASSERT_TRUE(unshared.ok()) << unshared.status().ToString();
  ASSERT_NE((*unshared)->FindTensor("output.weight"), nullptr);
  EXPECT_EQ(TensorBytes(*(*unshared)->FindTensor("output.weight")), wcls);

  std::string bad_flag = ToVersion1(bin_, true, "");
  bad_flag[36] = 2;
  Status st = LoadStatus(bad_flag, tok_);
  EXPECT_NE(st.message().find("shared_classifier flag is 2"), std::string::npos) << st.message();
  st = LoadStatus(ToVersion1(bin_, true, "").substr(0, 200), tok_);
  EXPECT_NE(st.message().find("256-byte"), std::string::npos) << st.message();
}

TEST_F(Llama2cTest, OtherExportVersionsUnimplemented) {
  std::string v2 = ToVersion1(bin_, true, "");
  int32_t two = 2;
  std::memcpy(v2.data() + 4, &two, 4);
  Status st = LoadStatus(v2, tok_);
  EXPECT_EQ(st.code(), StatusCode::kUnimplemented);
  EXPECT_NE(st.message().find("export version 2 is not supported"), std::string::npos)
      << st.message();
}

TEST_F(Llama2cTest, TokenizerAlone) {
  auto kv = LoadLlama2cTokenizer(SharedPath(kTok), 0);
  ASSERT_TRUE(kv.ok()) << kv.status().ToString();
  auto f = gguf::File::FromParts(*kv, {}, nullptr, "tok");
  auto tokens = f->GetStringArray("tokenizer.ggml.tokens");
  auto types = f->GetI32Array("tokenizer.ggml.token_type");
  ASSERT_EQ(tokens->size(), 512u);
  EXPECT_EQ((*tokens)[0], "<unk>");
  EXPECT_EQ((*types)[0], 2);
  EXPECT_EQ((*types)[1], 3);
  EXPECT_EQ((*types)[2], 3);
  EXPECT_EQ((*tokens)[3], "<0x00>");
  EXPECT_EQ((*types)[3], 6);
  EXPECT_EQ((*types)[258], 6);  // <0xFF>
  EXPECT_EQ((*types)[259], 1);
  EXPECT_EQ(*f->GetString("tokenizer.ggml.model"), "llama");
  EXPECT_EQ(*f->GetU32("tokenizer.ggml.eos_token_id"), 2u);
  EXPECT_TRUE(LoadLlama2cTokenizer(SharedPath(kTok), 512).ok());
}

TEST_F(Llama2cTest, BadTokenizers) {
  const std::string t = Put("t.bin", tok_);
  Status st = LoadLlama2cTokenizer(t, 511).status();
  EXPECT_NE(st.message().find("trailing bytes"), std::string::npos) << st.message();
  st = LoadLlama2cTokenizer(t, 513).status();
  EXPECT_NE(st.message().find("truncated"), std::string::npos) << st.message();
  st = LoadLlama2cTokenizer(t, 100000).status();
  EXPECT_NE(st.message().find("cannot hold 100000 tokens"), std::string::npos) << st.message();
  st = LoadLlama2cTokenizer(t, -1).status();
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  st = LoadLlama2cTokenizer(dir_ + "/missing.bin", 512).status();
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  // Every truncation fails cleanly.
  for (size_t len = 0; len < tok_.size(); len += 37) {
    st = LoadLlama2cTokenizer(Put("tt.bin", tok_.substr(0, len)), 512).status();
    EXPECT_EQ(st.code(), StatusCode::kDataLoss) << len;
  }
  // A negative token length.
  std::string neg = tok_;
  int32_t bad = -5;
  std::memcpy(neg.data() + 8, &bad, 4);
  st = LoadLlama2cTokenizer(Put("neg.bin", neg), 512).status();
  EXPECT_NE(st.message().find("token 0 has length -5"), std::string::npos) << st.message();
  std::string zero = tok_;
  std::memset(zero.data(), 0, 4);
  st = LoadLlama2cTokenizer(Put("z.bin", zero), 512).status();
  EXPECT_NE(st.message().find("max_token_length"), std::string::npos) << st.message();
  // The model loader reports a tokenizer that does not match the vocabulary.
  st = LoadStatus(bin_, tok_.substr(0, tok_.size() - 3));
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("llama2c tokenizer"), std::string::npos) << st.message();
}

TEST_F(Llama2cTest, MissingFiles) {
  EXPECT_EQ(LoadLlama2c(dir_ + "/nope.bin", SharedPath(kTok)).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(LoadLlama2c(SharedPath(kBin), dir_ + "/nope.bin").status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace sangam::llama2c
