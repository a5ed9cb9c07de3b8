// SentencePiece-style BPE ("llama"): merge order, byte fallback, space prefix, decoding, and the
// stories260K / llama2.c tok512 vocabulary against reference encodings.
#include <gtest/gtest.h>

#include <sstream>

#include "sangam/llama2c.h"
#include "tokenizer_test_util.h"

namespace sangam::tokenizer {
namespace {

using testing::EncodeOrDie;
using testing::IdsToString;

// <unk> <s> </s>, optionally the 256 byte tokens, then `extra` with scores.
Vocab SpmVocab(const std::vector<std::pair<std::string, float>>& extra, bool bytes = true) {
  Vocab v;
  v.model = "llama";
  auto add = [&](std::string t, float s, TokenType ty) {
    v.tokens.push_back(std::move(t));
    v.scores.push_back(s);
    v.types.push_back(ty);
  };
  add("<unk>", 0, TokenType::kUnknown);
  add("<s>", 0, TokenType::kControl);
  add("</s>", 0, TokenType::kControl);
  if (bytes) {
    for (int b = 0; b < 256; ++b) add(StrFormat("<0x%02X>", b), 0, TokenType::kByte);
  }
  for (const auto& [t, s] : extra) add(t, s, TokenType::kNormal);
  return v;
}

std::unique_ptr<Tokenizer> Make(Vocab v) {
  if (!v.add_space_prefix) v.add_space_prefix = false;  // tests opt in to the space prefix
  auto t = Tokenizer::FromVocab(std::move(v));
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : nullptr;
}

constexpr int32_t kFirst = 3 + 256;  // id of the first extra token when byte tokens are present

TEST(Spm, MergesHighestScoreFirst) {
  auto t = Make(SpmVocab({{"a", -1}, {"b", -1}, {"c", -1}, {"ab", -3}, {"bc", -2}}));
  ASSERT_NE(t, nullptr);
  // "bc" (score -2) beats "ab" (-3): a + bc.
  EXPECT_EQ(EncodeOrDie(*t, "abc", {.add_bos = false}), (std::vector<int32_t>{kFirst, kFirst + 4}));
}

TEST(Spm, EqualScoresMergeLeftmostFirst) {
  auto t = Make(SpmVocab({{"a", -1}, {"b", -1}, {"c", -1}, {"ab", -2}, {"bc", -2}}));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(EncodeOrDie(*t, "abc", {.add_bos = false}), (std::vector<int32_t>{kFirst + 3, kFirst + 2}));
}

TEST(Spm, MergesOnlyThroughTokens) {
  // "abcd" is reached through the pair (ab, cd), even with a low score.
  auto t = Make(SpmVocab({{"a", -1}, {"b", -1}, {"c", -1}, {"d", -1}, {"ab", -2}, {"cd", -2}, {"abcd", -5}}));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(EncodeOrDie(*t, "abcd", {.add_bos = false}), (std::vector<int32_t>{kFirst + 6}));
  auto t2 = Make(SpmVocab({{"a", -1}, {"b", -1}, {"c", -1}, {"d", -1}, {"ab", -2}, {"cd", -2}, {"bcd", -1}}));
  ASSERT_NE(t2, nullptr);
  // "abcd": ab(-2) vs bc(absent) vs cd(-2): ab first (leftmost), then cd; "abcd" absent.
  EXPECT_EQ(EncodeOrDie(*t2, "abcd", {.add_bos = false}), (std::vector<int32_t>{kFirst + 4, kFirst + 5}));
}

TEST(Spm, SpacePrefixAndBos) {
  Vocab v = SpmVocab({{"\xE2\x96\x81", -1}, {"a", -1}, {"\xE2\x96\x81" "a", -2}});
  v.add_space_prefix = true;
  auto t = Make(std::move(v));
  ASSERT_NE(t, nullptr);
  const int32_t sp = kFirst, a = kFirst + 1, spa = kFirst + 2;
  EXPECT_EQ(EncodeOrDie(*t, "a a"), (std::vector<int32_t>{1, spa, spa}));
  EXPECT_EQ(EncodeOrDie(*t, " a", {.add_bos = false}), (std::vector<int32_t>{sp, spa}));
  EXPECT_EQ(EncodeOrDie(*t, "", {.add_bos = true}), (std::vector<int32_t>{1}));
  EXPECT_TRUE(EncodeOrDie(*t, "", {.add_bos = false}).empty());
  EXPECT_EQ(t->Decode({1, spa, spa}), "a a");
  EXPECT_EQ(t->Decode({spa, spa}), "a a");
  EXPECT_EQ(t->Decode({1, sp, spa}), " a");
  EXPECT_EQ(t->DecodeWith({1, spa}, {.strip_leading_space = false}), " a");
  EXPECT_EQ(t->TokenToPiece(spa), " a");
  EXPECT_EQ(t->TokenToPiece(a), "a");
  EXPECT_EQ(t->TokenToPiece(1), "");
  EXPECT_EQ(t->TokenToPieceSpecial(1, true), "<s>");
}

TEST(Spm, NoSpacePrefixWhenDisabled) {
  Vocab v = SpmVocab({{"\xE2\x96\x81", -1}, {"a", -1}});
  v.add_space_prefix = false;
  auto t = Make(std::move(v));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(EncodeOrDie(*t, "a", {.add_bos = false}), (std::vector<int32_t>{kFirst + 1}));
}

TEST(Spm, ByteFallbackAndDecodeReassemblesUtf8) {
  Vocab v = SpmVocab({{"a", -1}});
  v.add_space_prefix = false;
  auto t = Make(std::move(v));
  ASSERT_NE(t, nullptr);
  // "é" = C3 A9 is not a token: two byte tokens <0xC3> <0xA9> (ids 3 + byte).
  const auto ids = EncodeOrDie(*t, "a\xC3\xA9", {.add_bos = false});
  EXPECT_EQ(ids, (std::vector<int32_t>{kFirst, 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(t->Decode(ids), "a\xC3\xA9");
  EXPECT_EQ(t->TokenToPiece(3 + 0xC3), "\xC3");
}

TEST(Spm, UnknownWithoutByteTokens) {
  Vocab v = SpmVocab({{"a", -1}}, /*bytes=*/false);
  v.add_space_prefix = false;
  auto t = Make(std::move(v));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(EncodeOrDie(*t, "a\xC3\xA9" "a", {.add_bos = false}), (std::vector<int32_t>{3, 0, 3}));
  EXPECT_EQ(t->Decode({3, 0, 3}), "aa");  // <unk> renders as nothing unless special
  EXPECT_EQ(t->DecodeWith({3, 0, 3}, {.render_special = true}), "a<unk>a");
}

TEST(Spm, AddEosWhenRequested) {
  Vocab v = SpmVocab({{"a", -1}});
  v.add_eos = true;
  v.add_space_prefix = false;
  auto t = Make(std::move(v));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(EncodeOrDie(*t, "a"), (std::vector<int32_t>{1, kFirst, 2}));
  EXPECT_EQ(EncodeOrDie(*t, "a", {.add_bos = false}), (std::vector<int32_t>{kFirst}));
}

// tok512.encode-vectors.tsv: text TAB ids (with BOS), produced by llama2.c and llama.cpp.
std::vector<testing::VocabCase> ReadTsv() {
  std::vector<testing::VocabCase> cases;
  std::istringstream in(testing::ReadWholeFile(sangam::testing::SharedPath("data/models/expected/tok512.encode-vectors.tsv")));
  std::string line;
  while (std::getline(in, line)) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    testing::VocabCase c;
    c.text = line.substr(0, tab);
    std::istringstream ids(line.substr(tab + 1));
    int32_t id;
    while (ids >> id) c.ids.push_back(id);
    cases.push_back(std::move(c));
  }
  return cases;
}

void CheckTok512(const Tokenizer& t) {
  const auto cases = ReadTsv();
  ASSERT_GE(cases.size(), 5u);
  for (const auto& c : cases) {
    const auto ids = EncodeOrDie(t, c.text);
    EXPECT_EQ(IdsToString(ids), IdsToString(c.ids)) << c.text;
    EXPECT_EQ(t.Decode(ids), c.text);
  }
}

TEST(Spm, Stories260KGgufMatchesReference) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  SANGAM_REQUIRE_SHARED("data/models/expected/tok512.encode-vectors.tsv");
  auto loaded = testing::LoadFromGguf(sangam::testing::SharedPath("data/models/stories260K.gguf"));
  ASSERT_NE(loaded.tok, nullptr);
  EXPECT_EQ(loaded.tok->n_vocab(), 512);
  EXPECT_EQ(loaded.tok->bos(), 1);
  EXPECT_EQ(loaded.tok->eos(), 2);
  EXPECT_EQ(loaded.tok->sep(), -1);  // 0xFFFFFFFF in the file means "none"
  CheckTok512(*loaded.tok);
}

TEST(Spm, Llama2cTokenizerMatchesReference) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.bin");
  SANGAM_REQUIRE_SHARED("data/models/tok512.bin");
  SANGAM_REQUIRE_SHARED("data/models/expected/tok512.encode-vectors.tsv");
  auto file = llama2c::LoadLlama2c(sangam::testing::SharedPath("data/models/stories260K.bin"),
                                   sangam::testing::SharedPath("data/models/tok512.bin"));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  auto t = Tokenizer::FromGguf(*file.value());
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  CheckTok512(*t.value());
  // Same vocabulary as the GGUF conversion: identical encodings of the vector strings.
  auto gg = testing::LoadFromGguf(sangam::testing::SharedPath("data/models/stories260K.gguf"));
  ASSERT_NE(gg.tok, nullptr);
  for (const std::string s : {"Once upon a time, there was a little girl.\nShe liked \xF0\x9F\x90\xB1s!", "  x\t\ty"}) {
    EXPECT_EQ(EncodeOrDie(*t.value(), s), EncodeOrDie(*gg.tok, s)) << s;
  }
}

TEST(Spm, LlamaVocabularyWithLlama2Tokens) {
  SANGAM_REQUIRE_SHARED("data/models/llama-2-tiny-random.gguf");
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-llama-spm.gguf");
  auto a = testing::LoadFromGguf(sangam::testing::SharedPath("data/models/llama-2-tiny-random.gguf"));
  auto b = testing::LoadFromGguf(sangam::testing::SharedPath("data/vocab/ggml-vocab-llama-spm.gguf"));
  ASSERT_NE(a.tok, nullptr);
  ASSERT_NE(b.tok, nullptr);
  // Both carry the 32,000-token Llama 2 vocabulary: "Hello world" is 15043 3186 (test vectors).
  EXPECT_EQ(EncodeOrDie(*a.tok, "Hello world"), (std::vector<int32_t>{1, 15043, 3186}));
}

}  // namespace
}  // namespace sangam::tokenizer
