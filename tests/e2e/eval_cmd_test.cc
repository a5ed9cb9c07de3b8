// Black-box tests of `sangam eval`: parallel directories, plain files, vocabulary-only models,
// LoRA comparison, report files, and clean errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sangam/lora.h"
#include "sangam/model.h"
#include "test_util.h"

namespace sangam {
namespace {

namespace fs = std::filesystem;
using ::sangam::testing::SharedPath;

struct EvalRun {
  int exit_code = -1;
  std::string out, err;
};

std::string Q(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

class EvalCmdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sangam_eval_e2e_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "par");
    Write("par/eng_Latn.dev", "Once upon a time, there was a little girl.\nShe liked to play.\nThe sun was hot.\n");
    Write("par/hin_Deva.dev", "एक बार की बात है, एक छोटी लड़की थी।\nउसे खेलना पसंद था।\nधूप गरम थी।\n");
    Write("par/tha_Thai.dev", "กาลครั้งหนึ่งมีเด็กผู้หญิงตัวเล็กๆ\nเธอชอบเล่น\nแดดร้อน\n");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream f(dir_ / name, std::ios::binary);
    f << text;
    return (dir_ / name).string();
  }
  std::string P(const std::string& name) const { return (dir_ / name).string(); }

  EvalRun Run(const std::vector<std::string>& args) {
    std::string cmd = Q(SANGAM_BINARY);
    cmd += " eval";
    for (const auto& a : args) {
      cmd += ' ';
      cmd += Q(a);
    }
    cmd += " </dev/null >";
    cmd += Q(P("out.txt"));
    cmd += " 2>";
    cmd += Q(P("err.txt"));
    EvalRun r;
    const int st = std::system(cmd.c_str());
    r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    r.out = Slurp(P("out.txt"));
    r.err = Slurp(P("err.txt"));
    return r;
  }

  void ExpectError(const EvalRun& r, const std::string& mention) {
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("sangam: error: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(mention), std::string::npos) << r.err;
  }

  fs::path dir_;
};

TEST_F(EvalCmdTest, ParallelDirWithModel) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  auto r = Run({"-m", SharedPath("data/models/stories260K.gguf"), "--parallel", P("par"), "-t", "2",
                "--json", P("r.json"), "--markdown", P("r.md"), "--chart", P("r.svg")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* code : {"| eng_Latn (ref) |", "| hin_Deva |", "| tha_Thai |"}) {
    EXPECT_EQ(Count(r.out, code), 1u) << code << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("bits/char"), std::string::npos);
  EXPECT_EQ(Slurp(P("r.md")), r.out);
  const auto j = nlohmann::json::parse(Slurp(P("r.json")));
  ASSERT_EQ(j["languages"].size(), 3u);
  EXPECT_TRUE(j["parallel"].get<bool>());
  for (const auto& l : j["languages"]) {
    EXPECT_EQ(l["lines"], 3);
    const auto& m = l["metrics"][0];
    EXPECT_GT(m["tokens"].get<int64_t>(), 0);
    EXPECT_GT(m["bits_per_char"].get<double>(), 0.0);
    EXPECT_NEAR(m["bits_per_byte"].get<double>(),
                m["bits_per_char"].get<double>() * l["chars"].get<double>() / l["bytes"].get<double>(), 1e-9);
    if (l["code"] == "tha_Thai") {
      EXPECT_TRUE(m["fertility"].is_null());
    }
    if (l["code"] == "eng_Latn") {
      EXPECT_DOUBLE_EQ(m["token_premium"].get<double>(), 1.0);
    }
  }
  const std::string svg = Slurp(P("r.svg"));
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_EQ(Count(svg, "<svg"), Count(svg, "</svg>"));
  EXPECT_EQ(Count(svg, "class=\"bar series-0\""), 6u);  // premium + bits/char, 3 languages each
}

TEST_F(EvalCmdTest, VocabularyOnlyGivesTokenStatistics) {
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-llama-spm.gguf");
  auto r = Run({"-m", SharedPath("data/vocab/ggml-vocab-llama-spm.gguf"), "--parallel", P("par"),
                "--langs", "hi", "--json", P("r.json")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("tokens only: the file has no weights"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("bits/char"), std::string::npos);
  const auto j = nlohmann::json::parse(Slurp(P("r.json")));
  ASSERT_EQ(j["languages"].size(), 2u);  // hin_Deva + the reference
  EXPECT_TRUE(j["languages"][0]["metrics"][0]["bits_per_char"].is_null());
  EXPECT_FALSE(j["subjects"][0]["scored"].get<bool>());
}

TEST_F(EvalCmdTest, TextFilesAndTwoModels) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-llama-spm.gguf");
  auto r = Run({"-m", SharedPath("data/vocab/ggml-vocab-llama-spm.gguf"), "-m",
                SharedPath("data/models/stories260K.gguf"), "--text", P("par/eng_Latn.dev"),
                P("par/hin_Deva.dev"), "--langs", "en,hi", "--json", P("r.json"), "-t", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("change tokens"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(Slurp(P("r.json")));
  EXPECT_FALSE(j["parallel"].get<bool>());
  const auto& l = j["languages"][1];
  EXPECT_EQ(l["code"], "hin_Deva");
  EXPECT_TRUE(l["metrics"][0]["token_premium"].is_null());
  const double a = l["metrics"][0]["tokens"].get<double>(), b = l["metrics"][1]["tokens"].get<double>();
  EXPECT_DOUBLE_EQ(l["change"]["tokens"]["abs"].get<double>(), b - a);
  EXPECT_NEAR(l["change"]["tokens"]["pct"].get<double>(), 100 * (b - a) / a, 1e-9);
}

TEST_F(EvalCmdTest, LoraComparedWithBase) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  auto m = model::Model::Load(SharedPath("data/models/stories260K.gguf"));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const model::Hparams& hp = (*m)->hparams();
  model::LoraAdapter ad;
  ad.arch = hp.arch;
  ad.rank = 2;
  ad.alpha = 2;
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.0f, 0.5f);
  model::LoraPair p;
  p.layer = 0;
  p.target = model::LoraTarget::kUp;
  p.n_in = hp.n_embd;
  p.n_out = hp.n_ff;
  p.a.resize(static_cast<size_t>(2 * p.n_in));
  p.b.resize(static_cast<size_t>(2 * p.n_out));
  for (float& x : p.a) x = nd(rng);
  for (float& x : p.b) x = nd(rng);
  ad.pairs.push_back(p);
  ASSERT_TRUE(model::SaveLoraGguf(ad, hp, P("lora.gguf")).ok());

  for (const char* scale : {"0", "1"}) {
    auto r = Run({"-m", SharedPath("data/models/stories260K.gguf"), "--lora", P("lora.gguf") + ":" + scale,
                  "--parallel", P("par"), "--langs", "en", "--json", P("r.json"), "-t", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(Slurp(P("r.json")));
    ASSERT_EQ(j["subjects"].size(), 2u);
    EXPECT_NE(j["subjects"][1]["description"].get<std::string>().find("LoRA"), std::string::npos);
    const auto& l = j["languages"][0];
    const double d = l["change"]["bits_per_char"]["abs"].get<double>();
    if (std::string(scale) == "0") {
      EXPECT_EQ(d, 0.0);
    } else {
      EXPECT_GT(std::abs(d), 1e-4);
    }
    EXPECT_EQ(l["change"]["tokens"]["abs"].get<double>(), 0.0);
  }
}

TEST_F(EvalCmdTest, ErrorsExitOne) {
  SANGAM_REQUIRE_SHARED("data/vocab/ggml-vocab-llama-spm.gguf");
  const std::string vocab = SharedPath("data/vocab/ggml-vocab-llama-spm.gguf");
  ExpectError(Run({"-m", vocab, "--parallel", P("missing")}), "missing");
  ExpectError(Run({"-m", P("nope.gguf"), "--parallel", P("par")}), "nope.gguf");
  ExpectError(Run({"-m", vocab, "--parallel", P("par"), "--langs", "fr"}), "fra_Latn");
  ExpectError(Run({"-m", vocab, "--text", P("par/eng_Latn.dev")}), "--langs");
  ExpectError(Run({"-m", vocab}), "--parallel");
  fs::create_directories(dir_ / "empty");
  ExpectError(Run({"-m", vocab, "--parallel", P("empty")}), "no language files");
  Write("par/fra_Latn.dev", "Il était une fois.\n");
  ExpectError(Run({"-m", vocab, "--parallel", P("par")}), "not aligned");
  Write("par/fra_Latn.dev", "a\nb\xff\nc\n");
  ExpectError(Run({"-m", vocab, "--parallel", P("par"), "--langs", "fr"}), "fra_Latn.dev:2");
  Write("e.txt", "");
  ExpectError(Run({"-m", vocab, "--text", P("e.txt"), "--langs", "en"}), "empty");
  ExpectError(Run({"-m", vocab, "-m", vocab, "-m", vocab, "--parallel", P("par")}), "at most two");
  ExpectError(Run({"-m", vocab, "--lora", P("x.gguf"), "--parallel", P("par"), "--langs", "en"}),
              "no weights");
}

}  // namespace
}  // namespace sangam
