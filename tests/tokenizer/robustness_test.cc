// Invalid UTF-8, random bytes, megabyte inputs and FLORES-size text: defined results, no crashes,
// and reasonable time.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "tokenizer_test_util.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANGAM_TOKENIZER_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANGAM_TOKENIZER_SANITIZED 1
#endif
#endif

namespace sangam::tokenizer {
namespace {

using testing::EncodeOrDie;

#ifdef SANGAM_TOKENIZER_SANITIZED
constexpr bool kTimed = false;
#else
constexpr bool kTimed = true;
#endif

const char* const kVocabs[] = {"llama-spm", "gpt-2", "deepseek-llm", "bert-bge"};

std::string VocabRel(const char* name) { return std::string("data/vocab/ggml-vocab-") + name + ".gguf"; }

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Invalid input and the text llama.cpp's decoder makes of it (each bad byte -> U+FFFD).
struct BadCase {
  std::string in;
  std::string sanitized;
};
const BadCase kBad[] = {
    {"\xFF", "\xEF\xBF\xBD"},
    {"abc\xC3", "abc\xEF\xBF\xBD"},
    {"\xC3(x", "\xEF\xBF\xBD(x"},
    {"\xE2\x82", "\xEF\xBF\xBD\xEF\xBF\xBD"},
    {"a\x80\x80 b", "a\xEF\xBF\xBD\xEF\xBF\xBD b"},
    {"\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},  // > U+10FFFF
    {"\xF8\x88\x80\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
    {"\xED\xA0\x80", "\xED\xA0\x80"},  // a surrogate: accepted and kept, as llama.cpp does
    {std::string("a\0b", 3), std::string("a\0b", 3)},
};

TEST(Robustness, InvalidUtf8HasADefinedResult) {
  for (const char* name : kVocabs) {
    if (!std::filesystem::exists(sangam::testing::SharedPath(VocabRel(name)))) GTEST_SKIP() << "no shared data";
    auto loaded = testing::LoadFromGguf(sangam::testing::SharedPath(VocabRel(name)));
    ASSERT_NE(loaded.tok, nullptr);
    const Tokenizer& t = *loaded.tok;
    for (const BadCase& c : kBad) {
      const auto ids = EncodeOrDie(t, c.in, {.add_bos = false});
      for (int32_t id : ids) ASSERT_TRUE(id >= 0 && id < t.n_vocab()) << name;
      const std::string back = t.DecodeWith(ids, {.clean_spaces = false});
      if (t.model_name() == "llama") {
        EXPECT_EQ(back, c.in) << name << ": SentencePiece byte fallback keeps the bytes";
      } else if (t.model_name() == "gpt2") {
        EXPECT_EQ(back, c.sanitized) << name;
        EXPECT_EQ(ids, EncodeOrDie(t, c.sanitized, {.add_bos = false})) << name;
      }
    }
  }
}

TEST(Robustness, InvalidUtf8BeforeSpaceIsNotLossless) {
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-llama-spm.gguf");
  auto loaded = testing::LoadFromGguf(sangam::testing::SharedPath("data/vocab/ggml-vocab-llama-spm.gguf"));
  ASSERT_NE(loaded.tok, nullptr);
  // As in llama.cpp: spaces become "▁" (E2 96 81) before splitting into characters, and the lead
  // byte C3 takes the next byte (E2) as its continuation, so the space comes back as raw bytes.
  const auto ids = EncodeOrDie(*loaded.tok, "a\xC3 b", {.add_bos = false});
  EXPECT_EQ(loaded.tok->DecodeWith(ids, {.clean_spaces = false}), "a\xC3\xE2\x96\x81" "b");
}

TEST(Robustness, RandomBytes) {
  std::mt19937 rng(1234);
  const char pool[] = {' ', ' ', '\n', '\t', 'a', 'Z', '3', '\'', '!', '<', '>', '|', 's',
                       '\xC3', '\xA9', '\xE0', '\xA4', '\xB9', '\xF0', '\x9F', '\x98', '\x80', '\xFF', '\x00'};
  for (const char* name : kVocabs) {
    if (!std::filesystem::exists(sangam::testing::SharedPath(VocabRel(name)))) GTEST_SKIP() << "no shared data";
    auto loaded = testing::LoadFromGguf(sangam::testing::SharedPath(VocabRel(name)));
    ASSERT_NE(loaded.tok, nullptr);
    const Tokenizer& t = *loaded.tok;
    for (int iter = 0; iter < 1500; ++iter) {
      std::string s(rng() % 40, ' ');
      for (char& c : s) c = (rng() % 3 == 0) ? static_cast<char>(rng() & 0xFF) : pool[rng() % sizeof(pool)];
      for (bool special : {false, true}) {
        auto r = t.Encode(s, {.add_bos = true, .parse_special = special});
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        for (int32_t id : r.value()) ASSERT_TRUE(id >= 0 && id < t.n_vocab());
      }
      // SentencePiece round-trips valid UTF-8 (see InvalidUtf8BeforeSpaceIsNotLossless).
      if (t.model_name() == "llama" && testing::IsValidUtf8(s) && s.find("\xE2\x96\x81") == std::string::npos) {
        const auto ids = EncodeOrDie(t, s, {.add_bos = true});
        EXPECT_EQ(t.DecodeWith(ids, {.clean_spaces = false}), s) << name;
      }
    }
  }
}

TEST(Robustness, MegabyteInputs) {
  for (const char* name : kVocabs) {
    if (!std::filesystem::exists(sangam::testing::SharedPath(VocabRel(name)))) GTEST_SKIP() << "no shared data";
    auto loaded = testing::LoadFromGguf(sangam::testing::SharedPath(VocabRel(name)));
    ASSERT_NE(loaded.tok, nullptr);
    const std::string unit = testing::ReadWholeFile(sangam::testing::SharedPath(VocabRel(name) + ".inp"));
    ASSERT_FALSE(unit.empty());
    std::string big;
    while (big.size() < (1u << 20)) big += unit;
    // A single 1 MB "word" without spaces stresses the merge loop.
    const std::string solid(1u << 20, 'a');
    for (const std::string* text : {static_cast<const std::string*>(&big), &solid}) {
      const auto t0 = std::chrono::steady_clock::now();
      const auto ids = EncodeOrDie(*loaded.tok, *text, {.add_bos = false});
      const double s = Seconds(t0);
      EXPECT_GT(ids.size(), 1000u);
      std::printf("[ timing ] %s: %zu bytes -> %zu tokens in %.3f s\n", name, text->size(), ids.size(), s);
      if (kTimed) {
        EXPECT_LT(s, 30.0) << name;
      }
      if (loaded.tok->model_name() != "bert") {
        EXPECT_EQ(loaded.tok->DecodeWith(ids, {.clean_spaces = false}), *text) << name;
      }
    }
  }
}

TEST(Robustness, ConcurrentEncodeIsConsistent) {
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-deepseek-llm.gguf");
  auto loaded = testing::LoadFromGguf(sangam::testing::SharedPath("data/vocab/ggml-vocab-deepseek-llm.gguf"));
  ASSERT_NE(loaded.tok, nullptr);
  const std::string text =
      testing::ReadWholeFile(sangam::testing::SharedPath("data/vocab/ggml-vocab-deepseek-llm.gguf.inp"));
  const auto expected = EncodeOrDie(*loaded.tok, text);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 20; ++k) {
        auto r = loaded.tok->Encode(text);
        if (!r.ok() || r.value() != expected) ++mismatches[i];
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

// FLORES-200 dev files (997 sentences each), extracted from the shared archive with tar into a
// temporary directory; empty strings when tar is unavailable.
std::vector<std::string> FloresFiles(const std::vector<std::string>& langs) {
  const std::string archive = sangam::testing::SharedPath("data/eval/flores200-dev.tar.xz");
  char dir_template[] = "/tmp/sangam-flores-XXXXXX";
  std::vector<std::string> out(langs.size());
  if (mkdtemp(dir_template) == nullptr) return out;
  const std::string dir = dir_template;
  std::string cmd = "tar -xJf '" + archive + "' -C '" + dir + "'";
  for (const std::string& l : langs) cmd += " flores200/dev/" + l + ".dev";
  if (std::system((cmd + " 2>/dev/null").c_str()) == 0) {
    for (size_t i = 0; i < langs.size(); ++i) {
      out[i] = testing::ReadWholeFile(dir + "/flores200/dev/" + langs[i] + ".dev");
    }
  }
  std::filesystem::remove_all(dir);
  return out;
}

TEST(Robustness, FloresSizedTextIsFast) {
  SANGAM_REQUIRE_SHARED("data/eval/flores200-dev.tar.xz");
  const std::vector<std::string> langs = {"eng_Latn", "hin_Deva", "zho_Hans", "arb_Arab",
                                           "rus_Cyrl", "tam_Taml", "jpn_Jpan", "amh_Ethi"};
  const std::vector<std::string> files = FloresFiles(langs);
  std::vector<std::pair<std::string, std::vector<std::string>>> texts;
  for (size_t li = 0; li < langs.size(); ++li) {
    const std::string& lang = langs[li];
    const std::string& all = files[li];
    if (all.empty()) GTEST_SKIP() << "could not extract FLORES with tar";
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < all.size()) {
      size_t nl = all.find('\n', pos);
      if (nl == std::string::npos) nl = all.size();
      lines.push_back(all.substr(pos, nl - pos));
      pos = nl + 1;
    }
    EXPECT_GT(lines.size(), 990u) << lang;
    texts.emplace_back(lang, std::move(lines));
  }
  for (const char* name : kVocabs) {
    if (!std::filesystem::exists(sangam::testing::SharedPath(VocabRel(name)))) continue;
    auto loaded = testing::LoadFromGguf(sangam::testing::SharedPath(VocabRel(name)));
    ASSERT_NE(loaded.tok, nullptr);
    for (const auto& [lang, lines] : texts) {
      size_t n_tokens = 0;
      const auto t0 = std::chrono::steady_clock::now();
      for (const std::string& line : lines) n_tokens += EncodeOrDie(*loaded.tok, line).size();
      const double s = Seconds(t0);
      std::printf("[ timing ] %-12s %-9s %4zu sentences -> %7zu tokens in %.3f s\n", name, lang.c_str(),
                  lines.size(), n_tokens, s);
      if (kTimed) {
        EXPECT_LT(s, 5.0) << name << " " << lang;
      }
    }
  }
}

}  // namespace
}  // namespace sangam::tokenizer
