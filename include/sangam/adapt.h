// The adaptation pipeline (sangam adapt): make a model speak a new language.
//
// Stages, each recorded in OUT/adapt-state.json when done, so an interrupted run continues where
// it stopped (training stages resume from their own checkpoints, bit-exactly):
//   1 data        split the corpus into training text and held-out lines (every 20th line unless
//                 held-out files are given); check that the corpus is in --lang's script
//   2 tokenizer   train a SentencePiece tokenizer on the training text (OUT/tokenizer.model)
//   3 extend      add its pieces that the base lacks; new embedding/output rows start as the mean
//                 of the rows of the pieces the base tokenizer splits them into (OUT/extended.gguf)
//   4 embeddings  stage 1: train only the new rows (OUT/stage1/)
//   5 lora        stage 2: LoRA on the chosen projections plus the new rows, with replay text
//                 mixed in against forgetting: the --english files when given, plus
//                 replay_tokens tokens sampled from the base model itself (its own
//                 distribution, OUT/data/replay.txt; works for any base without its data)
//                 (OUT/stage2/)
//   6 guard       scale the LoRA update down (x1, 0.75, 0.5, ... 0) until bits/char on
//                 validation text of the base language is within the forgetting budget: every
//                 other line of --english-heldout (the rest is the report's test set), else
//                 held-out samples of the base model itself (never trained on);
//                 write OUT/model.gguf
//   7 evaluate    base vs adapted on held-out target-language and English text: tokens, token
//                 premium, bits per character (OUT/eval.md, eval.json, eval.svg)
//   8 card        OUT/adapter.gguf + OUT/adapter/ (PEFT; both relative
//                 to OUT/stage1/model.gguf), OUT/MODEL_CARD.md
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sangam/eval.h"
#include "sangam/lora.h"
#include "sangam/status.h"
#include "sangam/thread_pool.h"
#include "sangam/trainer.h"

namespace sangam::adapt {

struct AdaptOptions {
  std::string base_model;                  // GGUF
  std::string lang;                        // "hi", "ta", "sat", ... or a FLORES code
  std::vector<std::string> corpus;         // target-language text
  std::vector<std::string> heldout;        // held-out target text; empty = split from corpus
  std::vector<std::string> english;        // English text mixed into stage 2 (optional)
  std::vector<std::string> english_heldout;  // English held-out text (forgetting check; optional)
  std::string out_dir;
  std::string tokenizer_type = "bpe";  // BPE pieces can all be reached by SPM-style merging
  int vocab_size = 2000;
  int64_t max_new = 0;                     // 0 = every new piece
  int32_t ctx = 128;
  int32_t batch = 8;
  int64_t stage1_steps = 150;
  float stage1_lr = 3e-3f;
  int64_t stage2_steps = 150;
  float stage2_lr = 1e-3f;
  int64_t lora_rank = 16;
  float lora_alpha = 32.0f;
  std::vector<model::LoraTarget> lora_targets = {
      model::LoraTarget::kQ, model::LoraTarget::kK,    model::LoraTarget::kV,
      model::LoraTarget::kO, model::LoraTarget::kGate, model::LoraTarget::kUp,
      model::LoraTarget::kDown};
  uint64_t seed = 1;
  int64_t max_eval_lines = 400;            // per language
  int64_t replay_tokens = 60000;           // sampled from the base for stage 2 (0 = none)
  // Keep only as much of the LoRA update as keeps bits/char on held-out samples of the base
  // within this many percent of the base's (0 = keep all).
  double forgetting_budget_pct = 1.0;
  bool restart = false;                    // ignore OUT/adapt-state.json and start over
};

struct AdaptCallbacks {
  std::function<void(int stage, int n_stages, const std::string& name)> on_stage;
  std::function<void(const train::StepInfo&)> on_step;
  std::function<void(const std::string&)> on_message;
};

struct AdaptResult {
  std::string model, adapter, peft_dir, card, eval_markdown, eval_json, eval_chart;
  EvalReport report;            // subjects: base, adapted
  int64_t n_new_tokens = 0;
  std::vector<std::string> skipped_stages;  // already done before this run
};

// Errors name what is wrong: an empty corpus, a corpus mostly in another script than --lang's,
// a vocabulary size the corpus cannot support, an unwritable output directory, options that
// differ from the interrupted run's (listing them; use restart to start over).
Result<AdaptResult> RunAdaptation(const AdaptOptions& opts, ThreadPool& pool,
                                  const AdaptCallbacks& cb = {});

}  // namespace sangam::adapt
