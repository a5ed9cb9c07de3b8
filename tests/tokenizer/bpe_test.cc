// Byte-level BPE ("gpt2"): merges by rank, pre-tokenizer splits, and every pre-tokenizer of the
// table compiling and round-tripping multilingual text.
#include <gtest/gtest.h>

#include <random>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/unicode.h"
#include "tokenizer_test_util.h"

namespace sangam::tokenizer {
namespace {

using testing::EncodeOrDie;

std::string ByteSym(uint8_t b) { return unicode::EncodeUtf8(unicode::ByteToCpt(b)); }

// The 256 byte symbols (id = byte value) plus merges; merged tokens get the next ids.
Vocab ByteLevelVocab(const std::vector<std::string>& merges, const std::string& pre = "gpt-2") {
  Vocab v;
  v.model = "gpt2";
  v.pre = pre;
  for (int b = 0; b < 256; ++b) v.tokens.push_back(ByteSym(static_cast<uint8_t>(b)));
  for (const std::string& m : merges) {
    v.merges.push_back(m);
    const size_t sp = m.find(' ');
    v.tokens.push_back(m.substr(0, sp) + m.substr(sp + 1));
  }
  if (v.merges.empty()) v.merges.push_back("\xC4\xA0 \xC4\xA0");  // "Ġ Ġ": merges must not be empty
  if (v.merges.size() > merges.size()) v.tokens.push_back("\xC4\xA0\xC4\xA0");
  v.eos = 0;
  return v;
}

std::unique_ptr<Tokenizer> Make(Vocab v) {
  auto t = Tokenizer::FromVocab(std::move(v));
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : nullptr;
}

TEST(ByteMapping, Gpt2Table) {
  EXPECT_EQ(unicode::ByteToCpt(' '), 0x120u);  // 'Ġ'
  EXPECT_EQ(unicode::ByteToCpt('\n'), 0x10Au);  // 'Ċ'
  EXPECT_EQ(unicode::ByteToCpt('A'), static_cast<uint32_t>('A'));
  EXPECT_EQ(unicode::ByteToCpt(0xAD), 0x143u);
  for (int b = 0; b < 256; ++b) EXPECT_EQ(unicode::ByteFromCpt(unicode::ByteToCpt(static_cast<uint8_t>(b))), b);
  EXPECT_EQ(unicode::ByteFromCpt(0x4E00), -1);
}

TEST(Bpe, MergesLowestRankFirst) {
  // h e l l o: "h e"(0), "l l"(1), "he ll"(2) -> hell + o.
  auto t = Make(ByteLevelVocab({"h e", "l l", "he ll"}));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(EncodeOrDie(*t, "hello"), (std::vector<int32_t>{258, 'o'}));
  // Ranks decide, not position: "l l" (1) before "e l" (absent) etc.
  EXPECT_EQ(EncodeOrDie(*t, "ell"), (std::vector<int32_t>{'e', 257}));
  EXPECT_EQ(t->Decode({258, 'o'}), "hello");
}

TEST(Bpe, EqualPairsMergeLeftmostFirst) {
  auto t = Make(ByteLevelVocab({"a a"}));
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(EncodeOrDie(*t, "aaa"), (std::vector<int32_t>{256, 'a'}));
  EXPECT_EQ(EncodeOrDie(*t, "aaaa"), (std::vector<int32_t>{256, 256}));
}

TEST(Bpe, SpacesBecomeGAndDecodeBack) {
  auto t = Make(ByteLevelVocab({"\xC4\xA0 w", "o r", "\xC4\xA0w or"}));  // "Ġ w", "o r", "Ġw or"
  ASSERT_NE(t, nullptr);
  const auto ids = EncodeOrDie(*t, "a wor");
  EXPECT_EQ(ids, (std::vector<int32_t>{'a', 258}));
  EXPECT_EQ(t->TokenToPiece(258), " wor");
  EXPECT_EQ(t->Decode(ids), "a wor");
  // Raw bytes of a multi-byte character decode back to it.
  const auto ids2 = EncodeOrDie(*t, "\xE0\xA4\xB9");  // "ह"
  EXPECT_EQ(ids2, (std::vector<int32_t>{0xE0, 0xA4, 0xB9}));
  EXPECT_EQ(t->Decode(ids2), "\xE0\xA4\xB9");
}

std::vector<std::string> SplitWith(const std::vector<std::string>& regexes, const std::string& text) {
  auto s = RegexSplitter::Create(regexes);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return {};
  auto words = s.value()->Split(text);
  EXPECT_TRUE(words.ok()) << words.status().ToString();
  return words.ok() ? words.value() : std::vector<std::string>();
}

const PreTokenizerSpec& Spec(const char* name) {
  const PreTokenizerSpec* s = FindPreTokenizer(name);
  EXPECT_NE(s, nullptr) << name;
  static PreTokenizerSpec empty;
  return s ? *s : empty;
}

using Words = std::vector<std::string>;

TEST(PreTokenizer, Gpt2Split) {
  EXPECT_EQ(SplitWith(Spec("gpt-2").regexes, "Hello world's  test 123!!"),
            (Words{"Hello", " world", "'s", " ", " test", " 123", "!!"}));
  EXPECT_EQ(SplitWith(Spec("gpt-2").regexes, "a  \n"), (Words{"a", "  \n"}));
}

TEST(PreTokenizer, Llama3Split) {
  EXPECT_EQ(SplitWith(Spec("llama-bpe").regexes, "Hello 12345\n\n  x"),
            (Words{"Hello", " ", "123", "45", "\n\n", " ", " x"}));
  EXPECT_EQ(SplitWith(Spec("llama-bpe").regexes, "I'M ok"), (Words{"I", "'M", " ok"}));
}

TEST(PreTokenizer, Qwen2SplitUsesIcu) {
  // Single digits (\p{N} without {1,3}); this expression runs on ICU, not a hand scanner.
  EXPECT_EQ(SplitWith(Spec("qwen2").regexes, "Hello 12345\n\n  x"),
            (Words{"Hello", " ", "1", "2", "3", "4", "5", "\n\n", " ", " x"}));
  // Non-ASCII letters and punctuation go through the collapsed text.
  EXPECT_EQ(SplitWith(Spec("qwen2").regexes, "\xC3\xBC" "ber, \xE4\xBD\xA0\xE5\xA5\xBD!"),
            (Words{"\xC3\xBC" "ber", ",", " \xE4\xBD\xA0\xE5\xA5\xBD", "!"}));
}

TEST(PreTokenizer, RegexTranslation) {
  auto r = TranslateRegexForIcu("\\s+(?!\\S)|[^\\s\\p{L}]", true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r.value(),
            "[\\x{9}\\x{A}\\x{B}\\x{C}\\x{D}\\x{20}]+(?![^\\x{9}\\x{A}\\x{B}\\x{C}\\x{D}\\x{20}])|"
            "[^\\x{9}\\x{A}\\x{B}\\x{C}\\x{D}\\x{20}\\x{E0D2}A-Za-z]");
  auto r2 = TranslateRegexForIcu("[!-/a]\\s+$", false);
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2.value(), "[\\x{21}-\\x{2F}\\x{61}][\\x{9}\\x{A}\\x{B}\\x{C}\\x{D}\\x{20}]+\\z");
  EXPECT_FALSE(TranslateRegexForIcu("\\p{Han}+", true).ok());
}

// Multilingual text with whitespace runs, digits, contractions, emoji and punctuation.
const char* const kMixed =
    "Hello, y'all! How are you \xF0\x9F\x98\x81 ?\xE6\x88\x91\xE6\x83\xB3\xE5\x9C\xA8" "apple\xE5\xB7\xA5\xE4\xBD\x9C"
    "1314151\xE5\xA4\xA9\xEF\xBD\x9E \n\n\t  3333333 \xD0\xBD\xD0\xB5\xD1\x89\xD0\xBE "
    "\xE0\xA4\xA8\xE0\xA4\xAE\xE0\xA4\xB8\xE0\xA5\x8D\xE0\xA4\xA4\xE0\xA5\x87 I've 'RE "
    "\xE1\x9E\x80\xE1\x9E\xB6 <sentinel:12> IMGIMGABZ ...!!  \xC2\xA0x\xE2\x80\x83y   ";

TEST(PreTokenizer, EveryTableEntryCompilesAndRoundTrips) {
  const auto names = Tokenizer::SupportedPreTokenizers();
  EXPECT_GE(names.size(), 60u);
  for (const std::string& name : names) {
    auto t = Tokenizer::FromVocab(ByteLevelVocab({"h e", "l l"}, name));
    ASSERT_TRUE(t.ok()) << name << ": " << t.status().ToString();
    const auto ids = EncodeOrDie(*t.value(), kMixed, {.add_bos = false});
    EXPECT_EQ(t.value()->DecodeWith(ids, {.clean_spaces = false}), kMixed) << name;
    // The pieces cover the text exactly.
    const PreTokenizerSpec* spec = FindPreTokenizer(name);
    ASSERT_NE(spec, nullptr);
    std::string joined;
    for (const auto& w : SplitWith(spec->regexes, kMixed)) joined += w;
    EXPECT_EQ(joined, kMixed) << name;
  }
}

TEST(PreTokenizer, DeepseekSplits) {
  // deepseek-llm: newlines alone, letters (with one leading space), punctuation runs, CJK runs,
  // digit runs.
  EXPECT_EQ(SplitWith(Spec("deepseek-llm").regexes, "Hi there!\n\xE4\xBD\xA0\xE5\xA5\xBD 42"),
            (Words{"Hi", " there", "!", "\n", "\xE4\xBD\xA0\xE5\xA5\xBD", " ", "42"}));
}

// The GPT-2 and Llama-3 expressions run on hand-written scanners; the same expressions, wrapped so
// that they are not recognised, run on ICU. Both must cut random text identically.
TEST(PreTokenizer, ScannersAgreeWithRegexEngine) {
  const std::vector<std::string> pool = {
      "a", "Z", "\xC3\xA9", "\xD0\x96", "\xE4\xBD\xA0", "1", "7", "\xD9\xA3", "\xE2\x85\xA2", " ", " ", " ", "\n",
      "\r", "\t", "\xC2\xA0", "\xE2\x80\x83", "'", "'s", "'T", "'re", "'LL", "!", ".", "$", "~", "\xF0\x9F\x98\x81",
      "\xCC\x81", "\xE0\xA4\xBF", "-", "\x7F", "\x0B", "\xE2\x80\xA8"};
  const std::string gpt2 = Spec("gpt-2").regexes[0];
  const std::string llama3 = Spec("llama-bpe").regexes[0];
  // gpt2's expression in llama.cpp lacks the final "|\s+" that its scanner implements.
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {gpt2, "(?:" + gpt2 + "|\\s+)"}, {llama3, "(?:" + llama3 + ")"}};
  std::mt19937 rng(7);
  for (const auto& [fast, slow] : pairs) {
    auto a = RegexSplitter::Create({fast});
    auto b = RegexSplitter::Create({slow});
    ASSERT_TRUE(a.ok() && b.ok());
    for (int iter = 0; iter < 3000; ++iter) {
      std::string text;
      const int len = static_cast<int>(rng() % 24);
      for (int k = 0; k < len; ++k) text += pool[rng() % pool.size()];
      auto wa = a.value()->Split(text);
      auto wb = b.value()->Split(text);
      ASSERT_TRUE(wa.ok() && wb.ok());
      ASSERT_EQ(wa.value(), wb.value()) << "text: '" << text << "' expr: " << fast;
    }
  }
}

TEST(Bpe, IgnoreMergesTakesWholeWordTokens) {
  // llama-bpe ignores merges for words that are tokens: "ab" is a token without a merge path.
  Vocab v = ByteLevelVocab({"x y"}, "llama-bpe");
  v.tokens.push_back("ab");
  v.bos = 0;
  auto t = Make(std::move(v));
  ASSERT_NE(t, nullptr);
  EXPECT_TRUE(t->add_bos());  // llama-bpe forces add_bos
  const int32_t ab = t->Find("ab");
  ASSERT_GE(ab, 0);
  EXPECT_EQ(EncodeOrDie(*t, "ab", {.add_bos = false}), (std::vector<int32_t>{ab}));
  Vocab v2 = ByteLevelVocab({"x y"}, "gpt-2");
  v2.tokens.push_back("ab");
  auto t2 = Make(std::move(v2));
  ASSERT_NE(t2, nullptr);
  EXPECT_EQ(EncodeOrDie(*t2, "ab", {.add_bos = false}), (std::vector<int32_t>{'a', 'b'}));
}

}  // namespace
}  // namespace sangam::tokenizer
