// Black-box tests of `--lora FILE[:SCALE]` on the built binary (generate, perplexity): GGUF and
// PEFT adapters change the output, scale 0 and a merged model agree with the base/adapter, errors.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "sangam/lora.h"
#include "sangam/model.h"
#include "e2e_util.h"

namespace sangam {
namespace {

namespace fs = std::filesystem;
using e2e::Quote;
using e2e::ReadAll;
using e2e::RunResult;

class LoraCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sangam_e2e_lora_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    ThreadPool pool(2);
    model::InitOptions io;
    io.n_embd = 64;
    io.n_layer = 2;
    io.n_head = 4;
    io.n_head_kv = 2;
    io.n_ff = 128;
    io.n_ctx = 128;
    io.init_std = 0.1f;
    io.seed = 5;
    base_ = Tmp("base.gguf");
    Status st = model::InitModel(io, base_, pool);
    ASSERT_TRUE(st.ok()) << st.ToString();
    auto m = model::Model::Load(base_);
    ASSERT_TRUE(m.ok());
    model_ = std::move(*m);
    // A strong adapter on every projection.
    const model::Hparams& hp = model_->hparams();
    std::mt19937 rng(3);
    std::normal_distribution<float> nd(0.0f, 0.3f);
    ad_.arch = hp.arch;
    ad_.rank = 8;
    ad_.alpha = 16.0f;
    for (int64_t l = 0; l < hp.n_layer; ++l) {
      for (const char* t : {"q", "k", "v", "o", "gate", "up", "down"}) {
        model::LoraPair p;
        p.layer = l;
        p.target = (*model::ParseLoraTargets(t))[0];
        const bool ffn_in = p.target == model::LoraTarget::kDown;
        const bool ffn_out =
            p.target == model::LoraTarget::kGate || p.target == model::LoraTarget::kUp;
        const bool kv = p.target == model::LoraTarget::kK || p.target == model::LoraTarget::kV;
        p.n_in = ffn_in ? hp.n_ff : hp.n_embd;
        p.n_out = ffn_out ? hp.n_ff : kv ? hp.n_embd_kv() : hp.n_embd;
        p.a.resize(static_cast<size_t>(ad_.rank * p.n_in));
        p.b.resize(static_cast<size_t>(ad_.rank * p.n_out));
        for (float& v : p.a) v = nd(rng);
        for (float& v : p.b) v = nd(rng);
        ad_.pairs.push_back(std::move(p));
      }
    }
    ASSERT_TRUE(model::SaveLoraGguf(ad_, hp, Tmp("a.gguf")).ok());
    ASSERT_TRUE(model::SavePeftAdapter(ad_, hp, Tmp("peft")).ok());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  RunResult Run(const std::vector<std::string>& args) {
    return e2e::RunSangam(dir_, args);
  }
  RunResult Generate(std::vector<std::string> extra, const std::string& model = "") {
    std::vector<std::string> args = {
        "generate", "-m", model.empty() ? base_ : model, "-p", "Hello", "-n", "24", "--temp", "0",
        "-t",       "1"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(args);
  }
  std::string Tmp(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
  std::string base_;
  std::unique_ptr<model::Model> model_;
  model::LoraAdapter ad_;
};

TEST_F(LoraCliTest, GenerateWithGgufAndPeftAdapters) {
  const RunResult plain = Generate({});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_GT(plain.out.size(), 5u) << plain.out;
  const RunResult gguf = Generate({"--lora", Tmp("a.gguf")});
  ASSERT_EQ(gguf.exit_code, 0) << gguf.err;
  EXPECT_NE(gguf.out, plain.out) << "a strong adapter should change greedy output";
  const RunResult half = Generate({"--lora", Tmp("peft") + ":0.5"});
  ASSERT_EQ(half.exit_code, 0) << half.err;
  EXPECT_NE(half.out, plain.out);
  // The PEFT copy of the same adapter at full scale gives the same text as the GGUF one.
  const RunResult peft = Generate({"--lora", Tmp("peft")});
  ASSERT_EQ(peft.exit_code, 0) << peft.err;
  EXPECT_EQ(peft.out, gguf.out);
  // Scale 0 is the base model; the same adapter twice at 0.5 is the adapter at 1.
  const RunResult zero = Generate({"--lora", Tmp("a.gguf") + ":0"});
  ASSERT_EQ(zero.exit_code, 0) << zero.err;
  EXPECT_EQ(zero.out, plain.out);
  const RunResult two =
      Generate({"--lora", Tmp("a.gguf") + ":0.5", "--lora", Tmp("peft") + ":0.5"});
  ASSERT_EQ(two.exit_code, 0) << two.err;
  EXPECT_EQ(two.out, gguf.out) << "0.5 + 0.5 of the same adapter is the adapter at scale 1";
}

TEST_F(LoraCliTest, AdapterAtInferenceMatchesMergedModel) {
  ThreadPool pool(2);
  model::MergeOptions mo;
  mo.loras = {{&ad_, 1.0f}};
  ASSERT_TRUE(model::WriteMergedModel(*model_, mo, Tmp("merged.gguf"), pool).ok());
  const RunResult merged = Generate({}, Tmp("merged.gguf"));
  ASSERT_EQ(merged.exit_code, 0) << merged.err;
  const RunResult lora = Generate({"--lora", Tmp("a.gguf")});
  ASSERT_EQ(lora.exit_code, 0) << lora.err;
  EXPECT_EQ(lora.out, merged.out);
}

TEST_F(LoraCliTest, PerplexityWithAdapter) {
  {
    std::ofstream f(Tmp("text.txt"));
    for (int i = 0; i < 20; ++i) f << "Once upon a time there was a little cat. ";
  }
  const std::vector<std::string> args = {"perplexity", "-m", base_,    "-f", Tmp("text.txt"),
                                         "-c",         "64", "--json", "-t", "1"};
  const RunResult plain = Run(args);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  std::vector<std::string> with = args;
  with.insert(with.end(), {"--lora", Tmp("a.gguf")});
  const RunResult lora = Run(with);
  ASSERT_EQ(lora.exit_code, 0) << lora.err;
  EXPECT_NE(lora.out, plain.out);
}

TEST_F(LoraCliTest, Errors) {
  RunResult r = Generate({"--lora", Tmp("missing.gguf")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("sangam: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("missing.gguf"), std::string::npos) << r.err;
  r = Generate({"--lora", base_});  // a model, not an adapter
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("base.gguf"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("adapter"), std::string::npos) << r.err;
  fs::remove(Tmp("peft") + "/adapter_config.json");
  r = Generate({"--lora", Tmp("peft") + ":2"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("adapter_config.json"), std::string::npos) << r.err;
  for (const char* cmd : {"generate", "chat", "perplexity"}) {
    r = Run({cmd, "--help"});
    EXPECT_NE(r.out.find("--lora"), std::string::npos) << cmd;
  }
}

}  // namespace
}  // namespace sangam
