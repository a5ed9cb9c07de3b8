// The training loop: data, optimizer, schedule, gradient accumulation and clipping, periodic
// validation, atomic checkpoints with bit-exact resume, and exports (merged GGUF, llama.cpp GGUF
// LoRA adapter, PEFT directory, loss chart).
//
// Output directory layout (-o OUTDIR):
//   checkpoint.bin      every --save-every steps and at the end (written to .tmp, fsynced, renamed)
//   tokens.cache        token stream cache of the text data
//   model.gguf          merged model (base + LoRA + trained rows, or the fully trained weights)
//   adapter.gguf        LoRA adapter in llama.cpp's format       (LoRA runs)
//   adapter/            the same adapter as a PEFT directory      (LoRA runs)
//   loss.svg            training (and validation) loss curve
// Determinism: with the same options, data, seed and thread count, every step's loss and the
// final weights are identical (the graph's results do not depend on the thread count either).
// Resume (--resume) restores weights, optimizer moments, step, micro-step, data position and
// generator states from checkpoint.bin and continues exactly; options that change the trajectory
// must match the checkpoint's (an error lists the ones that differ; --steps may grow).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <string>
#include <vector>

#include "sangam/file.h"
#include "sangam/model.h"
#include "sangam/optim.h"
#include "sangam/status.h"
#include "sangam/thread_pool.h"
#include "sangam/train_data.h"
#include "sangam/train_graph.h"

namespace sangam::train {

struct TrainOptions {
  std::string model_path;               // for the checkpoint fingerprint and messages
  std::vector<std::string> data;        // text files, or chat JSONL with chat = true
  bool chat = false;
  std::string chat_template;            // name; empty = from the model
  DataOptions data_opts;                // ctx, batch, no_shuffle, seed, val_fraction
  int64_t steps = 100;
  int64_t grad_accum = 1;               // micro-batches per optimizer step
  std::string optimizer = "adamw";      // "adamw" | "sgd"
  AdamWParams adamw;
  SgdParams sgd;
  LrSchedule schedule;                  // total_steps is set from steps when 0
  float clip = 0.0f;                    // global-norm clip; 0 = off
  bool no_decay_norms_embeddings = false;
  GraphConfig graph;
  int64_t save_every = 0;               // 0 = only at the end
  int64_t eval_every = 0;               // 0 = only at the end (when there is a validation split)
  int64_t val_batches = 0;              // 0 = all
  std::string out_dir;
  bool resume = false;
  std::string log_json;                 // one JSON object per step; empty = none
  bool export_merged = true;
  bool export_set_type = false;         // false = keep each tensor's base type
  tensor::DType export_type = tensor::DType::kF32;
  bool export_peft = true;
  bool chart = true;
};

struct StepInfo {
  int64_t step = 0;          // 0-based optimizer step just completed
  int64_t total_steps = 0;
  float loss = 0.0f;         // mean loss of this step's batch(es), before the update
  float lr = 0.0f;
  float grad_norm = 0.0f;    // global norm before clipping
  double tokens_per_s = 0.0;
  double val_loss = -1.0;    // >= 0 when validation ran after this step
  double elapsed_s = 0.0;
};

struct TrainCallbacks {
  std::function<void(const StepInfo&)> on_step;
  std::function<void(const std::string&)> on_message;  // "resumed at step 40", "exported ..."
};

struct TrainResult {
  int64_t start_step = 0;    // > 0 when resumed
  int64_t steps_done = 0;
  float final_loss = 0.0f;
  double final_val_loss = -1.0;
  std::vector<std::string> outputs;  // files written
};

Result<TrainResult> RunTraining(const model::Model& base, const TrainOptions& opts,
                                ThreadPool& pool, const TrainCallbacks& cb = {});

// Checkpoint container: named sections with a trailing FNV-1a checksum, streamed to
// path + ".tmp", fsynced and renamed (a crash leaves the previous checkpoint intact). A section's
// bytes are the concatenation of its parts (no copies of large buffers are made).
struct CheckpointSection {
  std::string name;
  std::vector<std::string_view> parts;
};
Status WriteCheckpointFile(const std::string& path, const std::vector<CheckpointSection>& sections);

// A checkpoint opened read-only (memory-mapped); section views valid while it lives. Errors name
// the file and say whether it is truncated, corrupt or of another version.
struct CheckpointFile {
  std::unique_ptr<MappedFile> file;
  std::vector<std::pair<std::string, std::string_view>> sections;
  // nullptr when absent.
  const std::string_view* Find(const std::string& name) const;
};
Result<CheckpointFile> ReadCheckpointFile(const std::string& path);

}  // namespace sangam::train
