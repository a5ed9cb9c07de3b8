// WordPiece ("bert") behaviour and special-token handling (parse_special, user-defined tokens,
// longest-first matching) on small in-memory vocabularies.
#include <gtest/gtest.h>

#include "tokenizer_test_util.h"

namespace sangam::tokenizer {
namespace {

using testing::EncodeOrDie;

std::unique_ptr<Tokenizer> Make(Vocab v) {
  auto t = Tokenizer::FromVocab(std::move(v));
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : nullptr;
}

// [PAD] [UNK] [CLS] [SEP] then word pieces ("▁" starts a word, as llama.cpp's converted vocabs).
Vocab BertVocab() {
  Vocab v;
  v.model = "bert";
  for (const char* t : {"[PAD]", "[UNK]", "[CLS]", "[SEP]"}) {
    v.tokens.push_back(t);
    v.types.push_back(TokenType::kControl);
  }
  for (const char* t : {"\xE2\x96\x81hello", "\xE2\x96\x81world", "\xE2\x96\x81un", "aff", "able", "\xE2\x96\x81,",
                        "\xE2\x96\x81!", "\xE2\x96\x81\xE4\xBD\xA0", "\xE2\x96\x81\xE5\xA5\xBD", "\xE2\x96\x81" "cafe"}) {
    v.tokens.push_back(t);
    v.types.push_back(TokenType::kNormal);
  }
  v.pad = 0;
  v.unk = 1;
  v.bos = 2;
  v.sep = 3;
  return v;
}

TEST(WordPiece, GreedyLongestMatchWithSpecialTokens) {
  auto t = Make(BertVocab());
  ASSERT_NE(t, nullptr);
  // [CLS] ▁hello ▁, ▁un aff able ▁world ▁! [SEP]
  EXPECT_EQ(EncodeOrDie(*t, "Hello, unaffable WORLD!"),
            (std::vector<int32_t>{2, 4, 9, 6, 7, 8, 5, 10, 3}));
  EXPECT_EQ(EncodeOrDie(*t, "Hello", {.add_bos = false}), (std::vector<int32_t>{4}));
}

TEST(WordPiece, AccentsCjkAndUnknown) {
  auto t = Make(BertVocab());
  ASSERT_NE(t, nullptr);
  // NFD + accent stripping: "Café" -> "cafe"; CJK characters are words of their own.
  EXPECT_EQ(EncodeOrDie(*t, "Caf\xC3\xA9 \xE4\xBD\xA0\xE5\xA5\xBD", {.add_bos = false}),
            (std::vector<int32_t>{13, 11, 12}));
  // "unknown" cannot be covered completely: the whole word is [UNK].
  EXPECT_EQ(EncodeOrDie(*t, "hello unknown", {.add_bos = false}), (std::vector<int32_t>{4, 1}));
  EXPECT_EQ(t->Decode({2, 4, 9, 5, 3}), " hello, world");  // control dropped, clean-up " ," -> ","
}

TEST(WordPiece, NoLowercaseWhenDisabled) {
  Vocab v = BertVocab();
  v.lowercase = false;
  auto t = Make(std::move(v));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(EncodeOrDie(*t, "Hello hello", {.add_bos = false}), (std::vector<int32_t>{1, 4}));
}

// SPM vocabulary: <unk> <s> </s>, bytes, a few pieces, and special tokens.
Vocab SpecialVocab() {
  Vocab v;
  v.model = "llama";
  auto add = [&](std::string t, TokenType ty, float s = 0) {
    v.tokens.push_back(std::move(t));
    v.types.push_back(ty);
    v.scores.push_back(s);
  };
  add("<unk>", TokenType::kUnknown);
  add("<s>", TokenType::kControl);
  add("</s>", TokenType::kControl);
  for (int b = 0; b < 256; ++b) add(StrFormat("<0x%02X>", b), TokenType::kByte);
  add("\xE2\x96\x81", TokenType::kNormal, -1);            // 259
  add("x", TokenType::kNormal, -1);                       // 260
  add("\xE2\x96\x81x", TokenType::kNormal, -0.5);         // 261
  add("<|eot|>", TokenType::kControl);                    // 262
  add("<tool>", TokenType::kUserDefined);                 // 263
  add("ab", TokenType::kUserDefined);                     // 264
  add("bcd", TokenType::kUserDefined);                    // 265
  add("<|eot|><tool>", TokenType::kUserDefined);          // 266
  return v;
}

TEST(SpecialTokens, ControlTextNeedsParseSpecial) {
  auto t = Make(SpecialVocab());
  ASSERT_NE(t, nullptr);
  const auto plain = EncodeOrDie(*t, "x<|eot|>", {.add_bos = false, .parse_special = false});
  EXPECT_EQ(std::count(plain.begin(), plain.end(), 262), 0);
  EXPECT_EQ(t->Decode(plain), "x<|eot|>");
  // With parse_special the control token is recognised; the text after a special token gets a
  // space prefix again (llama.cpp), here none follows.
  EXPECT_EQ(EncodeOrDie(*t, "x<|eot|>", {.add_bos = false, .parse_special = true}),
            (std::vector<int32_t>{261, 262}));
  EXPECT_EQ(EncodeOrDie(*t, "<s>x", {.add_bos = true, .parse_special = true}),
            (std::vector<int32_t>{1, 1, 261}));
  EXPECT_TRUE(t->IsControl(262));
}

TEST(SpecialTokens, UserDefinedAlwaysMatched) {
  auto t = Make(SpecialVocab());
  ASSERT_NE(t, nullptr);
  // "<tool>" is user-defined: matched even without parse_special; "x" after it gets "▁".
  EXPECT_EQ(EncodeOrDie(*t, "<tool>x", {.add_bos = false}), (std::vector<int32_t>{263, 261}));
  EXPECT_EQ(t->TokenToPiece(263), "<tool>");  // user-defined text is rendered
}

TEST(SpecialTokens, LongestTokensFirst) {
  auto t = Make(SpecialVocab());
  ASSERT_NE(t, nullptr);
  // "bcd" (longer) is taken before "ab": "a" + bcd, not ab + "cd".
  const auto ids = EncodeOrDie(*t, "abcd", {.add_bos = false});
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(ids.back(), 265);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), 264), 0);
  // "<|eot|><tool>" as a whole beats its parts even when the control part is enabled.
  EXPECT_EQ(EncodeOrDie(*t, "<|eot|><tool>", {.add_bos = false, .parse_special = true}),
            (std::vector<int32_t>{266}));
  // Repeated occurrences, adjacent and separated.
  EXPECT_EQ(EncodeOrDie(*t, "<tool><tool>x<tool>", {.add_bos = false}),
            (std::vector<int32_t>{263, 263, 261, 263}));
}

TEST(SpecialTokens, EndOfGenerationDetection) {
  Vocab v;
  v.model = "gpt2";
  v.pre = "qwen2";
  // Byte symbols are irrelevant here; distinct placeholders.
  for (int b = 0; b < 256; ++b) v.tokens.push_back(StrFormat("t%d", b));
  v.tokens.push_back("<|endoftext|>");  // 256
  v.tokens.push_back("<|im_start|>");   // 257
  v.tokens.push_back("<|im_end|>");     // 258
  v.merges = {"t t"};
  v.eos = 256;
  auto t = Make(std::move(v));
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->IsEog(256));
  EXPECT_TRUE(t->IsEog(258));  // recognised by its text, as llama.cpp does
  EXPECT_FALSE(t->IsEog(257));
  // End-of-turn: the first of llama.cpp's candidate texts in its list order ("<|eot_id|>",
  // "<|im_end|>", ..., "<|endoftext|>").
  EXPECT_EQ(t->eot(), 258);
  EXPECT_TRUE(t->IsControl(258));
}

}  // namespace
}  // namespace sangam::tokenizer
