// sangam train: train from scratch, fine-tune fully, or train LoRA adapters (also on quantized
// bases) on text or chat data, with checkpoints, resume and exports.
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "cli/common.h"
#include "sangam/log.h"
#include "sangam/lora.h"
#include "sangam/thread_pool.h"
#include "sangam/trainer.h"

namespace sangam::cli {
namespace {

struct TrainCliOptions {
  ModelOptions model;
  train::TrainOptions t;
  float lr = 1e-3f;
  float min_lr = 0.0f;
  int64_t warmup = 0;
  std::string schedule = "constant";
  std::string lora_targets = "q,k,v,o";
  std::string export_type = "keep";
  uint64_t seed = 0;
  bool no_merged = false, no_peft = false, no_chart = false;
  bool resume_if_present = false;
};

std::string FormatEta(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const long long t = static_cast<long long>(s + 0.5);
  if (t >= 3600) return StrFormat("%lldh%02lldm", t / 3600, (t / 60) % 60);
  if (t >= 60) return StrFormat("%lldm%02llds", t / 60, t % 60);
  return StrFormat("%llds", t);
}

Status RunTrain(TrainCliOptions o) {
  train::TrainOptions& t = o.t;
  t.model_path = o.model.model;
  t.data_opts.seed = o.seed;
  t.graph.seed = o.seed;
  t.schedule.base_lr = o.lr;
  t.schedule.min_lr = o.min_lr;
  t.schedule.warmup_steps = o.warmup;
  if (o.schedule == "constant") {
    t.schedule.kind = train::LrScheduleKind::kConstant;
  } else if (o.schedule == "warmup") {
    t.schedule.kind = train::LrScheduleKind::kWarmup;
  } else if (o.schedule == "cosine") {
    t.schedule.kind = o.warmup > 0 ? train::LrScheduleKind::kWarmupCosine
                                   : train::LrScheduleKind::kCosine;
  } else {
    return InvalidArgumentError("train: --schedule must be constant, warmup or cosine, got '" +
                                o.schedule + "'");
  }
  if (t.graph.lora.rank > 0) {
    ASSIGN_OR_RETURN(t.graph.lora.targets, model::ParseLoraTargets(o.lora_targets));
  }
  if (o.export_type != "keep") {
    ASSIGN_OR_RETURN(t.export_type, tensor::ParseDType(o.export_type));
    t.export_set_type = true;
  }
  t.export_merged = !o.no_merged;
  t.export_peft = !o.no_peft;
  t.chart = !o.no_chart;
  t.chat_template = o.model.chat_template;
  for (const std::string& f : t.data) RETURN_IF_ERROR(CheckFileExists(f, "training data (--data)"));
  if (o.resume_if_present && std::filesystem::exists(std::filesystem::path(t.out_dir) / "checkpoint.bin")) {
    t.resume = true;
  }

  ASSIGN_OR_RETURN(auto model, LoadModel(o.model));
  ThreadPool pool(o.model.threads);
  const auto& hp = model->hparams();
  std::string mode = t.graph.full ? "full fine-tune"
                     : t.graph.lora.rank > 0
                         ? StrFormat("LoRA r=%lld alpha=%g%s targets %s", static_cast<long long>(t.graph.lora.rank),
                                     t.graph.lora.alpha, t.graph.lora.rslora ? " (rsLoRA)" : "",
                                     o.lora_targets.c_str())
                         : "extra rows";
  if (t.graph.rows_from >= 0 && !t.graph.full) {
    mode += StrFormat(" + embedding/output rows from %lld", static_cast<long long>(t.graph.rows_from));
  }
  LOG_INFO("train: %s (%s, %lld layers, vocab %lld): %s, ctx %d x batch %d x accum %lld, %lld steps, "
           "%d threads",
           o.model.model.c_str(), hp.arch.c_str(), static_cast<long long>(hp.n_layer),
           static_cast<long long>(hp.n_vocab), mode.c_str(), t.data_opts.ctx, t.data_opts.batch,
           static_cast<long long>(t.grad_accum), static_cast<long long>(t.steps), o.model.threads);

  ProgressBar bar("train", t.steps);
  const bool tty = StderrIsTty();
  const double t0 = NowSeconds();
  double last_log_time = -1.0;
  int64_t first_step = -1;
  train::TrainCallbacks cb;
  cb.on_message = [&](const std::string& m) {
    bar.Finish();
    LOG_INFO("train: %s", m.c_str());
  };
  cb.on_step = [&](const train::StepInfo& s) {
    if (first_step < 0) first_step = s.step;
    const double now = NowSeconds();
    const double per_step = (now - t0) / static_cast<double>(s.step - first_step + 1);
    const double eta = per_step * static_cast<double>(s.total_steps - s.step - 1);
    std::string extra = StrFormat("loss %.4f lr %.2e %.0f tok/s", s.loss, s.lr, s.tokens_per_s);
    if (s.val_loss >= 0) extra += StrFormat(" val %.4f", s.val_loss);
    extra += " ETA " + FormatEta(eta);
    if (tty) {
      bar.Update(s.step + 1, extra);
    } else if (last_log_time < 0 || now - last_log_time >= 10.0 || s.step + 1 == s.total_steps ||
               s.val_loss >= 0) {
      LOG_INFO("train: step %lld/%lld %s", static_cast<long long>(s.step + 1),
               static_cast<long long>(s.total_steps), extra.c_str());
      last_log_time = now;
    }
  };
  ASSIGN_OR_RETURN(train::TrainResult r, train::RunTraining(*model, t, pool, cb));
  bar.Finish();
  if (r.final_val_loss >= 0) {
    LOG_INFO("train: done: %lld steps, last loss %.4f, validation loss %.4f (%.2f s)",
             static_cast<long long>(r.steps_done), r.final_loss, r.final_val_loss, NowSeconds() - t0);
  } else {
    LOG_INFO("train: done: %lld steps, last loss %.4f (%.2f s)", static_cast<long long>(r.steps_done),
             r.final_loss, NowSeconds() - t0);
  }
  return Status::Ok();
}

}  // namespace

Command RegisterTrain(CLI::App& root) {
  auto o = std::make_shared<TrainCliOptions>();
  train::TrainOptions& t = o->t;
  CLI::App* cmd = root.add_subcommand(
      "train",
      "train or fine-tune a model (full or LoRA, also on quantized bases) on text or chat data");
  AddModelOptions(cmd, &o->model, {.ctx = false, .chat_template = true, .model_required = true});
  cmd->add_option("--data", t.data, "training data: text files, or chat JSONL with --chat")
      ->required()->expected(1, -1);
  cmd->add_flag("--chat", t.chat,
                "data is JSONL {\"messages\":[{\"role\":..,\"content\":..}]}; loss only on "
                "assistant replies");
  cmd->add_option("-o,--output", t.out_dir,
                  "output directory (checkpoint.bin, model.gguf, adapter.gguf, adapter/, loss.svg)")
      ->required();
  cmd->add_option("--ctx", t.data_opts.ctx, "tokens per training window")
      ->check(CLI::Range(2, 1 << 20))->capture_default_str();
  cmd->add_option("--batch", t.data_opts.batch, "windows per micro-batch")
      ->check(CLI::Range(1, 1 << 16))->capture_default_str();
  cmd->add_option("--grad-accum", t.grad_accum, "micro-batches per optimizer step")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 16))->capture_default_str();
  cmd->add_option("--steps", t.steps, "optimizer steps")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 40))->capture_default_str();
  cmd->add_option("--lr", o->lr, "peak learning rate")->capture_default_str();
  cmd->add_option("--min-lr", o->min_lr, "final learning rate of the cosine schedule")
      ->capture_default_str();
  cmd->add_option("--schedule", o->schedule, "constant, warmup or cosine (cosine after --warmup)")
      ->capture_default_str();
  cmd->add_option("--warmup", o->warmup, "linear warm-up steps")->capture_default_str();
  cmd->add_option("--optimizer", t.optimizer, "adamw or sgd")->capture_default_str();
  cmd->add_option("--beta1", t.adamw.beta1, "AdamW beta1")->capture_default_str();
  cmd->add_option("--beta2", t.adamw.beta2, "AdamW beta2")->capture_default_str();
  cmd->add_option("--eps", t.adamw.eps, "AdamW epsilon")->capture_default_str();
  cmd->add_option("--weight-decay", t.adamw.weight_decay,
                  "decoupled weight decay (AdamW) / L2 (SGD), on every trained tensor")
      ->capture_default_str()
      ->each([o](const std::string&) { o->t.sgd.weight_decay = o->t.adamw.weight_decay; });
  cmd->add_flag("--no-decay-norms-embeddings", t.no_decay_norms_embeddings,
                "exclude norm weights and embeddings from weight decay");
  cmd->add_option("--momentum", t.sgd.momentum, "SGD momentum")->capture_default_str();
  cmd->add_flag("--nesterov", t.sgd.nesterov, "SGD Nesterov momentum");
  cmd->add_option("--clip", t.clip, "clip gradients to this global L2 norm (0 = off)")
      ->capture_default_str();
  cmd->add_flag("--full", t.graph.full, "train every weight (full fine-tune / from scratch)");
  cmd->add_option("--lora-rank", t.graph.lora.rank, "train LoRA adapters of this rank")
      ->check(CLI::Range(int64_t{1}, int64_t{65536}));
  cmd->add_option("--lora-alpha", t.graph.lora.alpha, "LoRA alpha (scale alpha/rank)")
      ->capture_default_str();
  cmd->add_option("--lora-targets", o->lora_targets,
                  "projections to adapt: q,k,v,o,gate,up,down or all")
      ->capture_default_str();
  cmd->add_flag("--rslora", t.graph.lora.rslora, "rank-stabilised LoRA (scale alpha/sqrt(rank))");
  cmd->add_option("--lora-dropout", t.graph.lora.dropout, "dropout on the LoRA input")
      ->check(CLI::Range(0.0f, 0.99f))->capture_default_str();
  cmd->add_option("--train-rows-from", t.graph.rows_from,
                  "also train token-embedding and output rows with ids >= this (new vocabulary)");
  cmd->add_flag("--recompute", t.graph.recompute,
                "recompute each layer's activations in the backward pass (less memory)");
  cmd->add_option("--seed", o->seed, "seed for shuffling, LoRA init and dropout")
      ->capture_default_str();
  cmd->add_flag("--no-shuffle", t.data_opts.no_shuffle,
                "take windows in order: step s, row b starts at ((s*B+b)*ctx) mod (N-ctx-1)");
  cmd->add_option("--val-fraction", t.data_opts.val_fraction,
                  "hold out this fraction of the windows/conversations for validation")
      ->check(CLI::Range(0.0, 0.9))->capture_default_str();
  cmd->add_option("--eval-every", t.eval_every, "validation loss every N steps (0 = at the end)")
      ->capture_default_str();
  cmd->add_option("--val-batches", t.val_batches, "validation batches per evaluation (0 = all)")
      ->capture_default_str();
  cmd->add_option("--save-every", t.save_every, "checkpoint every N steps (0 = at the end)")
      ->capture_default_str();
  cmd->add_flag("--resume", t.resume, "continue from OUTDIR/checkpoint.bin");
  cmd->add_flag("--resume-if-present", o->resume_if_present,
                "resume when OUTDIR/checkpoint.bin exists, else start (for scripts)");
  cmd->add_option("--log-json", t.log_json,
                  "write one JSON object per step: step (0-based), loss (of that step's batch, "
                  "before its update), lr, tokens_per_s, grad_norm, val_loss");
  cmd->add_option("--export-type", o->export_type,
                  "type of the merged model.gguf's matrices: keep (each base type), f32, f16, "
                  "bf16, q8_0, q4_0, q4_k, q6_k")
      ->capture_default_str();
  cmd->add_flag("--no-merged", o->no_merged, "do not write the merged model.gguf");
  cmd->add_flag("--no-peft", o->no_peft, "do not write the PEFT adapter directory");
  cmd->add_flag("--no-chart", o->no_chart, "do not write loss.svg");
  return {cmd, [o] { return RunTrain(*o); }};
}

}  // namespace sangam::cli
