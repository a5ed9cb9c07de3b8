// Tests of the per-language evaluation: FLORES token counts against llama.cpp, bits per character
// against a token-by-token computation, LoRA scale 0, text counting, reports and input errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "sangam/eval.h"
#include "sangam/gguf.h"
#include "sangam/lora.h"
#include "sangam/model.h"
#include "sangam/tokenizer.h"
#include "test_util.h"

namespace sangam::adapt {
namespace {

namespace fs = std::filesystem;
using ::sangam::testing::SharedPath;

constexpr double kLn2 = 0.69314718055994530942;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() /
            ("sangam_eval_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string Write(const std::string& name, const std::string& text) const {
    const fs::path p = path_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream f(p, std::ios::binary);
    f << text;
    return p.string();
  }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

struct VocabOnly {
  std::unique_ptr<gguf::File> file;
  std::unique_ptr<tokenizer::Tokenizer> tok;
};

VocabOnly LoadVocab(const std::string& rel) {
  VocabOnly v;
  auto f = gguf::File::Open(SharedPath(rel));
  EXPECT_TRUE(f.ok()) << f.status().ToString();
  if (!f.ok()) return v;
  v.file = std::move(*f);
  auto t = tokenizer::Tokenizer::FromGguf(*v.file);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (t.ok()) v.tok = std::move(*t);
  return v;
}

const EvalMetrics& Metrics(const EvalReport& r, const std::string& code, size_t subject = 0) {
  for (const LanguageEval& l : r.languages) {
    if (l.code == code) return l.subjects.at(subject);
  }
  ADD_FAILURE() << "no language " << code;
  static EvalMetrics none;
  return none;
}

const LanguageEval* Lang(const EvalReport& r, const std::string& code) {
  for (const LanguageEval& l : r.languages) {
    if (l.code == code) return &l;
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------
// FLORES-200 acceptance: token counts of the Llama 2 vocabulary vs an independent llama.cpp run.
// ---------------------------------------------------------------------------------------------

TEST(EvalFlores, LlamaSpmCountsMatchLlamaCpp) {
  SANGAM_REQUIRE_SHARED("data/eval/flores200-dev.tar.xz");
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-llama-spm.gguf");
  TempDir tmp;
  const std::vector<std::string> codes = {"eng_Latn", "hin_Deva", "ben_Beng", "tam_Taml",
                                          "tel_Telu", "ory_Orya", "tha_Thai", "zho_Hans"};
  std::string members;
  for (const auto& c : codes) members += " flores200/dev/" + c + ".dev";
  const std::string cmd = "tar xJf '" + SharedPath("data/eval/flores200-dev.tar.xz") + "' -C '" +
                          tmp.str() + "'" + members;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;

  VocabOnly v = LoadVocab("data/vocab/ggml-vocab-llama-spm.gguf");
  ASSERT_NE(v.tok, nullptr);
  // Short ISO codes go through the language table; the directory has a dev/ subdirectory.
  auto corpus = LoadParallelDir(tmp.str() + "/flores200", {"hi", "bn", "ta", "te", "or", "th", "zh"},
                                "en");
  ASSERT_TRUE(corpus.ok()) << corpus.status().ToString();
  ASSERT_EQ(corpus->languages.size(), 8u);
  EXPECT_EQ(corpus->languages[0].code, "eng_Latn");  // the reference is added first
  for (const auto& l : corpus->languages) EXPECT_EQ(l.lines.size(), 997u) << l.code;

  EvalSubject s;
  s.label = "llama-spm";
  s.tok = v.tok.get();
  ThreadPool pool(2);
  auto rep = EvaluateLanguages({}, *corpus, {s}, pool);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  ASSERT_TRUE(rep->ref_present);

  struct Expect {
    const char* code;
    int64_t tokens;
    double premium;
  };
  const Expect expect[] = {{"eng_Latn", 29485, 1.0},   {"hin_Deva", 136091, 4.62},
                           {"ben_Beng", 159317, 5.40}, {"tam_Taml", 173462, 5.88},
                           {"tel_Telu", 317333, 10.76}, {"ory_Orya", 343569, 11.65}};
  for (const Expect& e : expect) {
    const EvalMetrics& m = Metrics(*rep, e.code);
    std::printf("FLORES dev %s: %lld tokens (llama.cpp %lld), premium %.3f\n", e.code,
                static_cast<long long>(m.tokens), static_cast<long long>(e.tokens), m.premium);
    EXPECT_NEAR(static_cast<double>(m.tokens), static_cast<double>(e.tokens), 0.001 * e.tokens)
        << e.code;
    EXPECT_NEAR(m.premium, e.premium, 0.005 + 0.001 * e.premium) << e.code;
  }
  // Scripts without spaces: fertility n/a; others have it.
  EXPECT_TRUE(std::isnan(Metrics(*rep, "tha_Thai").fertility));
  EXPECT_TRUE(std::isnan(Metrics(*rep, "zho_Hans").fertility));
  EXPECT_FALSE(Lang(*rep, "tha_Thai")->words_meaningful);
  EXPECT_FALSE(Lang(*rep, "zho_Hans")->words_meaningful);
  EXPECT_TRUE(Lang(*rep, "hin_Deva")->words_meaningful);
  EXPECT_FALSE(std::isnan(Metrics(*rep, "hin_Deva").fertility));
  EXPECT_FALSE(Metrics(*rep, "hin_Deva").scored);  // tokenizer only
  EXPECT_TRUE(std::isnan(Metrics(*rep, "hin_Deva").bits_per_char));
}

// ---------------------------------------------------------------------------------------------
// Text counting, codes, scripts.
// ---------------------------------------------------------------------------------------------

TEST(EvalText, HindiHandExample) {
  // न म स ् त े (6 code points) + space + द ु न ि य ा (6) = 13 code points, 12 * 3 + 1 bytes.
  EvalTextCounts c;
  ASSERT_TRUE(CountText("नमस्ते दुनिया", &c));
  EXPECT_EQ(c.chars, 13);
  EXPECT_EQ(c.bytes, 37);
  EXPECT_EQ(c.words, 2);
  // Leading/trailing/multiple whitespace (tab, NBSP, ideographic space) separates words.
  ASSERT_TRUE(CountText("  मैं  घर\tजा\u00a0रहा\u3000हूँ। ", &c));
  EXPECT_EQ(c.words, 5);
  ASSERT_TRUE(CountText("", &c));
  EXPECT_EQ(c.chars, 0);
  EXPECT_EQ(c.words, 0);
}

TEST(EvalText, InvalidUtf8Rejected) {
  EvalTextCounts c;
  EXPECT_FALSE(CountText("abc\xff", &c));
  EXPECT_FALSE(CountText("\xc0\xaf", &c));          // overlong '/'
  EXPECT_FALSE(CountText("\xed\xa0\x80", &c));      // surrogate
  EXPECT_FALSE(CountText("\xe0\xa4", &c));          // truncated
  EXPECT_FALSE(CountText("\xf4\x90\x80\x80", &c));  // > U+10FFFF
  EXPECT_TRUE(CountText("\xf0\x9f\x98\x80", &c));   // U+1F600
  EXPECT_EQ(c.chars, 1);
}

TEST(EvalText, LanguageCodes) {
  EXPECT_EQ(NormalizeLanguageCode("hi"), "hin_Deva");
  EXPECT_EQ(NormalizeLanguageCode(" or "), "ory_Orya");
  EXPECT_EQ(NormalizeLanguageCode("ne"), "npi_Deva");
  EXPECT_EQ(NormalizeLanguageCode("EN"), "eng_Latn");
  EXPECT_EQ(NormalizeLanguageCode("sat"), "sat_Olck");
  EXPECT_EQ(NormalizeLanguageCode("hin_Deva"), "hin_Deva");
  EXPECT_EQ(NormalizeLanguageCode("xyz"), "xyz");
}

TEST(EvalText, Scripts) {
  EXPECT_FALSE(ScriptUsesSpaces("tha_Thai", "abc def"));  // the code's script decides
  EXPECT_FALSE(ScriptUsesSpaces("jpn_Jpan", ""));
  EXPECT_FALSE(ScriptUsesSpaces("bod_Tibt", ""));
  EXPECT_TRUE(ScriptUsesSpaces("hin_Deva", "中文中文中文"));
  // Unknown code: decided by the letters.
  EXPECT_FALSE(ScriptUsesSpaces("xx", "这是一个句子。这是另一个。"));
  EXPECT_FALSE(ScriptUsesSpaces("xx", "ภาษาไทยไม่มีช่องว่าง"));
  EXPECT_TRUE(ScriptUsesSpaces("xx", "यह एक वाक्य है।"));
  EXPECT_TRUE(ScriptUsesSpaces("xx", "a sentence"));
}

TEST(EvalText, SplitLines) {
  EXPECT_EQ(SplitLines("a\nb\n"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(SplitLines("a\r\n\nb"), (std::vector<std::string>{"a", "", "b"}));
  EXPECT_TRUE(SplitLines("").empty());
}

// ---------------------------------------------------------------------------------------------
// Input errors.
// ---------------------------------------------------------------------------------------------

TEST(EvalInput, Errors) {
  TempDir tmp;
  auto missing = LoadParallelDir(tmp.str() + "/nope", {}, "eng_Latn");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);

  auto none = LoadParallelDir(tmp.str(), {}, "eng_Latn");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no language files"), std::string::npos);

  tmp.Write("eng_Latn.dev", "one\ntwo\n");
  tmp.Write("hin_Deva.dev", "एक\n");
  auto mis = LoadParallelDir(tmp.str(), {}, "eng_Latn");
  ASSERT_FALSE(mis.ok());
  EXPECT_NE(mis.status().message().find("not aligned"), std::string::npos) << mis.status().ToString();

  auto nolang = LoadParallelDir(tmp.str(), {"fr"}, "eng_Latn");
  ASSERT_FALSE(nolang.ok());
  EXPECT_NE(nolang.status().message().find("fra_Latn"), std::string::npos) << nolang.status().ToString();

  tmp.Write("hin_Deva.dev", "एक\nद\xffो\n");
  auto bad = LoadParallelDir(tmp.str(), {}, "eng_Latn");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("hin_Deva.dev:2"), std::string::npos) << bad.status().ToString();

  const std::string empty = tmp.Write("x/empty.txt", "");
  auto e = LoadTextFiles({empty}, {"en"});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("empty"), std::string::npos);
  auto count = LoadTextFiles({empty}, {"en", "hi"});
  EXPECT_FALSE(count.ok());

  // --max-lines keeps the first lines; the reference is added when not selected.
  tmp.Write("hin_Deva.dev", "\xEF\xBB\xBFएक\r\nदो\r\n");  // BOM and CRLF are not text
  auto ok = LoadParallelDir(tmp.str(), {"hin"}, "eng_Latn", 1);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->languages.size(), 2u);
  EXPECT_EQ(ok->languages[0].code, "eng_Latn");
  EXPECT_EQ(ok->languages[1].lines, std::vector<std::string>{"एक"});
}

// ---------------------------------------------------------------------------------------------
// Bits per character with a real model against a token-by-token computation.
// ---------------------------------------------------------------------------------------------

// NLL (nats) of `t` by Context::Eval one token at a time, with the documented windows.
double IndependentNll(const model::Model& m, const std::vector<int32_t>& t, int64_t w,
                      ThreadPool& pool, int64_t* n_scored) {
  model::ContextOptions co;
  co.n_ctx = w;
  auto ctx = model::Context::Create(m, co);
  EXPECT_TRUE(ctx.ok());
  const int32_t bos = m.tokenizer().bos();
  const int64_t n = static_cast<int64_t>(t.size());
  const int64_t first = w - 1, keep = w / 2 - 1, step = w - 1 - keep;
  long double total = 0;
  for (int64_t k = 0; k < n; ++k) {
    // Context of token k: BOS + t[start, k).
    int64_t start = 0;
    if (k >= first) start = first + ((k - first) / step) * step - keep;
    (*ctx)->SeqClear(0);
    std::vector<int32_t> prompt = {bos};
    for (int64_t i = start; i < k; ++i) prompt.push_back(t[static_cast<size_t>(i)]);
    const float* lg = nullptr;
    for (int32_t tok : prompt) {
      auto r = (*ctx)->Eval(pool, std::vector<int32_t>{tok});
      EXPECT_TRUE(r.ok());
      lg = *r;
    }
    const int32_t nv = static_cast<int32_t>(m.hparams().n_vocab);
    long double mx = lg[0];
    for (int32_t v = 1; v < nv; ++v) mx = std::max<long double>(mx, lg[v]);
    long double sum = 0;
    for (int32_t v = 0; v < nv; ++v) sum += std::exp(static_cast<long double>(lg[v]) - mx);
    total += -(static_cast<long double>(lg[t[static_cast<size_t>(k)]]) - mx - std::log(sum));
    ++*n_scored;
  }
  return static_cast<double>(total);
}

class EvalStories : public ::testing::Test {
 protected:
  void SetUp() override {
    SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
    auto m = model::Model::Load(SharedPath("data/models/stories260K.gguf"));
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = std::move(*m);
    corpus_.parallel = true;
    corpus_.languages.push_back({"eng_Latn", "",
                                 {"Once upon a time, there was a little girl named Lily.",
                                  "She liked to play outside in the sun.", "",
                                  "Tom had a big red ball and he was very happy."}});
    corpus_.languages.push_back({"eng_Copy", "", {"Lily and Tom went to the park.", "The sun was hot.",
                                                  "", "They played all day."}});
  }
  std::unique_ptr<model::Model> model_;
  EvalCorpus corpus_;
};

TEST_F(EvalStories, BitsPerCharMatchesTokenByToken) {
  ThreadPool pool(2);
  EvalSubject s;
  s.label = "A";
  s.tok = &model_->tokenizer();
  s.model = model_.get();
  auto rep = EvaluateLanguages({}, corpus_, {s}, pool);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  for (size_t li = 0; li < corpus_.languages.size(); ++li) {
    double nll = 0;
    int64_t n_scored = 0, chars = 0, bytes = 0, tokens = 0;
    for (const std::string& line : corpus_.languages[li].lines) {
      auto t = model_->tokenizer().Encode(line, {.add_bos = false});
      ASSERT_TRUE(t.ok());
      tokens += static_cast<int64_t>(t->size());
      nll += IndependentNll(*model_, *t, 512, pool, &n_scored);
      EvalTextCounts c;
      ASSERT_TRUE(CountText(line, &c));
      chars += c.chars;
      bytes += c.bytes;
    }
    const LanguageEval& l = rep->languages[li];
    const EvalMetrics& m = l.subjects[0];
    EXPECT_EQ(l.chars, chars);
    EXPECT_EQ(l.bytes, bytes);
    EXPECT_EQ(m.tokens, tokens);
    EXPECT_EQ(m.scored_tokens, n_scored);
    ASSERT_TRUE(m.scored);
    const double bpc = nll / kLn2 / static_cast<double>(chars);
    EXPECT_NEAR(m.bits_per_char, bpc, 1e-6 * bpc) << l.code;
    EXPECT_GT(m.bits_per_char, 0.1);
    EXPECT_LT(m.bits_per_char, 8.0);
    // bits/byte == bits/char * chars / bytes.
    EXPECT_NEAR(m.bits_per_byte, m.bits_per_char * static_cast<double>(l.chars) / static_cast<double>(l.bytes),
                1e-12);
  }
  // Parallel, reference present: premium of the reference is 1.
  EXPECT_DOUBLE_EQ(rep->languages[0].subjects[0].premium, 1.0);
  EXPECT_TRUE(rep->languages[0].is_reference);
}

TEST_F(EvalStories, LongLinesScoredInWindows) {
  ThreadPool pool(2);
  const std::string line =
      "Once upon a time, there was a little girl named Lily. She liked to play outside. One day she "
      "saw a big dog and she was scared, but the dog was kind.";
  EvalCorpus c;
  c.languages.push_back({"eng_Latn", "", {line}});
  EvalSubject s;
  s.label = "A";
  s.tok = &model_->tokenizer();
  s.model = model_.get();
  EvalOptions o;
  o.n_ctx = 8;
  auto rep = EvaluateLanguages(o, c, {s}, pool);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  auto t = model_->tokenizer().Encode(line, {.add_bos = false});
  ASSERT_TRUE(t.ok());
  ASSERT_GT(t->size(), 20u);
  int64_t n_scored = 0;
  const double nll = IndependentNll(*model_, *t, 8, pool, &n_scored);
  const EvalMetrics& m = rep->languages[0].subjects[0];
  EXPECT_EQ(m.scored_tokens, static_cast<int64_t>(t->size()));
  EXPECT_NEAR(m.nll_nats, nll, 1e-6 * nll);
  EXPECT_TRUE(std::isnan(m.premium));  // not parallel
}

TEST_F(EvalStories, LoraScaleZeroEqualsNoAdapter) {
  ThreadPool pool(2);
  const model::Hparams& hp = model_->hparams();
  model::LoraAdapter ad;
  ad.arch = hp.arch;
  ad.rank = 2;
  ad.alpha = 2;
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 0.5f);
  for (int64_t layer = 0; layer < hp.n_layer; ++layer) {
    model::LoraPair p;
    p.layer = layer;
    p.target = model::LoraTarget::kQ;
    p.n_in = hp.n_embd;
    p.n_out = hp.n_embd_q();
    p.a.resize(static_cast<size_t>(ad.rank * p.n_in));
    p.b.resize(static_cast<size_t>(p.n_out * ad.rank));
    for (float& x : p.a) x = nd(rng);
    for (float& x : p.b) x = nd(rng);
    ad.pairs.push_back(std::move(p));
  }
  ASSERT_TRUE(model::ValidateLoraAdapter(ad, hp).ok());
  EvalSubject a;
  a.label = "A";
  a.tok = &model_->tokenizer();
  a.model = model_.get();
  EvalSubject b0 = a, b1 = a;
  b0.label = "B0";
  b0.loras = {{&ad, 0.0f}};
  b1.label = "B1";
  b1.loras = {{&ad, 1.0f}};
  auto rep = EvaluateLanguages({}, corpus_, {a, b0, b1}, pool);
  ASSERT_TRUE(rep.ok()) << rep.status().ToString();
  for (const LanguageEval& l : rep->languages) {
    EXPECT_NEAR(l.subjects[1].bits_per_char, l.subjects[0].bits_per_char, 1e-9) << l.code;
    EXPECT_GT(std::abs(l.subjects[2].bits_per_char - l.subjects[0].bits_per_char), 1e-4) << l.code;
  }
}

// ---------------------------------------------------------------------------------------------
// Reports.
// ---------------------------------------------------------------------------------------------

// Minimal XML well-formedness: balanced, properly nested tags (sangam emits no comments/CDATA).
bool WellFormed(const std::string& doc, std::string* why) {
  std::vector<std::string> stack;
  size_t i = 0;
  if (doc.rfind("<?xml", 0) == 0) i = doc.find("?>") + 2;
  int roots = 0;
  while ((i = doc.find('<', i)) != std::string::npos) {
    const size_t end = doc.find('>', i);
    if (end == std::string::npos) return *why = "unterminated tag", false;
    std::string tag = doc.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) return *why = "empty tag", false;
    if (tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) return *why = "mismatched </" + name + ">", false;
      stack.pop_back();
      continue;
    }
    const std::string name = tag.substr(0, tag.find_first_of(" \n\t/"));
    if (stack.empty()) ++roots;
    if (tag.back() != '/') stack.push_back(name);
  }
  if (!stack.empty()) return *why = "unclosed <" + stack.back() + ">", false;
  if (roots != 1) return *why = "roots: " + std::to_string(roots), false;
  return true;
}

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

EvalReport SampleReport(size_t n_lang, bool two) {
  EvalReport r;
  r.parallel = true;
  r.ref = "eng_Latn";
  r.ref_present = true;
  r.subjects.push_back({"A", "base.gguf", "", true});
  if (two) r.subjects.push_back({"B", "base.gguf + LoRA x.gguf", "", true});
  for (size_t i = 0; i < n_lang; ++i) {
    LanguageEval l;
    l.code = "eng_Latn";
    if (i > 0) l.code = StrFormat("l%zu_Deva", i);
    l.is_reference = i == 0;
    l.lines = 10;
    l.chars = 1000;
    l.bytes = 2000 + static_cast<int64_t>(i);
    l.words = 200;
    l.words_meaningful = i != 2;
    for (size_t s = 0; s < r.subjects.size(); ++s) {
      EvalMetrics m;
      m.tokens = 300 + static_cast<int64_t>(100 * i + 7 * s);
      m.premium = static_cast<double>(m.tokens) / (300 + 7 * s);
      m.fertility = l.words_meaningful ? m.tokens / 200.0 : kNotApplicable;
      m.scored = true;
      m.nll_nats = 500.0 + 10 * i - 20 * s;
      m.bits_per_char = m.nll_nats / kLn2 / 1000;
      m.bits_per_byte = m.nll_nats / kLn2 / l.bytes;
      l.subjects.push_back(m);
    }
    r.languages.push_back(l);
  }
  return r;
}

TEST(EvalReport, MarkdownJsonSvg) {
  for (bool two : {false, true}) {
    for (size_t n : {3u, 20u}) {
      const EvalReport r = SampleReport(n, two);
      const std::string md = RenderMarkdown(r);
      size_t rows = 0;
      for (const LanguageEval& l : r.languages) {
        rows += Count(md, "| " + l.code + (l.is_reference ? " (ref)" : "") + " |");
      }
      EXPECT_EQ(rows, n);
      EXPECT_NE(md.find("premium"), std::string::npos);
      EXPECT_NE(md.find("bits/char"), std::string::npos);
      if (two) {
        EXPECT_NE(md.find("change tokens"), std::string::npos);
        EXPECT_NE(md.find("+7 (+2.3 %)"), std::string::npos) << md;  // 307 vs 300 for eng_Latn
      }
      EXPECT_NE(md.find("n/a"), std::string::npos);  // fertility of the no-space language

      const auto j = nlohmann::json::parse(ToJson(r));
      ASSERT_EQ(j["languages"].size(), n);
      EXPECT_EQ(j["reference"], "eng_Latn");
      const auto& l1 = j["languages"][1];
      EXPECT_EQ(l1["chars"], 1000);
      EXPECT_EQ(l1["metrics"].size(), two ? 2u : 1u);
      EXPECT_EQ(l1["metrics"][0]["tokens"], 400);
      EXPECT_NEAR(l1["metrics"][0]["bits_per_char"].get<double>(), r.languages[1].subjects[0].bits_per_char, 1e-12);
      EXPECT_TRUE(j["languages"][2]["metrics"][0]["fertility"].is_null());
      EXPECT_EQ(l1.contains("change"), two);
      if (two) {
        EXPECT_NEAR(l1["change"]["tokens"]["abs"].get<double>(), 7.0, 1e-12);
      }

      const std::string svg = RenderCharts(r);
      std::string why;
      EXPECT_TRUE(WellFormed(svg, &why)) << why;
      // Token chart: one series (A) or two (different counts); bits chart: one bar per subject.
      const size_t ns = two ? 2 : 1;
      EXPECT_EQ(Count(svg, "class=\"bar series-0\""), 2 * n);
      EXPECT_EQ(Count(svg, "class=\"bar series-1\""), two ? 2 * n : 0u);
      EXPECT_EQ(Count(svg, "class=\"reference\""), 1u);
      (void)ns;
    }
  }
}

TEST(EvalReport, ChangeMath) {
  EvalChange c = ComputeChange(2.0, 3.0);
  EXPECT_DOUBLE_EQ(c.abs, 1.0);
  EXPECT_DOUBLE_EQ(c.pct, 50.0);
  c = ComputeChange(kNotApplicable, 3.0);
  EXPECT_TRUE(std::isnan(c.abs));
  c = ComputeChange(0.0, 3.0);
  EXPECT_DOUBLE_EQ(c.abs, 3.0);
  EXPECT_TRUE(std::isnan(c.pct));
}

}  // namespace
}  // namespace sangam::adapt
