// sangam perplexity: llama.cpp's llama-perplexity method. The file is tokenized once (with BOS),
// cut into chunks of n_ctx tokens, each chunk's first token is replaced by BOS, and only the
// second half of each chunk is scored (every scored token sees at least n_ctx/2 of context).
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "sangam/log.h"
#include "sangam/file.h"
#include "sangam/thread_pool.h"

namespace sangam::cli {
namespace {

struct PerplexityOptions {
  ModelOptions m;
  std::string file;
  int64_t n_chunks = -1;
  bool json = false;
};

Status RunPerplexity(PerplexityOptions o) {
  RETURN_IF_ERROR(CheckFileExists(o.file, "text file (-f)"));
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(o.file));
  ASSIGN_OR_RETURN(auto model, LoadModel(o.m));
  const tokenizer::Tokenizer& tok = model->tokenizer();
  const int64_t n_ctx = o.m.ctx_size > 0 ? o.m.ctx_size : 512;
  if (n_ctx < 4) return InvalidArgumentError("perplexity: -c/--ctx-size must be at least 4");

  tokenizer::EncodeOptions eo;
  eo.add_bos = true;
  ASSIGN_OR_RETURN(std::vector<int32_t> tokens, tok.Encode(text, eo));
  if (static_cast<int64_t>(tokens.size()) < 2 * n_ctx) {
    return InvalidArgumentError(StrFormat(
        "perplexity: '%s' tokenizes to only %zu tokens; a context of %lld needs at least %lld "
        "(use a longer file or a smaller -c)",
        o.file.c_str(), tokens.size(), static_cast<long long>(n_ctx),
        static_cast<long long>(2 * n_ctx)));
  }
  ThreadPool pool(o.m.threads);
  ASSIGN_OR_RETURN(LoadedLoras loras, LoadLoras(o.m, *model));
  model::ContextOptions co;
  co.loras = loras.applied;
  co.n_ctx = n_ctx;
  co.n_batch = n_ctx;
  ASSIGN_OR_RETURN(auto ctx, model::Context::Create(*model, co));
  if (ctx->n_ctx() != n_ctx) {
    return InternalError(StrFormat("perplexity: asked for a context of %lld, got %lld",
                                   static_cast<long long>(n_ctx), static_cast<long long>(ctx->n_ctx())));
  }
  int64_t n_chunk = static_cast<int64_t>(tokens.size()) / n_ctx;
  if (o.n_chunks > 0) n_chunk = std::min(n_chunk, o.n_chunks);
  const int64_t first = n_ctx / 2;
  const int32_t n_vocab = tok.n_vocab();
  LOG_INFO("perplexity: %zu tokens, %lld chunks of %lld, scoring the last %lld of each",
               tokens.size(), static_cast<long long>(n_chunk), static_cast<long long>(n_ctx),
               static_cast<long long>(n_ctx - first - 1));

  ProgressBar bar("perplexity", n_chunk);
  const bool tty = StderrIsTty();
  const bool show = GetLogLevel() <= LogLevel::kInfo;  // running PPL is a diagnostic (-q hides it)
  double nll = 0.0, nll2 = 0.0;
  int64_t count = 0;
  std::vector<double> running;
  std::vector<model::BatchToken> batch(static_cast<size_t>(n_ctx));
  const double t0 = NowSeconds();
  for (int64_t c = 0; c < n_chunk; ++c) {
    const int64_t start = c * n_ctx;
    ctx->SeqClear(0);
    for (int64_t j = 0; j < n_ctx; ++j) {
      auto& bt = batch[static_cast<size_t>(j)];
      bt.token = tokens[static_cast<size_t>(start + j)];
      if (j == 0 && tok.bos() >= 0) bt.token = tok.bos();
      bt.pos = static_cast<int32_t>(j);
      bt.seq = 0;
      // Logits at position j predict token j+1; keep those of the scored half.
      bt.logits = j >= first && j < n_ctx - 1;
    }
    RETURN_IF_ERROR(ctx->Decode(pool, batch).WithPrefix(StrFormat("perplexity: chunk %lld", static_cast<long long>(c + 1))));
    for (int64_t j = first; j < n_ctx - 1; ++j) {
      const float* lg = ctx->Logits(static_cast<int>(j - first));
      const int32_t target = tokens[static_cast<size_t>(start + j + 1)];
      double max_l = lg[0];
      for (int32_t v = 1; v < n_vocab; ++v) max_l = std::max(max_l, static_cast<double>(lg[v]));
      double sum = 0.0;
      for (int32_t v = 0; v < n_vocab; ++v) sum += std::exp(static_cast<double>(lg[v]) - max_l);
      const double v = -(static_cast<double>(lg[target]) - max_l - std::log(sum));
      nll += v;
      nll2 += v * v;
      ++count;
    }
    const double ppl = std::exp(nll / static_cast<double>(count));
    running.push_back(ppl);
    if (tty) {
      bar.Update(c + 1, StrFormat("PPL %.4f", ppl));
    } else if (show) {
      std::fprintf(stderr, "[%lld]%.4f,", static_cast<long long>(c + 1), ppl);
      std::fflush(stderr);
    }
  }
  bar.Finish();
  if (!tty && show) std::fprintf(stderr, "\n");
  const double secs = NowSeconds() - t0;
  const double mean = nll / static_cast<double>(count);
  const double ppl = std::exp(mean);
  double var = nll2 / static_cast<double>(count) - mean * mean;
  double err = 0.0;
  if (var > 0 && count > 1) err = std::sqrt(var / static_cast<double>(count - 1)) * ppl;
  if (!std::isfinite(ppl)) {
    return InternalError("perplexity: the result is not finite (the model produced NaN/inf logits)");
  }
  if (o.json) {
    nlohmann::json j = {{"ppl", ppl},
                        {"ppl_error", err},
                        {"n_ctx", n_ctx},
                        {"n_chunks", n_chunk},
                        {"n_tokens", tokens.size()},
                        {"n_scored", count},
                        {"running_ppl", running},
                        {"seconds", secs}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("Final estimate: PPL = %.4f +/- %.5f\n", ppl, err);
  }
  return Status::Ok();
}

}  // namespace

Command RegisterPerplexity(CLI::App& root) {
  auto o = std::make_shared<PerplexityOptions>();
  CLI::App* cmd = root.add_subcommand(
      "perplexity", "perplexity of a text file (llama.cpp method: chunks of -c tokens, second half scored)");
  AddModelOptions(cmd, &o->m, {.lora = true});
  cmd->add_option("-f,--file", o->file, "text file to evaluate")->required();
  cmd->add_option("--chunks", o->n_chunks, "evaluate at most this many chunks (-1 = all)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "print the result as a JSON object");
  cmd->footer("-c/--ctx-size defaults to 512 here. Running PPL per chunk goes to stderr; "
              "the final estimate (PPL +/- standard error) to stdout.");
  return {cmd, [o] { return RunPerplexity(*o); }};
}

}  // namespace sangam::cli
