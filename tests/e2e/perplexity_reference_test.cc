// Checks `sangam perplexity` against an independent re-implementation of llama-perplexity's
// procedure written here with token-by-token decoding (the CLI decodes each chunk as one batch).
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "sangam/file.h"
#include "sangam/model.h"
#include "test_util.h"

namespace sangam {
namespace {

using ::sangam::testing::SharedPath;

std::string RunStdout(const std::string& cmd, int* exit_code) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = pclose(p);
  *exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

TEST(PerplexityReferenceTest, MatchesSequentialComputation) {
  SANGAM_REQUIRE_SHARED("data/models/stories260K.gguf");
  const std::string model_path = SharedPath("data/models/stories260K.gguf");
  const std::string text_path = SharedPath("data/models/expected/stories260K.greedy.n256.txt");
  const int64_t n_ctx = 48;

  auto model = model::Model::Load(model_path);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const auto& tok = (*model)->tokenizer();
  auto text = ReadFileToString(text_path);
  ASSERT_TRUE(text.ok());
  auto tokens = tok.Encode(*text, {});
  ASSERT_TRUE(tokens.ok());
  ASSERT_GE(static_cast<int64_t>(tokens->size()), 2 * n_ctx);

  // llama-perplexity: chunks of n_ctx tokens, first token of each replaced by BOS, tokens
  // first+1 .. n_ctx-1 scored from the logits at first .. n_ctx-2, first = n_ctx / 2.
  ThreadPool pool(1);
  model::ContextOptions co;
  co.n_ctx = n_ctx;
  auto ctx = model::Context::Create(**model, co);
  ASSERT_TRUE(ctx.ok()) << ctx.status().ToString();
  const int64_t n_chunk = static_cast<int64_t>(tokens->size()) / n_ctx;
  const int64_t first = n_ctx / 2;
  double nll = 0;
  int64_t count = 0;
  for (int64_t c = 0; c < n_chunk; ++c) {
    (*ctx)->SeqClear(0);
    for (int64_t j = 0; j < n_ctx - 1; ++j) {
      const int32_t t = j == 0 ? tok.bos() : (*tokens)[c * n_ctx + j];
      auto logits = (*ctx)->Eval(pool, std::span<const int32_t>(&t, 1));
      ASSERT_TRUE(logits.ok()) << logits.status().ToString();
      if (j < first) continue;
      const float* lg = *logits;
      double mx = lg[0], sum = 0;
      for (int v = 1; v < tok.n_vocab(); ++v) mx = std::max(mx, double(lg[v]));
      for (int v = 0; v < tok.n_vocab(); ++v) sum += std::exp(lg[v] - mx);
      nll -= lg[(*tokens)[c * n_ctx + j + 1]] - mx - std::log(sum);
      ++count;
    }
  }
  const double expected = std::exp(nll / count);

  int rc = -1;
  const std::string out = RunStdout(std::string("'") + SANGAM_BINARY + "' perplexity -q --json -t 1 -m '" +
                                        model_path + "' -f '" + text_path + "' -c " + std::to_string(n_ctx),
                                    &rc);
  ASSERT_EQ(rc, 0) << out;
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["n_chunks"].get<int64_t>(), n_chunk);
  EXPECT_EQ(j["n_scored"].get<int64_t>(), count);
  EXPECT_NEAR(j["ppl"].get<double>(), expected, 1e-3 * expected);
}

}  // namespace
}  // namespace sangam
