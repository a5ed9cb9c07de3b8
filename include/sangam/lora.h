// LoRA adapters: the in-memory form, llama.cpp GGUF adapters and Hugging Face PEFT directories
// (read and write), merging into a model file, and applying adapters at inference time.
//
// A LoRA pair on a base weight W (n_out rows of n_in, GGUF order) adds scale * B A with
// A (rank, n_in) and B (n_out, rank), both row-major F32; y = W x + scale * B (A x).
// scale = alpha / rank, or alpha / sqrt(rank) with rsLoRA, times the user's multiplier.
//
// File formats:
// - llama.cpp GGUF adapter: general.type = "adapter", general.architecture = base arch,
//   adapter.type = "lora", adapter.lora.alpha (f32); tensors "<base>.lora_a" with GGUF
//   ne = {n_in, rank} and "<base>.lora_b" with ne = {rank, n_out} (F32, F16 or BF16 read; F32
//   written). llama.cpp computes scale = alpha / rank, so an rsLoRA adapter is written with
//   alpha' = alpha * sqrt(rank) (same effective scale); sangam also writes
//   adapter.lora.sangam.rslora / .alpha so it reads back exactly.
// - PEFT directory: adapter_config.json (peft_type "LORA", r, lora_alpha, target_modules,
//   lora_dropout, use_rslora, bias "none", task_type "CAUSAL_LM", base_model_name_or_path) and
//   adapter_model.safetensors with tensors
//   "base_model.model.model.layers.{i}.self_attn.{q,k,v,o}_proj.lora_{A,B}.weight" and
//   "base_model.model.model.layers.{i}.mlp.{gate,up,down}_proj.lora_{A,B}.weight" (F32 written;
//   F32/F16/BF16 read). For arch "llama"/"mistral" (not qwen2, whose GGUF keeps HF order) the
//   rows of B for q and k are permuted between GGUF order and Hugging Face order exactly as
//   convert_hf_to_gguf.py permutes attn_q/attn_k (per head of d rows: gguf row 2i+a = hf row
//   a*d/2+i; n_head for q, n_head_kv for k). Per-module ranks/alphas (rank_pattern,
//   alpha_pattern) are not supported: an error says so.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sangam/model.h"
#include "sangam/status.h"
#include "sangam/thread_pool.h"

namespace sangam::model {

// Which projection of a Llama block a LoRA pair targets.
enum class LoraTarget { kQ, kK, kV, kO, kGate, kUp, kDown };
// "q","k","v","o","gate","up","down".
const char* LoraTargetName(LoraTarget t);
// GGUF base tensor name of `t` in layer `layer`: "blk.3.attn_q.weight", "blk.3.ffn_gate.weight".
std::string LoraTargetTensorName(LoraTarget t, int64_t layer);
// Parses "q,k,v,o,gate,up,down" (also "all"; HF names q_proj, ..., down_proj accepted).
// Error names an unknown entry and lists the valid ones.
Result<std::vector<LoraTarget>> ParseLoraTargets(const std::string& list);

struct LoraPair {
  int64_t layer = 0;
  LoraTarget target = LoraTarget::kQ;
  int64_t n_in = 0, n_out = 0;
  std::vector<float> a;  // (rank, n_in)
  std::vector<float> b;  // (n_out, rank)
};

struct LoraAdapter {
  std::string arch;          // base architecture ("llama", ...)
  std::string base_name;     // base model name (informational)
  int64_t rank = 0;
  float alpha = 0.0f;
  bool rslora = false;
  float dropout = 0.0f;      // recorded in PEFT config (training-time only)
  std::vector<LoraPair> pairs;
  // alpha / rank, or alpha / sqrt(rank) with rsLoRA.
  float scale() const;
};

// Checks that every pair's layer and shapes fit `hp` (n_in/n_out of that projection, a/b sizes,
// rank). Error names the pair ("blk.3.attn_q.weight: lora_b has 64 rows, model has 128").
Status ValidateLoraAdapter(const LoraAdapter& adapter, const Hparams& hp);

// Reads a llama.cpp GGUF adapter file or a PEFT directory (or its adapter_model.safetensors /
// adapter_config.json path), converting PEFT to GGUF row order. `hp` is the base model's
// (validated against). Errors name the file and what is wrong.
Result<LoraAdapter> LoadLoraAdapter(const std::string& path, const Hparams& hp);
// Writes atomically (temporary file + rename).
Status SaveLoraGguf(const LoraAdapter& adapter, const Hparams& hp, const std::string& path);
// Creates `dir` if needed; writes both files atomically.
Status SavePeftAdapter(const LoraAdapter& adapter, const Hparams& hp, const std::string& dir);

// AppliedLora (an adapter with a --lora FILE:SCALE multiplier) is declared in sangam/model.h.

// Writes `base` as a new GGUF with metadata copied and, for every weight:
//   W' = W (+ overrides[name] instead, when given) + sum over adapters of scale * B A,
// computed in F32 and stored back in W's own type (or `type` for 2-D matrices when set, with
// QuantizeModel's block-size fallbacks). 1-D tensors stay F32. Streams one tensor at a time;
// the output appears atomically. Overrides must have the base tensor's element count.
struct TensorOverride {
  std::string name;           // GGUF tensor name
  const float* data = nullptr;
  int64_t n = 0;
};
struct MergeOptions {
  std::vector<AppliedLora> loras;
  std::vector<TensorOverride> overrides;
  bool set_type = false;
  tensor::DType type = tensor::DType::kF32;
  std::string name;           // general.name of the output; empty = keep
};
Status WriteMergedModel(const Model& base, const MergeOptions& opts, const std::string& out_path,
                        ThreadPool& pool);

}  // namespace sangam::model
