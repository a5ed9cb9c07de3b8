// Black-box tests of `sangam train`: SIGKILL mid-run then --resume reproduces the uninterrupted
// loss trajectory and final state; outputs load; bad arguments give clear errors.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "../train/stories_text.h"
#include "test_util.h"

extern char** environ;

namespace sangam {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class TrainCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sangam_train_e2e_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string P(const std::string& name) const { return (dir_ / name).string(); }

  // Spawns the binary; returns the pid.
  pid_t Spawn(const std::vector<std::string>& args, const std::string& err_file) {
    std::vector<std::string> all = {SANGAM_BINARY};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    EXPECT_EQ(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
  }
  int Run(const std::vector<std::string>& args, std::string* err = nullptr) {
    const std::string ef = P("stderr.txt");
    const pid_t pid = Spawn(args, ef);
    int status = 0;
    waitpid(pid, &status, 0);
    if (err != nullptr) {
      std::ifstream f(ef);
      std::stringstream ss;
      ss << f.rdbuf();
      *err = ss.str();
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  static std::vector<json> ReadLog(const std::string& path) {
    std::vector<json> out;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      json j = json::parse(line, nullptr, false);
      if (!j.is_discarded()) out.push_back(j);
    }
    return out;
  }
  static size_t CountLines(const std::string& path) {
    std::ifstream in(path);
    size_t n = 0;
    std::string line;
    while (std::getline(in, line)) ++n;
    return n;
  }
  fs::path dir_;
};

TEST_F(TrainCli, KillNineThenResumeReproducesTheTrajectory) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  const std::string model = std::string(SANGAM_SHARED_DIR) + "/data/models/stories260K.gguf";
  {
    std::ofstream(P("train.txt")) << train::testing::MakeStories(200, 1);
  }
  auto args = [&](const std::string& name) {
    return std::vector<std::string>{
        "train", "-m", model, "--data", P("train.txt"), "-o", P(name), "--lora-rank", "4",
        "--lora-targets", "q,v,down", "--lora-dropout", "0.1", "--ctx", "64", "--batch", "2",
        "--grad-accum", "2", "--steps", "60", "--lr", "3e-3", "--schedule", "cosine",
        "--warmup", "5", "--seed", "9", "--save-every", "5", "--clip", "1", "--weight-decay",
        "0.01", "--no-merged", "--no-peft", "-t", "2", "--log-json", P(name + ".jsonl")};
  };
  ASSERT_EQ(Run(args("straight")), 0);
  const auto ref = ReadLog(P("straight.jsonl"));
  ASSERT_EQ(ref.size(), 60u);

  // Start the same run and kill it with SIGKILL once it is well past a checkpoint.
  const pid_t pid = Spawn(args("killed"), P("killed.err"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  while (CountLines(P("killed.jsonl")) < 23 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the run finished before it could be killed";
  const size_t logged = CountLines(P("killed.jsonl"));
  ASSERT_LT(logged, 60u);
  ASSERT_TRUE(fs::exists(P("killed/checkpoint.bin")));

  std::string err;
  auto resume = args("killed");
  resume.push_back("--resume");
  ASSERT_EQ(Run(resume, &err), 0) << err;
  EXPECT_NE(err.find("resumed"), std::string::npos) << err;
  const auto got = ReadLog(P("killed.jsonl"));
  ASSERT_EQ(got.size(), 60u) << "the log must hold each step once after the resume";
  for (size_t i = 0; i < 60; ++i) {
    EXPECT_EQ(got[i]["step"], ref[i]["step"]);
    EXPECT_EQ(got[i]["loss"], ref[i]["loss"]) << "step " << i;
    EXPECT_EQ(got[i]["lr"], ref[i]["lr"]) << "step " << i;
    EXPECT_EQ(got[i]["grad_norm"], ref[i]["grad_norm"]) << "step " << i;
  }
  std::ifstream a(P("straight/checkpoint.bin"), std::ios::binary),
      b(P("killed/checkpoint.bin"), std::ios::binary);
  std::stringstream sa, sb;
  sa << a.rdbuf();
  sb << b.rdbuf();
  EXPECT_TRUE(sa.str() == sb.str()) << "final checkpoints differ";
  EXPECT_TRUE(fs::exists(P("killed/adapter.gguf")));
  EXPECT_TRUE(fs::exists(P("killed/loss.svg")));
}

TEST_F(TrainCli, OutputsLoadAndBadArgumentsGiveClearErrors) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  const std::string model = std::string(SANGAM_SHARED_DIR) + "/data/models/stories260K.gguf";
  {
    std::ofstream(P("t.txt")) << train::testing::MakeStories(50, 3);
  }
  std::string err;
  ASSERT_EQ(Run({"train", "-m", model, "--data", P("t.txt"), "-o", P("o"), "--lora-rank", "2",
                 "--steps", "3", "--ctx", "32", "--export-type", "q8_0"},
                &err),
            0)
      << err;
  for (const char* f : {"model.gguf", "adapter.gguf", "adapter/adapter_config.json",
                        "adapter/adapter_model.safetensors", "loss.svg", "checkpoint.bin"}) {
    EXPECT_TRUE(fs::exists(P("o") + "/" + f)) << f;
  }
  ASSERT_EQ(Run({"generate", "-m", P("o/model.gguf"), "-p", "Once", "-n", "4"}, &err), 0) << err;
  ASSERT_EQ(Run({"generate", "-m", model, "--lora", P("o/adapter"), "-p", "Once", "-n", "4"}, &err), 0)
      << err;

  EXPECT_EQ(Run({"train", "-m", model, "--data", P("missing.txt"), "-o", P("x"), "--full"}, &err), 1);
  EXPECT_NE(err.find("missing.txt"), std::string::npos) << err;
  EXPECT_NE(err.find("sangam: error:"), std::string::npos) << err;
  EXPECT_EQ(Run({"train", "-m", model, "--data", P("t.txt"), "-o", P("x"), "--full",
                 "--lora-rank", "2"},
                &err),
            1);
  EXPECT_NE(err.find("exclusive"), std::string::npos) << err;
  EXPECT_EQ(Run({"train", "-m", model, "--data", P("t.txt"), "-o", P("x"), "--lora-rank", "2",
                 "--lora-targets", "q,zz"},
                &err),
            1);
  EXPECT_NE(err.find("zz"), std::string::npos) << err;
  EXPECT_EQ(Run({"train", "-m", model, "--data", P("t.txt"), "-o", P("x")}, &err), 1);
  EXPECT_NE(err.find("nothing to train"), std::string::npos) << err;
  EXPECT_EQ(Run({"train", "-m", model, "--data", P("t.txt"), "-o", P("x"), "--full",
                 "--ctx", "100000"},
                &err),
            1);
  EXPECT_FALSE(err.empty());
}

}  // namespace
}  // namespace sangam
