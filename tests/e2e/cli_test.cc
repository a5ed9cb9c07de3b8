// Black-box tests of the built `sangam` binary: exit codes, stdout/stderr contents, and outputs
// compared with independent references (llama2.c / llama.cpp outputs in ../shared).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"
#include "e2e_util.h"

namespace sangam {
namespace {

namespace fs = std::filesystem;
using e2e::Quote;
using e2e::ReadAll;
using e2e::RunResult;
using ::sangam::testing::SharedPath;

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sangam_e2e_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Runs `sangam args...` with stdin from `input` (may be empty).
  RunResult Run(const std::vector<std::string>& args, const std::string& input = "") {
    return e2e::RunSangam(dir_, args, input);
  }

  std::string Tmp(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

const char* kStoriesGguf = "data/models/stories260K.gguf";
const char* kStoriesBin = "data/models/stories260K.bin";
const char* kTok512 = "data/models/tok512.bin";

// Every error is one line "sangam: error: ..." on stderr and a non-zero exit.
void ExpectCleanError(const RunResult& r, const std::string& must_mention) {
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("sangam: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(must_mention), std::string::npos) << "stderr: " << r.err;
}

TEST_F(CliTest, TopLevelHelpListsAllCommands) {
  auto r = Run({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  for (const char* c : {"generate", "chat", "tokenize", "perplexity", "bench", "info", "init", "quantize"}) {
    EXPECT_NE(r.out.find(c), std::string::npos) << c << "\n" << r.out;
  }
  auto none = Run({});
  EXPECT_NE(none.exit_code, 0);
}

TEST_F(CliTest, EveryCommandHelpMentionsItsOptions) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"generate", {"--model", "--prompt", "--n-predict", "--temp", "--top-k", "--top-p", "--min-p",
                    "--repeat-penalty", "--repeat-last-n", "--frequency-penalty", "--presence-penalty",
                    "--seed", "--json", "--no-bos", "--threads", "--ctx-size", "--tokenizer"}},
      {"chat", {"--model", "--system", "--chat-template", "--temp", "--seed", "--threads"}},
      {"tokenize", {"--model", "--no-bos", "--count", "--special", "--file"}},
      {"perplexity", {"--model", "--file", "--ctx-size", "--json"}},
      {"bench", {"--model", "--n-prompt", "--n-gen", "--threads", "--repetitions", "--json", "--machine"}},
      {"info", {"--model", "--json"}},
      {"init", {"--output", "--arch", "--dim", "--layers", "--heads", "--kv-heads", "--ffn", "--ctx",
                "--vocab-from", "--type", "--seed", "--tied"}},
      {"quantize", {"input", "output", "type"}},
  };
  for (const auto& [cmd, opts] : cases) {
    auto r = Run({cmd, "--help"});
    EXPECT_EQ(r.exit_code, 0) << cmd << ": " << r.err;
    for (const auto& o : opts) EXPECT_NE(r.out.find(o), std::string::npos) << cmd << " lacks " << o;
  }
}

TEST_F(CliTest, GenerateGreedyFromBosMatchesReference) {
  SANGAM_REQUIRE_SHARED(kStoriesGguf);
  // The reference file is the generated text followed by one newline (as the CLI prints it).
  const std::string expected = ReadAll(SharedPath("data/models/expected/stories260K.greedy.n256.txt"));
  auto r = Run({"generate", "-m", SharedPath(kStoriesGguf), "-n", "256", "--temp", "0", "-t", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, expected);
  // Greedy is also the default.
  auto d = Run({"generate", "-m", SharedPath(kStoriesGguf), "-n", "256", "-p", ""});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_EQ(d.out, expected);
}

TEST_F(CliTest, GenerateFromLlama2cCheckpointMatchesReference) {
  SANGAM_REQUIRE_SHARED(kStoriesBin);
  const std::string expected = ReadAll(SharedPath("data/models/expected/stories260K.greedy.n256.txt"));
  auto r = Run({"generate", "-m", SharedPath(kStoriesBin), "--tokenizer", SharedPath(kTok512), "-n", "256",
                "--temp", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, expected);
}

TEST_F(CliTest, GeneratePromptContinuationAndJsonIds) {
  SANGAM_REQUIRE_SHARED(kStoriesGguf);
  const std::string expected = ReadAll(SharedPath("data/models/expected/stories260K.greedy.lily_and_tom.n64.txt"));
  // The reference was made with llama2.c, whose "-n 64" counts all 64 positions after BOS: the 4
  // prompt tokens (317 269 274 287, see the .ids.txt file) plus 60 generated ones.
  auto r = Run({"generate", "-m", SharedPath(kStoriesGguf), "-p", "Lily and Tom", "-n", "60"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, expected);

  auto j = Run({"generate", "-m", SharedPath(kStoriesGguf), "-n", "256", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto parsed = nlohmann::json::parse(j.out);
  std::vector<int32_t> expected_ids;
  std::istringstream ids(ReadAll(SharedPath("data/models/expected/stories260K.greedy.n256.ids.txt")));
  for (int32_t v; ids >> v;) expected_ids.push_back(v);
  EXPECT_EQ(parsed["tokens"].get<std::vector<int32_t>>(), expected_ids);
  EXPECT_EQ(parsed["n_generated"].get<int>(), 256);
  EXPECT_EQ(parsed["n_prompt"].get<int>(), 1);
  EXPECT_TRUE(parsed["timings"].contains("prompt_tokens_per_s"));
  EXPECT_TRUE(parsed["timings"].contains("generation_tokens_per_s"));
  std::string text = ReadAll(SharedPath("data/models/expected/stories260K.greedy.n256.txt"));
  text.pop_back();  // the trailing newline the CLI adds
  EXPECT_EQ(parsed["text"].get<std::string>(), text);
}

TEST_F(CliTest, GenerateWithLlama2VocabularyAndSampling) {
  SANGAM_REQUIRE_SHARED("data/models/llama-2-tiny-random.gguf");
  auto r = Run({"generate", "-m", SharedPath("data/models/llama-2-tiny-random.gguf"), "-p", "The capital of",
                "-n", "12", "--temp", "0.7", "--top-k", "20", "--repeat-penalty", "1.1", "--seed", "3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_LE(j["n_generated"].get<int>(), 12);
  const std::string reason = j["stop_reason"].get<std::string>();
  EXPECT_TRUE(reason == "length" || reason == "eog") << reason;
  if (reason == "length") {
    EXPECT_EQ(j["n_generated"].get<int>(), 12);
  }
  for (int id : j["tokens"].get<std::vector<int>>()) {
    EXPECT_GE(id, 0);
    EXPECT_LT(id, 32000);
  }
}

TEST_F(CliTest, SeededSamplingIsReproducible) {
  SANGAM_REQUIRE_SHARED(kStoriesGguf);
  std::vector<std::string> args = {"generate", "-m", SharedPath(kStoriesGguf), "-n", "40", "--temp", "1.0",
                                   "--seed", "42", "--json"};
  auto a = Run(args), b = Run(args);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(nlohmann::json::parse(a.out)["tokens"], nlohmann::json::parse(b.out)["tokens"]);
}

TEST_F(CliTest, TokenizeMatchesReferenceVectors) {
  SANGAM_REQUIRE_SHARED(kStoriesGguf);
  // tok512.encode-vectors.tsv: text \t ids (with BOS), produced by llama2.c / llama.cpp.
  std::istringstream tsv(ReadAll(SharedPath("data/models/expected/tok512.encode-vectors.tsv")));
  std::string line;
  int n = 0;
  while (std::getline(tsv, line)) {
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) continue;
    auto r = Run({"tokenize", "-m", SharedPath(kStoriesGguf), line.substr(0, tab)});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, line.substr(tab + 1) + "\n") << line;
    ++n;
  }
  EXPECT_GE(n, 5);
  auto c = Run({"tokenize", "-m", SharedPath(kStoriesGguf), "--count", "Once upon a time"});
  EXPECT_EQ(c.out, "5\n");
  auto nb = Run({"tokenize", "-m", SharedPath(kStoriesGguf), "--no-bos", "Once upon a time"});
  EXPECT_EQ(nb.out, "403 407 261 378\n");
}

TEST_F(CliTest, PerplexityPrintsFiniteEstimate) {
  SANGAM_REQUIRE_SHARED(kStoriesGguf);
  auto r = Run({"perplexity", "-m", SharedPath(kStoriesGguf), "-f",
                SharedPath("data/models/expected/stories260K.greedy.n256.txt"), "-c", "64"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string key = "Final estimate: PPL = ";
  const size_t at = r.out.find(key);
  ASSERT_NE(at, std::string::npos) << r.out;
  const double ppl = std::atof(r.out.c_str() + at + key.size());
  EXPECT_TRUE(std::isfinite(ppl));
  EXPECT_GT(ppl, 1.0);
  // The model's own greedy output is very predictable for it: far below the vocabulary size.
  EXPECT_LT(ppl, 50.0);
  EXPECT_NE(r.err.find("[1]"), std::string::npos) << r.err;
  auto j = Run({"perplexity", "-m", SharedPath(kStoriesGguf), "-f",
                SharedPath("data/models/expected/stories260K.greedy.n256.txt"), "-c", "64", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  EXPECT_NEAR(nlohmann::json::parse(j.out)["ppl"].get<double>(), ppl, 1e-3 * ppl);
  auto short_file = Run({"perplexity", "-m", SharedPath(kStoriesGguf), "-f",
                         SharedPath("data/models/expected/stories260K.greedy.n256.txt"), "-c", "4096"});
  ExpectCleanError(short_file, "tokens");
}

TEST_F(CliTest, BenchJsonHasFields) {
  SANGAM_REQUIRE_SHARED(kStoriesGguf);
  auto r = Run({"bench", "-m", SharedPath(kStoriesGguf), "-p", "16", "-n", "4", "-r", "1", "-t", "1", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_TRUE(j.is_array());
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["test"], "pp16");
  EXPECT_EQ(j[1]["test"], "tg4");
  for (const auto& e : j) {
    for (const char* k : {"tokens_per_s", "roofline_share", "n_threads", "model_type", "model_size"}) {
      EXPECT_TRUE(e.contains(k)) << k;
    }
    EXPECT_GT(e["tokens_per_s"].get<double>(), 0.0);
    EXPECT_EQ(e["n_threads"].get<int>(), 1);
    EXPECT_GT(e["model_size"].get<int64_t>(), 0);
  }
}

TEST_F(CliTest, InfoShowsMetadataAndTensors) {
  SANGAM_REQUIRE_SHARED(kStoriesGguf);
  auto r = Run({"info", SharedPath(kStoriesGguf)});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("general.architecture"), std::string::npos);
  EXPECT_NE(r.out.find("token_embd.weight"), std::string::npos);
  EXPECT_NE(r.out.find("tokenizer.ggml.tokens"), std::string::npos);
  EXPECT_NE(r.out.find("..."), std::string::npos);  // the 512-entry vocabulary is abbreviated
  EXPECT_LT(r.out.size(), 20000u);
  auto j = Run({"info", "-m", SharedPath(kStoriesGguf), "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto parsed = nlohmann::json::parse(j.out);
  EXPECT_GT(parsed["n_params"].get<int64_t>(), 200000);
  EXPECT_LT(parsed["n_params"].get<int64_t>(), 320000);
}

TEST_F(CliTest, ChatReadsStdinUntilExit) {
  SANGAM_REQUIRE_SHARED(kStoriesGguf);
  auto r = Run({"chat", "-m", SharedPath(kStoriesGguf), "--temp", "0", "-n", "16", "--chat-template", "llama2"},
               "Once upon a time\nTell me more\n/exit\nthis line is never read\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Two replies, each ending in a newline.
  EXPECT_GE(std::count(r.out.begin(), r.out.end(), '\n'), 2) << r.out;
  // The second turn reuses the KV cache of the first (only the new tokens are evaluated).
  auto v = Run({"chat", "-m", SharedPath(kStoriesGguf), "--temp", "0", "-n", "8", "--chat-template", "llama2",
                "--verbose"},
               "Once upon a time\nTell me more\n");
  ASSERT_EQ(v.exit_code, 0) << v.err;
  const size_t t2 = v.err.find("turn 3: reused ");
  ASSERT_NE(t2, std::string::npos) << v.err;
  EXPECT_GT(std::atoi(v.err.c_str() + t2 + std::string("turn 3: reused ").size()), 10) << v.err;
  auto eof = Run({"chat", "-m", SharedPath(kStoriesGguf), "--temp", "0", "-n", "4"}, "Hi\n");
  EXPECT_EQ(eof.exit_code, 0) << eof.err;
}

TEST_F(CliTest, MalformedInputsFailCleanly) {
  SANGAM_REQUIRE_SHARED(kStoriesGguf);
  ExpectCleanError(Run({"generate", "-m", Tmp("does-not-exist.gguf"), "-n", "4"}), "does-not-exist.gguf");

  // A truncated copy of a real GGUF.
  const std::string full = ReadAll(SharedPath(kStoriesGguf));
  for (size_t keep : {size_t{3}, size_t{100}, full.size() / 2}) {
    const std::string path = Tmp("truncated.gguf");
    std::ofstream(path, std::ios::binary).write(full.data(), static_cast<std::streamsize>(keep));
    auto r = Run({"generate", "-m", path, "-n", "4"});
    ExpectCleanError(r, "");
    auto info = Run({"info", path});
    EXPECT_NE(info.exit_code, 0) << "truncated to " << keep;
  }

  ExpectCleanError(Run({"chat", "-m", SharedPath(kStoriesGguf), "--chat-template", "nonsense"}, "hi\n"),
                   "--chat-template");
  auto tmpl = Run({"chat", "-m", SharedPath(kStoriesGguf), "--chat-template", "nonsense"}, "hi\n");
  EXPECT_NE(tmpl.err.find("chatml"), std::string::npos) << tmpl.err;  // lists the valid names

  ExpectCleanError(Run({"quantize", SharedPath(kStoriesGguf), Tmp("q.gguf"), "q9_9"}), "q9_9");
  EXPECT_FALSE(fs::exists(Tmp("q.gguf")));

  std::string long_prompt;
  for (int i = 0; i < 50; ++i) long_prompt += "Once upon a time ";
  ExpectCleanError(Run({"generate", "-m", SharedPath(kStoriesGguf), "-c", "16", "-p", long_prompt}), "context");

  ExpectCleanError(Run({"generate", "-m", SharedPath(kStoriesGguf), "--temp", "-1"}), "temperature");
  ExpectCleanError(Run({"generate", "-m", SharedPath(kStoriesGguf), "--top-p", "2"}), "top-p");
  ExpectCleanError(Run({"generate", "-m", SharedPath(kStoriesGguf), "-n", "abc"}), "n-predict");
  ExpectCleanError(Run({"generate", "-m", SharedPath(kStoriesGguf), "-t", "0"}), "threads");
  ExpectCleanError(Run({"generate", "-m", SharedPath(kStoriesGguf), "--no-such-flag"}), "no-such-flag");
  ExpectCleanError(Run({"frobnicate"}), "frobnicate");
  ExpectCleanError(Run({"generate"}), "model");
  // Errors are a single line.
  auto one = Run({"generate", "-m", Tmp("missing.gguf")});
  EXPECT_EQ(std::count(one.err.begin(), one.err.end(), '\n'), 1) << one.err;
}

TEST_F(CliTest, InitQuantizeInfoGeneratePipeline) {
  SANGAM_REQUIRE_SHARED(kTok512);
  const std::string f32 = Tmp("tiny.gguf"), q8 = Tmp("tiny-q8.gguf");
  auto init = Run({"init", "-o", f32, "--dim", "64", "--layers", "2", "--heads", "4", "--kv-heads", "2",
                   "--ffn", "128", "--ctx", "128", "--vocab-from", SharedPath(kTok512), "--seed", "7"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  ASSERT_TRUE(fs::exists(f32));
  auto q = Run({"quantize", f32, q8, "q8_0"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  auto info = Run({"info", q8});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_NE(info.out.find("Q8_0"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("blk.1."), std::string::npos);
  EXPECT_EQ(info.out.find("blk.2."), std::string::npos);
  for (const auto& m : {f32, q8}) {
    auto g = Run({"generate", "-m", m, "-p", "Once upon", "-n", "8", "--json"});
    ASSERT_EQ(g.exit_code, 0) << g.err;
    auto j = nlohmann::json::parse(g.out);
    EXPECT_LE(j["n_generated"].get<int>(), 8);
    for (int id : j["tokens"].get<std::vector<int>>()) {
      EXPECT_GE(id, 0);
      EXPECT_LT(id, 512);
    }
  }
  // Byte-level vocabulary and a bad --arch.
  auto bytes = Run({"init", "-o", Tmp("b.gguf"), "--dim", "32", "--layers", "1", "--heads", "2", "--kv-heads",
                    "1", "--ffn", "64", "--ctx", "64", "--vocab-from", "bytes", "--type", "f16"});
  EXPECT_EQ(bytes.exit_code, 0) << bytes.err;
  ExpectCleanError(Run({"init", "-o", Tmp("x.gguf"), "--arch", "gpt9"}), "gpt9");
}

}  // namespace
}  // namespace sangam
