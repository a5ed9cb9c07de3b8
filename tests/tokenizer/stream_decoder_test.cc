// StreamDecoder: pieces are complete UTF-8 and concatenate to the whole-sequence decoding.
#include <gtest/gtest.h>

#include "tokenizer_test_util.h"

namespace sangam::tokenizer {
namespace {

using testing::EncodeOrDie;
using testing::IsValidUtf8;

TEST(StreamDecoder, Utf8Validator) {
  EXPECT_TRUE(IsValidUtf8("a\xC3\xA9\xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xF0\x9F\x98"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));
}

Vocab ByteVocab() {
  Vocab v;
  v.model = "llama";
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.types = {TokenType::kUnknown, TokenType::kControl, TokenType::kControl};
  for (int b = 0; b < 256; ++b) {
    v.tokens.push_back(StrFormat("<0x%02X>", b));
    v.types.push_back(TokenType::kByte);
  }
  v.tokens.push_back("\xE2\x96\x81hi");
  v.types.push_back(TokenType::kNormal);
  return v;
}

TEST(StreamDecoder, HoldsIncompleteCharacters) {
  auto t = Tokenizer::FromVocab(ByteVocab());
  ASSERT_TRUE(t.ok());
  StreamDecoder sd(*t.value());
  // U+1F600 = F0 9F 98 80 as four byte tokens.
  EXPECT_EQ(sd.Push(3 + 0xF0), "");
  EXPECT_EQ(sd.Push(3 + 0x9F), "");
  EXPECT_EQ(sd.Push(3 + 0x98), "");
  EXPECT_EQ(sd.Push(3 + 0x80), "\xF0\x9F\x98\x80");
  // A byte that can never start a character is passed through at once.
  EXPECT_EQ(sd.Push(3 + 0xFF), "\xFF");
  // An incomplete tail is returned by Flush.
  EXPECT_EQ(sd.Push(3 + 0xC3), "");
  EXPECT_EQ(sd.Flush(), "\xC3");
  EXPECT_EQ(sd.Flush(), "");
  // Continuing a prompt keeps the leading space; starting a text strips it after BOS.
  EXPECT_EQ(sd.Push(259), " hi");
  StreamDecoder start(*t.value(), {.render_special = false, .strip_leading_space = true});
  EXPECT_EQ(start.Push(1), "");
  EXPECT_EQ(start.Push(259), "hi");
  EXPECT_EQ(start.Push(259), " hi");
}

class StreamDecoderVocabTest : public ::testing::TestWithParam<const char*> {};

TEST_P(StreamDecoderVocabTest, MatchesDecodeOnVectors) {
  const std::string rel = std::string("data/vocab/ggml-vocab-") + GetParam() + ".gguf";
  SANGAM_REQUIRE_SHARED(rel);
  auto loaded = testing::LoadFromGguf(sangam::testing::SharedPath(rel));
  ASSERT_NE(loaded.tok, nullptr);
  const auto cases = testing::ReadVocabCases(sangam::testing::SharedPath(rel + ".inp"),
                                             sangam::testing::SharedPath(rel + ".out"));
  for (const auto& c : cases) {
    const auto ids = EncodeOrDie(*loaded.tok, c.text);
    StreamDecoder sd(*loaded.tok, {.render_special = false, .strip_leading_space = true});
    std::string all;
    for (int32_t id : ids) {
      const std::string piece = sd.Push(id);
      EXPECT_TRUE(IsValidUtf8(piece)) << "token " << id << " in '" << c.text << "'";
      all += piece;
    }
    all += sd.Flush();
    EXPECT_EQ(all, loaded.tok->DecodeWith(ids, {.clean_spaces = false}));
    if (loaded.tok->model_name() != "bert") {
      EXPECT_EQ(all, c.text);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Vocabs, StreamDecoderVocabTest,
                         ::testing::Values("llama-spm", "gpt-2", "deepseek-llm", "bert-bge"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& ch : s) {
                             if (ch == '-') ch = '_';
                           }
                           return s;
                         });

}  // namespace
}  // namespace sangam::tokenizer
