// sangam generate: complete a prompt, streaming text to stdout (or one JSON object with --json).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "sangam/file.h"
#include "sangam/log.h"
#include "sangam/sample.h"
#include "sangam/thread_pool.h"

namespace sangam::cli {
namespace {

struct GenerateOptions {
  ModelOptions m;
  std::string prompt;
  std::string prompt_file;
  int64_t n_predict = 128;
  sample::SamplerParams sampling;
  int64_t seed = -1;
  bool json = false;
  bool no_bos = false;
  bool special = false;
};

Status RunGenerate(GenerateOptions o) {
  RETURN_IF_ERROR(sample::ValidateParams(o.sampling));
  if (!o.prompt_file.empty()) {
    RETURN_IF_ERROR(CheckFileExists(o.prompt_file, "prompt file (-f)"));
    ASSIGN_OR_RETURN(o.prompt, ReadFileToString(o.prompt_file));
  }
  o.sampling.seed = ResolveSeed(o.seed);
  ASSIGN_OR_RETURN(auto model, LoadModel(o.m));
  const tokenizer::Tokenizer& tok = model->tokenizer();
  ThreadPool pool(o.m.threads);
  ASSIGN_OR_RETURN(LoadedLoras loras, LoadLoras(o.m, *model));
  model::ContextOptions co;
  co.loras = loras.applied;
  co.n_ctx = o.m.ctx_size;
  ASSIGN_OR_RETURN(auto ctx, model::Context::Create(*model, co));

  tokenizer::EncodeOptions eo;
  eo.add_bos = !o.no_bos;
  eo.parse_special = o.special;
  ASSIGN_OR_RETURN(std::vector<int32_t> prompt, tok.Encode(o.prompt, eo));
  if (prompt.empty()) {
    if (tok.bos() < 0) {
      return InvalidArgumentError("generate: empty prompt and the vocabulary has no BOS token to start from");
    }
    prompt.push_back(tok.bos());
  }
  const int64_t n_ctx = ctx->n_ctx();
  if (static_cast<int64_t>(prompt.size()) >= n_ctx) {
    return OutOfRangeError(StrFormat(
        "generate: the prompt is %zu tokens but the context holds %lld (raise -c/--ctx-size)",
        prompt.size(), static_cast<long long>(n_ctx)));
  }
  // From BOS alone the first token starts the text: SentencePiece's word-start space is dropped.
  const bool only_bos = prompt.size() == 1 && prompt[0] == tok.bos();

  sample::Sampler sampler(o.sampling);
  for (int32_t t : prompt) sampler.Accept(t);

  if (!o.json) {
    std::fwrite(o.prompt.data(), 1, o.prompt.size(), stdout);
    std::fflush(stdout);
  }
  const double t0 = NowSeconds();
  ASSIGN_OR_RETURN(const float* logits, ctx->Eval(pool, prompt));
  const double t1 = NowSeconds();

  std::vector<int32_t> generated;
  std::string text;
  tokenizer::StreamDecoder stream(tok, {.render_special = false, .strip_leading_space = only_bos});
  bool hit_ctx = false;
  std::string stop_reason = "length";
  const int32_t n_vocab = tok.n_vocab();
  while (o.n_predict < 0 || static_cast<int64_t>(generated.size()) < o.n_predict) {
    const int32_t id = sampler.Sample(logits, n_vocab);
    if (tok.IsEog(id)) {
      stop_reason = "eog";
      break;
    }
    sampler.Accept(id);
    generated.push_back(id);
    const std::string out = stream.Push(id);
    text += out;
    if (!o.json) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
    }
    if (o.n_predict >= 0 && static_cast<int64_t>(generated.size()) >= o.n_predict) break;
    if (ctx->SeqLength(0) >= n_ctx) {
      hit_ctx = true;
      stop_reason = "context";
      break;
    }
    const int32_t next[1] = {id};
    ASSIGN_OR_RETURN(logits, ctx->Eval(pool, next));
  }
  const double t2 = NowSeconds();
  const std::string rest = stream.Flush();
  text += rest;
  if (hit_ctx) LOG_WARN("generate: stopped at the end of the context (%lld tokens)", static_cast<long long>(n_ctx));

  const double prompt_tps = (t1 > t0) ? prompt.size() / (t1 - t0) : 0.0;
  const double gen_tps = (t2 > t1 && !generated.empty()) ? generated.size() / (t2 - t1) : 0.0;
  if (o.json) {
    nlohmann::json j;
    j["prompt"] = o.prompt;
    j["text"] = text;
    j["tokens"] = generated;
    j["prompt_tokens"] = prompt;
    j["n_prompt"] = prompt.size();
    j["n_generated"] = generated.size();
    j["seed"] = o.sampling.seed;
    j["stop_reason"] = stop_reason;  // "eog" (end of text), "length" (-n reached), "context" (full)
    j["timings"] = {{"prompt_s", t1 - t0},
                    {"generation_s", t2 - t1},
                    {"prompt_tokens_per_s", prompt_tps},
                    {"generation_tokens_per_s", gen_tps}};
    // Invalid UTF-8 (a model may emit partial byte sequences) is replaced rather than thrown on.
    const std::string s = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    std::printf("%s\n", s.c_str());
  } else {
    std::fwrite(rest.data(), 1, rest.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    LOG_INFO("generate: prompt %zu tokens (%.1f tok/s), generated %zu tokens (%.1f tok/s)",
                 prompt.size(), prompt_tps, generated.size(), gen_tps);
  }
  return Status::Ok();
}

}  // namespace

Command RegisterGenerate(CLI::App& root) {
  auto o = std::make_shared<GenerateOptions>();
  // Greedy by default so a plain run is reproducible; pass --temp 0.8 for llama.cpp-style sampling
  // (top-k 40, top-p 0.95, min-p 0.05 apply only when temp > 0).
  o->sampling.temperature = 0.0f;
  CLI::App* cmd = root.add_subcommand("generate", "complete a prompt and stream the text to stdout");
  AddModelOptions(cmd, &o->m, {.lora = true});
  auto* prompt = cmd->add_option("-p,--prompt", o->prompt, "prompt text (empty = start from BOS)");
  cmd->add_option("-f,--file", o->prompt_file, "read the prompt from a file")->excludes(prompt);
  cmd->add_option("-n,--n-predict", o->n_predict, "tokens to generate (-1 = until end of text or context)")
      ->check(CLI::Range(int64_t{-1}, int64_t{1} << 30))
      ->capture_default_str();
  AddSamplingOptions(cmd, &o->sampling, &o->seed);
  cmd->add_flag("--json", o->json, "print one JSON object (text, token ids, timings) instead of streaming");
  cmd->add_flag("--no-bos", o->no_bos, "do not add the BOS token before the prompt");
  cmd->add_flag("--special", o->special, "parse special-token text (e.g. <|eot_id|>) in the prompt");
  cmd->footer(
      "Defaults: greedy decoding (--temp 0). With --temp > 0 the llama.cpp chain applies: "
      "penalties -> top-k -> top-p -> min-p -> temperature -> draw.");
  return {cmd, [o] { return RunGenerate(*o); }};
}

}  // namespace sangam::cli
