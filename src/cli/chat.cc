// sangam chat: an interactive conversation; the KV cache keeps the history, so each turn only
// evaluates the tokens that are new since the cached prefix.
#include <cstdio>
#include <iostream>
#include <string>

#include "cli/common.h"
#include "sangam/chat_template.h"
#include "sangam/log.h"
#include "sangam/sample.h"
#include "sangam/thread_pool.h"

namespace sangam::cli {
namespace {

struct ChatOptions {
  ModelOptions m;
  std::string system;
  int64_t n_predict = -1;
  sample::SamplerParams sampling;
  int64_t seed = -1;
};

Status RunChat(ChatOptions o) {
  RETURN_IF_ERROR(sample::ValidateParams(o.sampling));
  // Validate the template name before the (slower) model load.
  if (!o.m.chat_template.empty()) RETURN_IF_ERROR(sample::ChatTemplateFromName(o.m.chat_template).status());
  o.sampling.seed = ResolveSeed(o.seed);
  ASSIGN_OR_RETURN(auto model, LoadModel(o.m));
  const tokenizer::Tokenizer& tok = model->tokenizer();
  std::string note;
  ASSIGN_OR_RETURN(sample::ChatTemplate tmpl,
                   sample::ResolveChatTemplate(o.m.chat_template, tok.chat_template(), &note));
  if (!note.empty()) LOG_WARN("chat: %s", note.c_str());
  LOG_INFO("chat: template %s; type /exit or end input (Ctrl-D) to quit", sample::ChatTemplateName(tmpl));

  ThreadPool pool(o.m.threads);
  ASSIGN_OR_RETURN(LoadedLoras loras, LoadLoras(o.m, *model));
  model::ContextOptions co;
  co.loras = loras.applied;
  co.n_ctx = o.m.ctx_size;
  ASSIGN_OR_RETURN(auto ctx, model::Context::Create(*model, co));
  const int64_t n_ctx = ctx->n_ctx();
  sample::Sampler sampler(o.sampling);

  std::vector<sample::ChatMessage> messages;
  if (!o.system.empty()) messages.push_back({"system", o.system});
  std::vector<int32_t> cached;  // exactly the tokens in the KV cache of sequence 0
  const bool interactive = StdinIsTty();
  std::string line;
  while (true) {
    if (interactive) {
      std::fprintf(stderr, "> ");
      std::fflush(stderr);
    }
    if (!std::getline(std::cin, line)) break;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line == "/exit") break;
    if (line.empty()) continue;
    messages.push_back({"user", line});

    const std::string prompt = sample::RenderChat(tmpl, messages, /*add_generation_prompt=*/true);
    tokenizer::EncodeOptions eo;
    eo.add_bos = true;
    eo.parse_special = true;
    ASSIGN_OR_RETURN(std::vector<int32_t> tokens, tok.Encode(prompt, eo));
    if (static_cast<int64_t>(tokens.size()) >= n_ctx) {
      return OutOfRangeError(StrFormat(
          "chat: the conversation is %zu tokens but the context holds %lld (raise -c/--ctx-size)",
          tokens.size(), static_cast<long long>(n_ctx)));
    }
    // Reuse the longest cached prefix; at least one token must be evaluated to get logits.
    size_t common = 0;
    while (common < cached.size() && common < tokens.size() && cached[common] == tokens[common]) ++common;
    if (common == tokens.size()) --common;
    ctx->SeqTruncate(0, static_cast<int64_t>(common));
    cached.resize(common);
    const std::span<const int32_t> fresh(tokens.data() + common, tokens.size() - common);
    LOG_DEBUG("chat: turn %zu: reused %zu cached tokens, evaluating %zu new", messages.size(), common,
              fresh.size());
    ASSIGN_OR_RETURN(const float* logits, ctx->Eval(pool, fresh));
    cached.insert(cached.end(), fresh.begin(), fresh.end());
    for (int32_t t : fresh) sampler.Accept(t);

    std::vector<int32_t> reply;
    tokenizer::StreamDecoder stream(tok, {.render_special = false, .strip_leading_space = true});
    bool at_start = true;
    while (o.n_predict < 0 || static_cast<int64_t>(reply.size()) < o.n_predict) {
      const int32_t id = sampler.Sample(logits, tok.n_vocab());
      if (tok.IsEog(id)) break;
      sampler.Accept(id);
      reply.push_back(id);
      std::string out = stream.Push(id);
      if (at_start) {  // the reply's leading whitespace is formatting, not content
        const size_t k = out.find_first_not_of(" \n");
        out.erase(0, k == std::string::npos ? out.size() : k);
        at_start = out.empty();
      }
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
      if (ctx->SeqLength(0) + 1 >= n_ctx) {
        LOG_WARN("chat: context full (%lld tokens); reply truncated", static_cast<long long>(n_ctx));
        break;
      }
      const int32_t next[1] = {id};
      ASSIGN_OR_RETURN(logits, ctx->Eval(pool, next));
      cached.push_back(id);
    }
    const std::string rest = stream.Flush();
    std::fwrite(rest.data(), 1, rest.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
    messages.push_back({"assistant", tok.Decode(reply)});
  }
  return Status::Ok();
}

}  // namespace

Command RegisterChat(CLI::App& root) {
  auto o = std::make_shared<ChatOptions>();
  CLI::App* cmd = root.add_subcommand(
      "chat", "interactive chat: reads user lines from stdin, streams replies ('/exit' or EOF ends)");
  AddModelOptions(cmd, &o->m, {.ctx = true, .chat_template = true, .lora = true});
  cmd->add_option("--system", o->system, "system prompt");
  cmd->add_option("-n,--n-predict", o->n_predict, "max tokens per reply (-1 = until end of turn)")
      ->check(CLI::Range(int64_t{-1}, int64_t{1} << 30))
      ->capture_default_str();
  AddSamplingOptions(cmd, &o->sampling, &o->seed);
  cmd->footer("Sampling defaults follow llama.cpp (temp 0.8, top-k 40, top-p 0.95, min-p 0.05); "
              "--temp 0 for greedy replies.");
  return {cmd, [o] { return RunChat(*o); }};
}

}  // namespace sangam::cli
