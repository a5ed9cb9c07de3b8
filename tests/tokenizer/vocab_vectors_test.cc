// llama.cpp's tokenizer test vectors (ggml-vocab-*.gguf.inp/.out) and Decode(Encode(x)) round trips.
//
// The .out files were produced by test-tokenizer-0 with add_special = false and
// parse_special = false; the strings are the exact bytes between separators (a string's own
// trailing newline belongs to it; the separator's newlines do not).
#include <gtest/gtest.h>

#include "tokenizer_test_util.h"

namespace sangam::tokenizer {
namespace {

using testing::EncodeOrDie;
using testing::IdsToString;
using testing::LoadFromGguf;
using testing::ReadVocabCases;

class VocabVectorsTest : public ::testing::TestWithParam<const char*> {};

std::string VocabPath(const char* name) {
  return std::string("data/vocab/ggml-vocab-") + name + ".gguf";
}

TEST_P(VocabVectorsTest, AllVectorsMatchLlamaCpp) {
  const std::string rel = VocabPath(GetParam());
  SANGAM_REQUIRE_SHARED(rel);
  auto loaded = LoadFromGguf(sangam::testing::SharedPath(rel));
  ASSERT_NE(loaded.tok, nullptr);
  const auto cases = ReadVocabCases(sangam::testing::SharedPath(rel + ".inp"),
                                    sangam::testing::SharedPath(rel + ".out"));
  ASSERT_GT(cases.size(), 30u);
  int failures = 0;
  for (const auto& c : cases) {
    const auto ids = EncodeOrDie(*loaded.tok, c.text, {.add_bos = false, .parse_special = false});
    if (ids != c.ids) ++failures;
    EXPECT_EQ(IdsToString(ids), IdsToString(c.ids)) << "text: '" << c.text << "'";
  }
  EXPECT_EQ(failures, 0);
}

class LosslessVocabTest : public ::testing::TestWithParam<const char*> {};

// SentencePiece and byte-level BPE are lossless on valid UTF-8 (WordPiece is not: see
// VocabFiles.WordPieceIsLossy).
TEST_P(LosslessVocabTest, DecodeEncodeRoundTrip) {
  const std::string rel = VocabPath(GetParam());
  SANGAM_REQUIRE_SHARED(rel);
  auto loaded = LoadFromGguf(sangam::testing::SharedPath(rel));
  ASSERT_NE(loaded.tok, nullptr);
  const auto cases = ReadVocabCases(sangam::testing::SharedPath(rel + ".inp"),
                                    sangam::testing::SharedPath(rel + ".out"));
  for (const auto& c : cases) {
    for (bool add_bos : {false, true}) {
      const auto ids = EncodeOrDie(*loaded.tok, c.text, {.add_bos = add_bos});
      DecodeOptions d;
      d.clean_spaces = false;  // " ?" -> "?" clean-up is deliberately lossy
      EXPECT_EQ(loaded.tok->DecodeWith(ids, d), c.text) << "ids: " << IdsToString(ids);
      // The expected ids decode to the same text too.
      EXPECT_EQ(loaded.tok->DecodeWith(c.ids, d), c.text);
    }
  }
}

std::string ParamName(const ::testing::TestParamInfo<const char*>& info) {
  std::string s = info.param;
  for (char& c : s) {
    if (c == '-') c = '_';
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(Vocabs, VocabVectorsTest,
                         ::testing::Values("llama-spm", "gpt-2", "deepseek-llm", "bert-bge"), ParamName);
INSTANTIATE_TEST_SUITE_P(Vocabs, LosslessVocabTest, ::testing::Values("llama-spm", "gpt-2", "deepseek-llm"),
                         ParamName);

TEST(VocabFiles, SpecialTokenSettings) {
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-llama-spm.gguf");
  auto spm = LoadFromGguf(sangam::testing::SharedPath("data/vocab/ggml-vocab-llama-spm.gguf"));
  ASSERT_NE(spm.tok, nullptr);
  EXPECT_EQ(spm.tok->bos(), 1);
  EXPECT_EQ(spm.tok->eos(), 2);
  EXPECT_TRUE(spm.tok->IsEog(2));
  EXPECT_FALSE(spm.tok->IsEog(1));
  EXPECT_TRUE(spm.tok->add_space_prefix());
  EXPECT_EQ(spm.tok->vocab_type(), VocabType::kSpm);
  // add_bos = true on a vocab that requests BOS; "Hello world" is 15043 3186 in the vectors.
  EXPECT_EQ(EncodeOrDie(*spm.tok, "Hello world"), (std::vector<int32_t>{1, 15043, 3186}));
  EXPECT_EQ(spm.tok->Decode({1, 15043, 3186}), "Hello world");
  EXPECT_EQ(spm.tok->DecodeWith({1, 15043, 3186}, {.render_special = true}), "<s> Hello world");

  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-gpt-2.gguf");
  auto gpt2 = LoadFromGguf(sangam::testing::SharedPath("data/vocab/ggml-vocab-gpt-2.gguf"));
  ASSERT_NE(gpt2.tok, nullptr);
  EXPECT_FALSE(gpt2.tok->add_bos());  // no tokenizer.ggml.add_bos_token: GPT-2 adds nothing
  EXPECT_EQ(gpt2.tok->vocab_type(), VocabType::kBpe);
  EXPECT_EQ(gpt2.tok->pre_name(), "gpt-2");
  EXPECT_EQ(EncodeOrDie(*gpt2.tok, "Hello world"), EncodeOrDie(*gpt2.tok, "Hello world", {.add_bos = false}));
  EXPECT_EQ(gpt2.tok->eos(), 50256);
  EXPECT_TRUE(gpt2.tok->IsEog(50256));

  auto ds = LoadFromGguf(sangam::testing::SharedPath("data/vocab/ggml-vocab-deepseek-llm.gguf"));
  ASSERT_NE(ds.tok, nullptr);
  EXPECT_TRUE(ds.tok->add_bos());
  const auto with_bos = EncodeOrDie(*ds.tok, "Hello world");
  ASSERT_FALSE(with_bos.empty());
  EXPECT_EQ(with_bos[0], 100000);
}

TEST(VocabFiles, CleanSpacesFollowsTheVocabulary) {
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-gpt-2.gguf");
  auto gpt2 = LoadFromGguf(sangam::testing::SharedPath("data/vocab/ggml-vocab-gpt-2.gguf"));
  ASSERT_NE(gpt2.tok, nullptr);
  const auto ids = EncodeOrDie(*gpt2.tok, "you ? He 's here , ok");
  EXPECT_EQ(gpt2.tok->Decode(ids), "you? He's here, ok");  // llama.cpp clean_up_tokenization_spaces
  EXPECT_EQ(gpt2.tok->DecodeWith(ids, {.clean_spaces = false}), "you ? He 's here , ok");

  auto ds = LoadFromGguf(sangam::testing::SharedPath("data/vocab/ggml-vocab-deepseek-llm.gguf"));
  ASSERT_NE(ds.tok, nullptr);  // deepseek-llm does not clean up
  EXPECT_EQ(ds.tok->Decode(EncodeOrDie(*ds.tok, "you ? He 's", {.add_bos = false})), "you ? He 's");
}

TEST(VocabFiles, WordPieceIsLossy) {
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-bert-bge.gguf");
  auto bert = LoadFromGguf(sangam::testing::SharedPath("data/vocab/ggml-vocab-bert-bge.gguf"));
  ASSERT_NE(bert.tok, nullptr);
  // With special tokens: [CLS] ... [SEP].
  const auto ids = EncodeOrDie(*bert.tok, "Hello World");
  ASSERT_GE(ids.size(), 3u);
  EXPECT_EQ(ids.front(), 101);
  EXPECT_EQ(ids.back(), 102);
  // Not lossless: lower-cased, accents stripped, words re-joined with a leading space.
  EXPECT_EQ(bert.tok->Decode(ids), " hello world");
  EXPECT_EQ(bert.tok->Decode(EncodeOrDie(*bert.tok, "Café", {.add_bos = false})), " cafe");
  // A word without any matching piece becomes [UNK] (id 100).
  const auto unk = EncodeOrDie(*bert.tok, "\xF0\x9F\x98\x80", {.add_bos = false});
  EXPECT_EQ(unk, (std::vector<int32_t>{100}));
}

}  // namespace
}  // namespace sangam::tokenizer
