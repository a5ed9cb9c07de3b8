// Reads the published GGUF files in ../shared (real models and vocabulary-only files).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sangam/gguf.h"
#include "test_util.h"

namespace sangam::gguf {
namespace {

using ::sangam::testing::SharedPath;

std::unique_ptr<File> OpenShared(const std::string& rel) {
  auto r = File::Open(SharedPath(rel));
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return nullptr;
  return std::move(r).value();
}

// Tensor data pointers must be exactly mapping + data_offset + offset, inside the file.
void ExpectTensorsInsideFile(const File& f) {
  if (f.tensors().empty()) return;
  const TensorInfo& t0 = f.tensors()[0];
  const uint8_t* base = t0.data - f.data_offset() - t0.offset;
  for (const TensorInfo& t : f.tensors()) {
    EXPECT_EQ(t.data, base + f.data_offset() + t.offset) << t.name;
    EXPECT_LE(f.data_offset() + t.offset + t.n_bytes, f.file_size()) << t.name;
    EXPECT_EQ(t.offset % f.alignment(), 0u);
  }
}

TEST(GgufShared, Stories260K) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  auto f = OpenShared("data/models/stories260K.gguf");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->file_size(), std::filesystem::file_size(SharedPath("data/models/stories260K.gguf")));
  EXPECT_EQ(*f->GetString("general.architecture"), "llama");
  // Hyperparameters as documented in shared/README.md.
  EXPECT_EQ(*f->GetU32("llama.embedding_length"), 64u);
  EXPECT_EQ(*f->GetU32("llama.block_count"), 5u);
  EXPECT_EQ(*f->GetU32("llama.attention.head_count"), 8u);
  EXPECT_EQ(*f->GetU32("llama.attention.head_count_kv"), 4u);
  EXPECT_EQ(f->GetStringArray("tokenizer.ggml.tokens")->size(), 512u);
  EXPECT_EQ(f->GetF32Array("tokenizer.ggml.scores")->size(), 512u);
  EXPECT_EQ(f->GetI32Array("tokenizer.ggml.token_type")->size(), 512u);
  // token_embd, output_norm, output + 9 per layer.
  EXPECT_EQ(f->tensors().size(), 3u + 5u * 9u);
  const TensorInfo* emb = f->FindTensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->type, tensor::DType::kF32);
  EXPECT_EQ(emb->ne[0], 64);
  EXPECT_EQ(emb->ne[1], 512);
  const TensorInfo* k = f->FindTensor("blk.4.attn_k.weight");
  ASSERT_NE(k, nullptr);
  EXPECT_EQ(k->ne[1], 32);  // 4 KV heads of 64/8
  ExpectTensorsInsideFile(*f);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Re-writing a llama.cpp-written file through Writer reproduces it byte for byte.
void ExpectRewriteIdentical(const std::string& rel) {
  SCOPED_TRACE(rel);
  auto f = OpenShared(rel);
  ASSERT_NE(f, nullptr);
  Writer w;
  w.SetAlignment(f->alignment());
  for (const auto& [key, v] : f->metadata()) w.Set(key, v);
  for (const TensorInfo& t : f->tensors()) {
    std::vector<int64_t> ne(t.ne, t.ne + t.n_dims);
    ASSERT_TRUE(w.AddTensor(t.name, t.type, ne, t.data).ok());
  }
  std::string original = ReadAll(SharedPath(rel));
  std::string rewritten = w.Serialize();
  ASSERT_EQ(rewritten.size(), original.size());
  EXPECT_TRUE(rewritten == original);
}

TEST(GgufShared, RewriteStories260KIsByteIdentical) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  ExpectRewriteIdentical("data/models/stories260K.gguf");
}

TEST(GgufShared, RewriteTinyRandomIsByteIdentical) {
  SANGAM_REQUIRE_SHARED("data/models/llama-2-tiny-random.gguf");
  ExpectRewriteIdentical("data/models/llama-2-tiny-random.gguf");
}

TEST(GgufShared, LlamaTinyRandom) {
  SANGAM_REQUIRE_SHARED("data/models/llama-2-tiny-random.gguf");
  auto f = OpenShared("data/models/llama-2-tiny-random.gguf");
  ASSERT_NE(f, nullptr);
  auto tokens = f->GetStringArray("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 32000u);  // the Llama 2 vocabulary
  EXPECT_EQ((*tokens)[0], "<unk>");
  EXPECT_EQ((*tokens)[1], "<s>");
  EXPECT_EQ((*tokens)[2], "</s>");
  EXPECT_EQ((*tokens)[3], "<0x00>");
  const TensorInfo* emb = f->FindTensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->type, tensor::DType::kF16);  // "F16 random weights"
  EXPECT_EQ(emb->ne[1], 32000);
  EXPECT_EQ(emb->n_bytes, static_cast<size_t>(emb->ne[0]) * 32000 * 2);
  EXPECT_EQ(*f->GetU32("tokenizer.ggml.bos_token_id"), 1u);
  ExpectTensorsInsideFile(*f);
}

struct VocabCase {
  const char* file;
  size_t n_tokens;  // published vocabulary sizes
  const char* model;
};

TEST(GgufShared, VocabFiles) {
  const VocabCase cases[] = {
      {"ggml-vocab-llama-spm.gguf", 32000, "llama"},
      {"ggml-vocab-gpt-2.gguf", 50257, "gpt2"},
      {"ggml-vocab-deepseek-llm.gguf", 102400, "gpt2"},
      {"ggml-vocab-bert-bge.gguf", 30522, "bert"},
  };
  for (const VocabCase& c : cases) {
    std::string rel = std::string("data/vocab/") + c.file;
    SANGAM_REQUIRE_SHARED(rel);
    SCOPED_TRACE(rel);
    auto f = OpenShared(rel);
    ASSERT_NE(f, nullptr);
    EXPECT_TRUE(f->tensors().empty());
    EXPECT_EQ(*f->GetString("tokenizer.ggml.model"), c.model);
    auto tokens = f->GetStringArray("tokenizer.ggml.tokens");
    ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
    EXPECT_EQ(tokens->size(), c.n_tokens);
    auto types = f->GetI32Array("tokenizer.ggml.token_type");
    ASSERT_TRUE(types.ok());
    EXPECT_EQ(types->size(), c.n_tokens);
    // Every expected id in the .out vectors is a valid token index.
    std::ifstream out(SharedPath(rel + ".out"));
    int64_t id = 0, n_ids = 0;
    while (out >> id) {
      ++n_ids;
      EXPECT_GE(id, 0);
      EXPECT_LT(static_cast<size_t>(id), c.n_tokens);
    }
    EXPECT_GT(n_ids, 0);
    if (std::string(c.model) == "gpt2") {
      EXPECT_GT(f->GetStringArray("tokenizer.ggml.merges")->size(), 1000u);
    }
  }
}

}  // namespace
}  // namespace sangam::gguf
