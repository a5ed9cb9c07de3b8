// Construction errors: missing or inconsistent tokenizer metadata gives a Status naming the key.
#include <gtest/gtest.h>

#include "tokenizer_test_util.h"

namespace sangam::tokenizer {
namespace {

Vocab Small() {
  Vocab v;
  v.model = "llama";
  v.tokens = {"<unk>", "<s>", "</s>", "a"};
  return v;
}

std::string ErrorOf(Vocab v) {
  auto t = Tokenizer::FromVocab(std::move(v));
  EXPECT_FALSE(t.ok());
  return t.ok() ? "" : t.status().ToString();
}

TEST(VocabErrors, LengthMismatches) {
  Vocab v = Small();
  v.scores = {0, 0};
  EXPECT_NE(ErrorOf(v).find("tokenizer.ggml.scores has 2 entries but tokenizer.ggml.tokens has 4"), std::string::npos);
  v = Small();
  v.types = {TokenType::kNormal};
  EXPECT_NE(ErrorOf(v).find("tokenizer.ggml.token_type"), std::string::npos);
}

TEST(VocabErrors, IdsOutOfRange) {
  Vocab v = Small();
  v.eos = 4;
  const std::string e = ErrorOf(v);
  EXPECT_NE(e.find("eos token id 4 is out of range"), std::string::npos) << e;
  // -1 means "none" and is fine; add_bos without a BOS is not.
  v = Small();
  v.bos = -1;
  EXPECT_NE(ErrorOf(v).find("add_bos_token is true, but tokenizer.ggml.bos_token_id is not set"), std::string::npos);
  v.add_bos = false;
  EXPECT_TRUE(Tokenizer::FromVocab(v).ok());
}

TEST(VocabErrors, UnknownModelAndPreListSupported) {
  Vocab v = Small();
  v.model = "t5";
  const std::string e = ErrorOf(v);
  EXPECT_NE(e.find("'t5'"), std::string::npos);
  EXPECT_NE(e.find("llama"), std::string::npos);
  EXPECT_NE(e.find("gpt2"), std::string::npos);
  v = Small();
  v.model = "gpt2";
  v.pre = "no-such-pre";
  v.merges = {"a a"};
  const std::string e2 = ErrorOf(v);
  EXPECT_NE(e2.find("'no-such-pre'"), std::string::npos) << e2;
  EXPECT_NE(e2.find("llama-bpe"), std::string::npos);
  EXPECT_NE(e2.find("qwen2"), std::string::npos);
}

TEST(VocabErrors, DuplicatesAndMissingMerges) {
  Vocab v = Small();
  v.tokens.push_back("a");
  EXPECT_NE(ErrorOf(v).find("duplicate token in vocabulary: 'a' has ids 3 and 4"), std::string::npos);
  v = Small();
  v.model = "gpt2";
  v.pre = "gpt-2";
  EXPECT_NE(ErrorOf(v).find("tokenizer.ggml.merges"), std::string::npos);
  v = Small();
  v.tokens.clear();
  EXPECT_NE(ErrorOf(v).find("empty"), std::string::npos);
}

std::unique_ptr<gguf::File> FileFrom(const gguf::Writer& w, std::string* storage) {
  *storage = w.Serialize();
  auto f = gguf::File::FromBuffer(storage->data(), storage->size(), "test.gguf");
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  return f.ok() ? std::move(f).value() : nullptr;
}

TEST(VocabErrors, FromGgufKeys) {
  std::string buf;
  {
    gguf::Writer w;
    w.Set("general.architecture", gguf::Value::Str("llama"));
    auto f = FileFrom(w, &buf);
    ASSERT_NE(f, nullptr);
    auto t = Tokenizer::FromGguf(*f);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.status().message().find("tokenizer.ggml.model"), std::string::npos);
  }
  gguf::Writer w;
  w.Set("tokenizer.ggml.model", gguf::Value::Str("llama"));
  w.Set("tokenizer.ggml.tokens", gguf::Value::StrArray({"<unk>", "<s>", "</s>", "a"}));
  w.Set("tokenizer.ggml.scores", gguf::Value::F32Array({0, 0, 0, -1}));
  w.Set("tokenizer.ggml.token_type", gguf::Value::I32Array({2, 3, 3, 1}));
  w.Set("tokenizer.ggml.padding_token_id", gguf::Value::U32(0xFFFFFFFFu));  // "none"
  w.Set("tokenizer.chat_template", gguf::Value::Str("{{ messages }}"));
  {
    auto f = FileFrom(w, &buf);
    ASSERT_NE(f, nullptr);
    auto t = Tokenizer::FromGguf(*f);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    EXPECT_EQ(t.value()->pad(), -1);
    EXPECT_EQ(t.value()->chat_template(), "{{ messages }}");
    EXPECT_EQ(t.value()->unk(), 0);
    EXPECT_EQ(t.value()->GetTokenType(0), TokenType::kUnknown);
    EXPECT_FLOAT_EQ(t.value()->Score(3), -1.0f);
  }
  {
    gguf::Writer w2 = w;
    w2.Set("tokenizer.ggml.eos_token_id", gguf::Value::U32(7));
    auto f = FileFrom(w2, &buf);
    ASSERT_NE(f, nullptr);
    auto t = Tokenizer::FromGguf(*f);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.status().message().find("tokenizer.ggml.eos_token_id = 7 is out of range"), std::string::npos)
        << t.status().ToString();
  }
  {
    gguf::Writer w2 = w;
    w2.Set("tokenizer.ggml.token_type", gguf::Value::I32Array({2, 3, 3}));
    auto f = FileFrom(w2, &buf);
    ASSERT_NE(f, nullptr);
    auto t = Tokenizer::FromGguf(*f);
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.status().message().find("token_type has 3 entries"), std::string::npos);
  }
  {
    gguf::Writer w2 = w;
    w2.Set("tokenizer.ggml.tokens", gguf::Value::Str("oops"));
    auto f = FileFrom(w2, &buf);
    ASSERT_NE(f, nullptr);
    EXPECT_FALSE(Tokenizer::FromGguf(*f).ok());
  }
}

}  // namespace
}  // namespace sangam::tokenizer
