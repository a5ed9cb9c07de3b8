// sangam adapt: make a model speak a new language (tokenizer, vocabulary extension, staged
// training, before/after evaluation, model card). See include/sangam/adapt.h.
#include <cstdio>

#include "cli/common.h"
#include "sangam/adapt.h"
#include "sangam/log.h"
#include "sangam/thread_pool.h"

namespace sangam::cli {
namespace {

struct AdaptCliOptions {
  adapt::AdaptOptions a;
  std::string targets = "all";
  int threads = 0;
};

Status RunAdaptCli(AdaptCliOptions o) {
  ASSIGN_OR_RETURN(o.a.lora_targets, model::ParseLoraTargets(o.targets));
  ThreadPool pool(o.threads);
  std::unique_ptr<ProgressBar> bar;
  adapt::AdaptCallbacks cb;
  const bool tty = StderrIsTty();
  double last_log = -1;
  cb.on_stage = [&](int i, int n, const std::string& name) {
    if (bar) bar->Finish();
    bar.reset();
    LOG_INFO("adapt: stage %d/%d: %s", i, n, name.c_str());
  };
  cb.on_message = [&](const std::string& m) {
    if (bar) bar->Finish();
    LOG_INFO("adapt: %s", m.c_str());
  };
  cb.on_step = [&](const train::StepInfo& s) {
    if (!bar) bar = std::make_unique<ProgressBar>("train", s.total_steps);
    std::string extra = StrFormat("loss %.4f %.0f tok/s", s.loss, s.tokens_per_s);
    if (s.val_loss >= 0) extra += StrFormat(" val %.4f", s.val_loss);
    if (tty) {
      bar->Update(s.step + 1, extra);
    } else if (last_log < 0 || NowSeconds() - last_log > 10 || s.step + 1 == s.total_steps) {
      LOG_INFO("adapt: step %lld/%lld %s", static_cast<long long>(s.step + 1),
               static_cast<long long>(s.total_steps), extra.c_str());
      last_log = NowSeconds();
    }
  };
  ASSIGN_OR_RETURN(adapt::AdaptResult r, adapt::RunAdaptation(o.a, pool, cb));
  if (bar) bar->Finish();
  std::printf("%s\n", adapt::RenderMarkdown(r.report).c_str());
  LOG_INFO("adapt: model %s, adapter %s (+ PEFT %s), card %s, chart %s", r.model.c_str(),
           r.adapter.c_str(), r.peft_dir.c_str(), r.card.c_str(), r.eval_chart.c_str());
  return Status::Ok();
}

}  // namespace

Command RegisterAdapt(CLI::App& root) {
  auto o = std::make_shared<AdaptCliOptions>();
  o->threads = PhysicalCoreCount();
  adapt::AdaptOptions& a = o->a;
  CLI::App* cmd = root.add_subcommand(
      "adapt",
      "make a model speak a new language: train a tokenizer, extend the vocabulary, train the new "
      "rows then LoRA, evaluate before/after, write the merged model, adapter and model card "
      "(resumable: rerun the same command)");
  cmd->add_option("-m,--model", a.base_model, "base model (GGUF)")->required();
  cmd->add_option("--lang", a.lang, "target language: ISO code (hi, ta, sat, ...) or FLORES code")->required();
  cmd->add_option("--corpus", a.corpus, "target-language training text (one segment per line)")
      ->required()->expected(1, -1);
  cmd->add_option("--heldout", a.heldout, "held-out target text (default: every 20th corpus line)")
      ->expected(1, -1);
  cmd->add_option("--english", a.english, "English text mixed into stage 2 (limits forgetting)")
      ->expected(1, -1);
  cmd->add_option("--english-heldout", a.english_heldout, "English held-out text for the forgetting check")
      ->expected(1, -1);
  cmd->add_option("-o,--output", a.out_dir, "output directory")->required();
  cmd->add_option("--tokenizer-type", a.tokenizer_type, "unigram or bpe")->capture_default_str();
  cmd->add_option("--vocab-size", a.vocab_size, "pieces of the new tokenizer")->capture_default_str();
  cmd->add_option("--max-new", a.max_new, "add at most this many tokens (0 = all new pieces)")->capture_default_str();
  cmd->add_option("--ctx", a.ctx, "training window")->check(CLI::Range(8, 1 << 16))->capture_default_str();
  cmd->add_option("--batch", a.batch, "windows per step")->check(CLI::Range(1, 1 << 12))->capture_default_str();
  cmd->add_option("--stage1-steps", a.stage1_steps, "steps training only the new rows")->capture_default_str();
  cmd->add_option("--stage1-lr", a.stage1_lr, "stage 1 learning rate")->capture_default_str();
  cmd->add_option("--stage2-steps", a.stage2_steps, "steps of LoRA + new rows")->capture_default_str();
  cmd->add_option("--stage2-lr", a.stage2_lr, "stage 2 learning rate")->capture_default_str();
  cmd->add_option("--lora-rank", a.lora_rank, "LoRA rank")->check(CLI::Range(int64_t{1}, int64_t{4096}))->capture_default_str();
  cmd->add_option("--lora-alpha", a.lora_alpha, "LoRA alpha")->capture_default_str();
  cmd->add_option("--lora-targets", o->targets, "q,k,v,o,gate,up,down or all")->capture_default_str();
  cmd->add_option("--seed", a.seed, "seed")->capture_default_str();
  cmd->add_option("--max-eval-lines", a.max_eval_lines, "held-out lines per language to score")->capture_default_str();
  cmd->add_option("--replay-tokens", a.replay_tokens, "tokens sampled from the base model and mixed into stage 2 against forgetting (0 = none)")->capture_default_str();
  cmd->add_option("--forgetting-budget", a.forgetting_budget_pct, "percent of bits/char the base language may lose (on the base model's own held-out samples); the LoRA update is scaled down until it fits (0 = keep all)")->capture_default_str();
  cmd->add_flag("--restart", a.restart, "ignore an interrupted run in the output directory");
  cmd->add_option("-t,--threads", o->threads, "threads")->check(CLI::Range(1, 1024))->capture_default_str();
  return {cmd, [o] { return RunAdaptCli(*o); }};
}

}  // namespace sangam::cli
